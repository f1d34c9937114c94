"""Load the released StableSR checkpoints into our modules, strictly.

``stablesr_000117.ckpt`` / ``stablesr_turbo.ckpt`` are pytorch-lightning checkpoints of the whole
``LatentDiffusionSRTextWT``: ``model.diffusion_model.*`` (UNet + SFT), ``structcond_stage_model.*``
(time-aware encoder), ``first_stage_model.*`` (the SD 2.1 VAE, which encodes the LQ) and
``cond_stage_model.model.*`` (OpenCLIP-H text tower), plus the DDPM schedule buffers.
``vqgan_cfw_00011.ckpt`` holds ``AutoencoderKLResi`` (``encoder.*``, ``decoder.*`` with the fusion
layers, the quant convs) plus its training loss (``loss.*``: LPIPS and the discriminator).

Every released key is either mapped onto exactly one of our parameters (:mod:`.keys`) or in
:data:`UNUSED` with the reason the official inference does not use it; anything else, and any
parameter left unfilled or mis-shaped, raises :class:`~pasd.models.CheckpointMismatchError`.
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import init_empty_weights
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from transformers import CLIPTextModel

from baselines.stablesr import configs, keys
from baselines.stablesr.cfw import CFWAutoencoderModel
from baselines.stablesr.encoder import TimeAwareEncoderModel
from baselines.stablesr.text import text_config
from baselines.stablesr.unet import StableSRUNet2DConditionModel
from pasd.models.checkpoint_keys import CheckpointMismatchError, compare_shapes

logger = logging.getLogger(__name__)

#: component -> key prefix in the StableSR checkpoint
PREFIXES = {
    "unet": "model.diffusion_model.",
    "encoder": "structcond_stage_model.",
    "first_stage": "first_stage_model.",
    "text": "cond_stage_model.model.",
}
#: DDPM buffers (``register_schedule``); the sampling scripts overwrite them with a respaced schedule
SCHEDULE_BUFFERS = (
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
)  # fmt: skip
#: released keys (regex) the official inference never reads, and why
UNUSED = {
    r"("
    + "|".join(SCHEDULE_BUFFERS)
    + r")": "DDPM schedule buffers; the sampler re-registers a respaced schedule",
    r"cond_stage_model\.model\.(text_projection|logit_scale|attn_mask)": "CLIP pooling/contrastive terms; "
    "StableSR conditions on token features",
    r"cond_stage_model\.model\.transformer\.resblocks\.{last}\..+": "the last text block; "
    "FrozenOpenCLIPEmbedder(layer='penultimate') stops before it",
    r"loss\..+": "CFW training loss (LPIPS, discriminator)",
}


@dataclass
class StableSRModels:
    """The networks of one StableSR release, eval mode, on CPU until moved."""

    unet: StableSRUNet2DConditionModel
    encoder: TimeAwareEncoderModel
    first_stage: AutoencoderKL
    cfw: CFWAutoencoderModel
    text: CLIPTextModel
    config: dict

    def to(self, device: str | torch.device) -> StableSRModels:
        for m in (self.unet, self.encoder, self.first_stage, self.cfw, self.text):
            m.to(device)
        return self


def empty_models(config: dict) -> dict[str, torch.nn.Module]:
    """Our modules for ``config`` with parameters on the meta device (buffers real), no init cost."""
    vae = configs.vae_kwargs(config["vae_ddconfig"], config["vae_embed_dim"], config["scale_factor"])
    with init_empty_weights():
        return {
            "unet": StableSRUNet2DConditionModel(**configs.unet_kwargs(config["unet_config"])),
            "encoder": TimeAwareEncoderModel(**configs.encoder_kwargs(config["encoder_config"])),
            "first_stage": AutoencoderKL(
                down_block_types=("DownEncoderBlock2D",) * len(vae["block_out_channels"]),
                up_block_types=("UpDecoderBlock2D",) * len(vae["block_out_channels"]),
                **vae,
            ),
            "cfw": CFWAutoencoderModel(**vae),
            "text": CLIPTextModel(text_config(**config["text_config"])),
        }


def key_groups(component: str, model: torch.nn.Module) -> list[keys.KeyGroup]:
    """The released-key table of one of :func:`empty_models`' modules.

    Raises:
        KeyError: For an unknown component.
    """
    names = list(model.state_dict())
    if component == "unet":
        up_attn = tuple(t.startswith("CrossAttn") for t in model.config.up_block_types)
        return keys.build_groups(names, keys.unet_mapper(model.config.layers_per_block, up_attn))
    if component == "encoder":

        def heads(name: str) -> int:
            return model.get_submodule(name.rsplit(".", 2)[0]).heads

        return keys.build_groups(names, keys.encoder_mapper(model.config.num_res_blocks), heads)
    if component in ("first_stage", "cfw"):
        return keys.build_groups(names, keys.vae_mapper(len(model.config.block_out_channels)))
    if component == "text":
        return keys.build_groups(names, keys.text_mapper)
    raise KeyError(f"unknown component {component!r}; one of unet, encoder, first_stage, cfw, text")


def release_shapes(model: torch.nn.Module, groups: list[keys.KeyGroup]) -> dict[str, tuple[int, ...]]:
    """Released key -> shape that ``model`` expects (meta tensors: no memory)."""
    state = model.state_dict()
    out = {}
    for g in groups:
        parts = tuple(torch.empty(state[n].shape, device="meta") for n in g.ours)
        out[g.release] = tuple(g.to_release(parts).shape)
    return out


def fill(
    model: torch.nn.Module, groups: list[keys.KeyGroup], state: Mapping[str, torch.Tensor], what: str
) -> None:
    """Load released tensors into ``model`` through ``groups``, strictly (``assign``: no copy).

    Raises:
        CheckpointMismatchError: Naming missing/unexpected released keys and shape mismatches.
    """
    compare_shapes(release_shapes(model, groups), {k: tuple(v.shape) for k, v in state.items()}, what)
    converted = {}
    for g in groups:
        converted.update(zip(g.ours, g.to_ours(state[g.release])))
    model.load_state_dict(converted, strict=True, assign=True)
    model.eval()


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The ``state_dict`` of a (pytorch-lightning) ``.ckpt`` without executing pickled code.

    Lightning checkpoints also pickle classes (callbacks keyed by type, hyper-parameters); those
    are replaced by inert stand-ins so ``weights_only`` loading works without pytorch-lightning
    installed. Tensors are memory-mapped, so the optimizer states in the file cost nothing.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the file holds no state dict, or pickles a call torch refuses to stand in for.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"checkpoint {p} not found")
    names = torch.serialization.get_unsafe_globals_in_checkpoint(p)
    stubs = [(type(n.rsplit(".", 1)[-1], (_Inert,), {}), n) for n in names]
    try:
        with torch.serialization.safe_globals(stubs):
            raw = torch.load(p, map_location="cpu", mmap=True, weights_only=True)
    except pickle.UnpicklingError as exc:  # torch refuses some modules outright (os, subprocess, ...)
        reason = next((line for line in str(exc).splitlines() if "GLOBAL" in line), str(exc).splitlines()[0])
        raise ValueError(f"{p} cannot be loaded safely: {reason.strip()}") from exc
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{p} holds no state dict (expected {{'state_dict': {{name: tensor}}}})")
    return state


class _Inert:
    """Stand-in for a pickled class we do not import (its state is kept, nothing runs)."""

    def __init__(self, *args, **kwargs) -> None:
        self.__dict__["_args"] = (args, kwargs)

    def __setstate__(self, state) -> None:
        self.__dict__["_state"] = state


def _unused(key: str, text_layers: int) -> str | None:
    for pattern, why in UNUSED.items():
        if re.fullmatch(pattern.replace("{last}", str(text_layers - 1)), key):
            return why
    return None


def split_release(state: Mapping[str, torch.Tensor], text_layers: int, what: str) -> dict[str, dict]:
    """Sort a StableSR checkpoint's keys into components (prefixes stripped); drop :data:`UNUSED`.

    Raises:
        CheckpointMismatchError: For keys of no component that are not known to be unused.
    """
    parts: dict[str, dict] = {c: {} for c in PREFIXES}
    unknown = []
    for k, v in state.items():
        if _unused(k, text_layers):
            continue
        comp = next((c for c, pre in PREFIXES.items() if k.startswith(pre)), None)
        if comp is None:
            unknown.append(k)
        else:
            parts[comp][k[len(PREFIXES[comp]) :]] = v
    if unknown:
        raise CheckpointMismatchError(
            f"{what} has {len(unknown)} keys of no StableSR component: {sorted(unknown)[:20]}; "
            f"expected prefixes {sorted(PREFIXES.values())}"
        )
    return parts


def load_stablesr(
    ckpt: str | Path, cfw_ckpt: str | Path, config: dict | None = None, dtype: torch.dtype = torch.float32
) -> StableSRModels:
    """Load a StableSR release (diffusion checkpoint + CFW checkpoint) strictly.

    Args:
        ckpt: ``stablesr_000117.ckpt`` or ``stablesr_turbo.ckpt`` (or a file of that layout).
        cfw_ckpt: ``vqgan_cfw_00011.ckpt``.
        config: :func:`~baselines.stablesr.configs.load_config` output (default: the release).
        dtype: Parameter dtype (the official scripts keep float32 weights and autocast).

    Returns:
        The models, eval mode, on CPU.

    Raises:
        FileNotFoundError: If a file is missing.
        CheckpointMismatchError: If a checkpoint does not match the config's modules.
    """
    config = config or configs.load_config()
    models = empty_models(config)
    parts = split_release(read_state_dict(ckpt), config["text_config"]["layers"], str(ckpt))
    for comp in ("unet", "encoder", "first_stage", "text"):
        fill(
            models[comp], key_groups(comp, models[comp]), parts[comp], f"{comp} ({PREFIXES[comp]}*) of {ckpt}"
        )
    cfw_state = {k: v for k, v in read_state_dict(cfw_ckpt).items() if not _unused(k, 0)}
    fill(models["cfw"], key_groups("cfw", models["cfw"]), cfw_state, f"CFW autoencoder {cfw_ckpt}")
    for m in models.values():
        if next(m.parameters()).dtype != dtype:  # diffusers warns on a no-op cast
            m.to(dtype)
    logger.info("loaded StableSR from %s and %s", ckpt, cfw_ckpt)
    return StableSRModels(config=config, **models)
