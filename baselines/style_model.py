"""The personalized base model (``style_model``) under every Table 2 diffusion method.

One value names it for the whole protocol (``[shared] style_model`` in ``table2.toml``,
``pasd-bench run table2 --set style_model=PATH``): a :mod:`pasd.hub` artifact name such as
``toonyou``, a single-file SD1.5 checkpoint (``.safetensors``/``.ckpt``, original key names, as
Civitai serves them) or a diffusers folder. It is loaded by the same code ``pasd-stylize`` uses,
:func:`pasd.pipeline.personalize.load_base_unet_state`: the UNet is replaced and, when the file
is a full single-file checkpoint (it has VAE weights), its VAE and CLIP text encoder replace
SD1.5's too, as PASD's official ``load_dreambooth_lora`` does; so every method, PASD included,
runs on the same personalized weights.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from baselines.base import MethodNotAvailableError

logger = logging.getLogger(__name__)


def is_artifact(spec: str) -> bool:
    """True when ``spec`` names a :mod:`pasd.hub` artifact rather than a path."""
    from pasd import hub

    if "/" in spec or "\\" in spec or Path(spec).suffix:
        return False
    try:
        hub.get_artifact(spec)
    except KeyError:
        return False
    return True


def check_style_model(method: str, spec: Any) -> tuple[str, ...]:
    """Validate a ``style_model`` value; return the artifacts it needs (``("toonyou",)`` or ``()``).

    A missing artifact is a "weights missing" plan line (the caller adds the name to its
    ``weights``); a path that does not exist cannot run at all.

    Raises:
        MethodNotAvailableError: no style model given, or a path that does not exist.
        TypeError: not a string/path.
    """
    if spec is None or spec == "":
        raise MethodNotAvailableError(
            f"{method} needs a personalized base model: set style_model=toonyou (the pasd.hub artifact) "
            "or style_model=PATH (a single-file SD1.5 .safetensors/.ckpt or a diffusers folder)"
        )
    if not isinstance(spec, (str, Path)):
        raise TypeError(
            f"{method}: style_model must be an artifact name or a path, got {type(spec).__name__}"
        )
    spec = str(spec)
    if is_artifact(spec):
        return (spec,)
    if not Path(spec).expanduser().exists():
        raise MethodNotAvailableError(
            f"{method}: style_model {spec!r} is neither a pasd.hub artifact nor an existing file or folder"
        )
    return ()


def resolve_style_model(spec: str | Path) -> Path:
    """The file or folder ``spec`` stands for (artifacts through :mod:`pasd.hub`).

    Raises:
        MissingWeightsError: an artifact that is not on disk.
    """
    from pasd import hub

    spec = str(spec)
    if is_artifact(spec):
        art = hub.get_artifact(spec)
        return hub.resolve_file(spec) if len(art.files) == 1 else hub.resolve(spec)
    return Path(spec).expanduser()


def apply_style_model(pipe, spec: str | Path) -> None:
    """Load the personalized UNet (and a single file's VAE) into a diffusers SD pipeline in place.

    Raises:
        MissingWeightsError / FileNotFoundError / ValueError: from resolving or reading the model.
    """
    from pasd.pipeline.personalize import load_base_unet_state

    path = resolve_style_model(spec)
    unet_sd, ldm_checkpoint = load_base_unet_state(path, pipe.unet.config)
    load_unet_weights(pipe.unet, unet_sd, source=path)
    if ldm_checkpoint is not None:
        load_ldm_vae(pipe.vae, ldm_checkpoint)
        load_ldm_text_encoder(pipe.text_encoder, ldm_checkpoint, source=path)
    logger.info("base model of %s replaced by %s", type(pipe).__name__, path)


def load_unet_weights(unet, state: dict, source: Any = "") -> None:
    """Strict ``load_state_dict`` in the UNet's dtype, naming the file when the layouts differ."""
    dtype = next(unet.parameters()).dtype
    try:
        unet.load_state_dict({k: v.to(dtype) for k, v in state.items()})
    except RuntimeError as exc:
        raise ValueError(f"personalized UNet {source} does not fit the pipeline's UNet: {exc}") from exc


def load_ldm_vae(vae, ldm_checkpoint: dict) -> None:
    """Convert a single file's ``first_stage_model.*`` weights with diffusers and load them into ``vae``."""
    from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

    dtype = next(vae.parameters()).dtype
    converted = convert_ldm_vae_checkpoint(ldm_checkpoint, dict(vae.config))
    vae.load_state_dict({k: v.to(dtype) for k, v in converted.items()})


def load_ldm_text_encoder(text_encoder, ldm_checkpoint: dict, source: Any = "") -> bool:
    """Load a single file's CLIP text encoder (``cond_stage_model.transformer.*``); False when it has none.

    Converted with diffusers' ``convert_ldm_clip_checkpoint``; ``position_ids`` buffers that
    older checkpoints carry and current transformers no longer registers are dropped.
    """
    from diffusers.loaders.single_file_utils import convert_ldm_clip_checkpoint

    state = convert_ldm_clip_checkpoint(ldm_checkpoint)
    if not state:
        logger.info("%s has no CLIP text encoder weights; text encoder kept", source)
        return False
    expected = set(text_encoder.state_dict())
    dtype = next(text_encoder.parameters()).dtype
    state = {k: v.to(dtype) for k, v in state.items() if k in expected or not k.endswith("position_ids")}
    text_encoder.load_state_dict(state, strict=True)
    return True
