"""Personalized stylization (paper: switch the base model): base-model swap, LoRA merge, LCM-LoRA.

Only SD base weights change: the PACA layers of the UNet and the whole ControlNet (with its DR
module) stay as trained, which is what lets PASD stylize without retraining. Single-file models
follow the official ``load_dreambooth_lora`` (``myutils/misc.py``): the UNet is alpha-blended, the
VAE and the CLIP text encoder are replaced. Personalized LoRA files are merged the official way
(``convert_lora_safetensor_to_diffusers.py``): ``W += multiplier * up @ down`` per kohya pair,
ignoring the file's ``.alpha`` (diffusers' ``fuse_lora`` would scale by ``alpha / rank``; that is
available as ``lora_semantics="diffusers"``).

A diffusers-folder UNet (the official ``from_pretrained_orig`` route, e.g. ``unet_disney``) is
loaded into the PASD UNet with ``strict=False`` there, which leaves the PACA layers at their
random initialisation; here the trained PACA weights are kept (a deliberate deviation).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import torch
from torch import nn

logger = logging.getLogger(__name__)

#: official --multiplier default for personalized LoRA files
LORA_MULTIPLIER = 0.6
LoraSemantics = Literal["official", "diffusers"]
#: kohya key prefixes -> the pipeline part they patch (official LORA_PREFIX_UNET / _TEXT_ENCODER)
_LORA_PREFIXES = {"lora_unet": "unet", "lora_te": "text_encoder"}
_SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")


def _read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    return state.get("state_dict", state)


def load_base_unet_state(
    source: str | Path, unet_config: dict
) -> tuple[dict[str, torch.Tensor], dict | None]:
    """SD UNet weights (diffusers names) of a personalized model, plus its VAE weights if it has any.

    Args:
        source: A diffusers pipeline folder (with ``unet/``), a UNet folder, or a single-file SD1.5
            checkpoint (``.safetensors``/``.ckpt``, original LDM key names, e.g. from civitai).
        unet_config: The target UNet's config (used to convert single-file keys).

    Returns:
        ``(unet_state_dict, ldm_checkpoint_or_None)``: the second is the whole single-file checkpoint
        when it holds VAE (``first_stage_model.*``) or CLIP text encoder (``cond_stage_model.*``)
        weights, to convert against the pipeline's VAE and text encoder.

    Raises:
        FileNotFoundError: If ``source`` does not exist or holds no UNet.
        ValueError: If the file is a LoRA (use :func:`merge_lora`) or has no SD UNet weights.
    """
    from diffusers import UNet2DConditionModel

    src = Path(source)
    if src.is_dir():
        folder = src / "unet" if (src / "unet" / "config.json").is_file() else src
        if not (folder / "config.json").is_file():
            raise FileNotFoundError(f"no UNet in {src} (expected unet/config.json or config.json)")
        return UNet2DConditionModel.from_pretrained(str(folder)).state_dict(), None
    if not src.is_file():
        raise FileNotFoundError(f"personalized model {src} not found")
    if src.suffix not in _SINGLE_FILE_SUFFIXES:
        raise ValueError(f"{src.name}: single-file models must end in one of {_SINGLE_FILE_SUFFIXES}")
    ckpt = _read_checkpoint(src)
    if ckpt and all("lora" in k for k in ckpt):
        raise ValueError(f"{src} is a LoRA file; merge it with merge_lora / --lora instead")
    if not any(k.startswith("model.diffusion_model.") for k in ckpt):
        raise ValueError(f"{src} has no SD UNet weights ('model.diffusion_model.*' keys)")
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint

    unet_sd = convert_ldm_unet_checkpoint(ckpt, dict(unet_config))
    has_vae_or_te = any(k.startswith(("first_stage_model.", "cond_stage_model.")) for k in ckpt)
    return unet_sd, ckpt if has_vae_or_te else None


def swap_base_model(
    pipe, source: str | Path, alpha: float = 1.0, swap_vae: bool = True, swap_text_encoder: bool = True
) -> list[str]:
    """Replace (or alpha-blend) the SD weights under PASD with a personalized model's.

    ``new = alpha * personalized + (1 - alpha) * current`` for every SD UNet parameter; PACA
    parameters and the ControlNet are not touched. A single file's VAE and text encoder (when it
    has them) replace the current ones unblended, as in the official loader.

    Args:
        pipe: A :class:`~pasd.pipeline.PASDPipeline`.
        source: See :func:`load_base_unet_state`.
        alpha: Blending weight in [0, 1] (official ``--blending_alpha``, default 1).
        swap_vae: Also load a single file's VAE weights, as the official loader does.
        swap_text_encoder: Also load a single file's CLIP text encoder, as the official loader does.

    Returns:
        The PACA parameter names that were kept.

    Raises:
        ValueError: For ``alpha`` outside [0, 1] or weights that do not fit the UNet.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    unet = pipe.unet
    style, ldm_checkpoint = load_base_unet_state(source, unet.config)
    current = unet.state_dict()
    blended = {}
    for key, value in style.items():
        if key not in current:
            raise ValueError(f"personalized UNet weight {key!r} has no counterpart in the PASD UNet")
        old = current[key]
        blended[key] = (alpha * value.to(old.device, torch.float32) + (1 - alpha) * old.float()).to(old.dtype)
    kept = unet.load_sd_weights(blended)
    if (
        ldm_checkpoint is not None
        and swap_vae
        and any(k.startswith("first_stage_model.") for k in ldm_checkpoint)
    ):
        from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

        pipe.vae.load_state_dict(convert_ldm_vae_checkpoint(ldm_checkpoint, dict(pipe.vae.config)))
    if ldm_checkpoint is not None and swap_text_encoder:
        _swap_text_encoder(pipe.text_encoder, ldm_checkpoint, source)
    logger.info("swapped base model from %s (alpha=%.2f); %d PACA tensors kept", source, alpha, len(kept))
    return kept


def _swap_text_encoder(text_encoder: nn.Module, checkpoint: dict, source: str | Path) -> None:
    """Load the single file's CLIP text encoder (official: ``convert_ldm_clip_checkpoint``, no blending)."""
    from diffusers.loaders.single_file_utils import convert_ldm_clip_checkpoint

    state = convert_ldm_clip_checkpoint(checkpoint)
    if not state:
        logger.info("%s has no CLIP text encoder weights; text encoder kept", source)
        return
    if _clip_text_root(text_encoder) is text_encoder:  # flattened CLIPTextModel: no "text_model." level
        state = {k.removeprefix("text_model."): v for k, v in state.items()}
    # older checkpoints carry position_ids buffers that current transformers no longer registers
    expected = set(text_encoder.state_dict())
    state = {k: v for k, v in state.items() if k in expected or not k.endswith("position_ids")}
    text_encoder.load_state_dict(state, strict=True)


def merge_lora(
    pipe,
    path: str | Path,
    multiplier: float = LORA_MULTIPLIER,
    adapter_name: str = "style",
    semantics: LoraSemantics = "official",
) -> None:
    """Fuse a personalized LoRA file into the UNet and text encoder, scaled by ``multiplier``.

    Args:
        pipe: A :class:`~pasd.pipeline.PASDPipeline`.
        path: A kohya-format ``.safetensors`` (``lora_unet_*``/``lora_te_*`` keys), or anything
            ``load_lora_weights`` reads (other formats always take the diffusers route).
        multiplier: Official ``--multiplier`` (0.6).
        adapter_name: Adapter name for the diffusers route.
        semantics: ``"official"``: ``W += multiplier * up @ down``, ``.alpha`` ignored (PASD's
            converter); ``"diffusers"``: ``load_lora_weights`` + ``fuse_lora`` (scales by alpha/rank).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: For an unknown ``semantics`` or a file that is not a kohya LoRA (official route).
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"LoRA {p} not found")
    if semantics == "official" and is_kohya_lora(p):
        n = merge_lora_official(pipe, p, multiplier)
        logger.info("merged LoRA %s (official, multiplier %.2f, %d layers)", p, multiplier, n)
        return
    if semantics == "official":  # the official converter reads kohya files only
        logger.warning("%s is not a kohya-format LoRA; merging with diffusers' fuse_lora instead", p)
        semantics = "diffusers"
    if semantics != "diffusers":
        raise ValueError(f"LoRA semantics {semantics!r} is not one of ('official', 'diffusers')")
    kwargs = {"weight_name": p.name} if p.is_file() else {}
    pipe.load_lora_weights(str(p.parent if p.is_file() else p), adapter_name=adapter_name, **kwargs)
    pipe.fuse_lora(lora_scale=multiplier, adapter_names=[adapter_name])
    pipe.unload_lora_weights()
    logger.info("merged LoRA %s (diffusers fuse, multiplier %.2f)", p, multiplier)


def is_kohya_lora(path: str | Path) -> bool:
    """True for a ``.safetensors`` file with kohya ``*.lora_down.weight`` keys (what PASD's converter reads)."""
    p = Path(path)
    if not p.is_file() or p.suffix != ".safetensors":
        return False
    from safetensors import safe_open

    with safe_open(str(p), framework="pt") as f:
        return any(k.endswith(".lora_down.weight") for k in f.keys())


def _clip_text_root(text_encoder: nn.Module) -> nn.Module:
    """The module SD1.5 checkpoints and kohya LoRAs call ``text_model``.

    transformers 4 wraps CLIPTextModel's embeddings/encoder/final_layer_norm in a ``text_model``
    child; transformers 5 flattened it (and renames ``text_model.*`` keys at load), so the
    checkpoint's ``text_model`` level is then the text encoder itself.
    """
    return getattr(text_encoder, "text_model", text_encoder)


def _find_module(root: nn.Module, name: str) -> nn.Module | None:
    """Walk ``down_blocks_0_attentions_0_proj_in`` to a submodule, joining parts on "_" greedily.

    kohya flattens module paths with "_", which also occurs inside names (``down_blocks``,
    ``proj_in``); as the official converter, try the shortest attribute first and grow it.
    """
    parts = name.split("_")
    node, i = root, 0
    while i < len(parts):
        for j in range(i + 1, len(parts) + 1):
            child = getattr(node, "_modules", {}).get("_".join(parts[i:j]))
            if child is not None:
                node, i = child, j
                break
        else:
            return None
    return node


def merge_lora_official(pipe, path: str | Path, multiplier: float = LORA_MULTIPLIER) -> int:
    """PASD's own LoRA merge: for each kohya ``lora_down``/``lora_up`` pair, ``W += m * up @ down``.

    The file's ``.alpha`` entries are skipped (official ``if ".alpha" in key: continue``), so a
    rank-``r`` LoRA with ``alpha != r`` merges ``r / alpha`` times stronger than diffusers would.

    Returns:
        The number of layers patched.

    Raises:
        ValueError: If the file is not kohya format or names a layer the pipeline lacks.
    """
    from safetensors.torch import load_file

    state = load_file(str(path))
    downs = [k for k in state if k.endswith(".lora_down.weight")]
    if not downs:
        raise ValueError(f"{path}: no kohya 'lora_down.weight' keys; use lora_semantics='diffusers'")
    for key in downs:
        stem = key[: -len(".lora_down.weight")]
        prefix = next((p for p in _LORA_PREFIXES if stem.startswith(p + "_")), None)
        if prefix is None:
            raise ValueError(f"{path}: LoRA key {key!r} has no known prefix {sorted(_LORA_PREFIXES)}")
        root, name = getattr(pipe, _LORA_PREFIXES[prefix]), stem[len(prefix) + 1 :]
        if prefix == "lora_te":  # kohya names start at CLIPTextModel's text_model level
            root, name = _clip_text_root(root), name.removeprefix("text_model_")
        module = _find_module(root, name)
        if module is None or not hasattr(module, "weight"):
            raise ValueError(f"{path}: LoRA layer {stem!r} has no counterpart in the pipeline")
        up = state[f"{stem}.lora_up.weight"].float()
        down = state[key].float()
        delta = up.flatten(1) @ down.flatten(1)  # 1x1 convs are stored 4-D
        with torch.no_grad():
            w = module.weight
            w += (multiplier * delta).reshape(w.shape).to(w.device, w.dtype)
    return len(downs)


def enable_lcm_lora(pipe, path: str | Path) -> None:
    """Fuse an LCM-LoRA (e.g. ``latent-consistency/lcm-lora-sdv1-5``) and switch to ``LCMScheduler``.

    Use few steps (4-8) and a low guidance scale (1-2) afterwards.
    """
    from diffusers import LCMScheduler

    # official: validation_pipeline.load_lora_weights(...) + fuse_lora(), i.e. diffusers semantics
    merge_lora(pipe, path, multiplier=1.0, adapter_name="lcm", semantics="diffusers")
    pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
