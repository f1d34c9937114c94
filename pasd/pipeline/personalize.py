"""Personalized stylization (paper: switch the base model): base-UNet swap, LoRA merge, LCM-LoRA.

Only SD base weights change: the PACA layers of the UNet and the whole ControlNet (with its DR
module) stay as trained, which is what lets PASD stylize without retraining. Loading uses
diffusers' own converters and LoRA loaders.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

#: official --multiplier default for personalized LoRA files
LORA_MULTIPLIER = 0.6
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
        when it holds VAE weights (``first_stage_model.*``), to convert against the pipeline's VAE.

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
    has_vae = any(k.startswith("first_stage_model.") for k in ckpt)
    return unet_sd, ckpt if has_vae else None


def swap_base_model(pipe, source: str | Path, alpha: float = 1.0, swap_vae: bool = True) -> list[str]:
    """Replace (or alpha-blend) the SD weights under PASD with a personalized model's.

    ``new = alpha * personalized + (1 - alpha) * current`` for every SD UNet parameter; PACA
    parameters and the ControlNet are not touched.

    Args:
        pipe: A :class:`~pasd.pipeline.PASDPipeline`.
        source: See :func:`load_base_unet_state`.
        alpha: Blending weight in [0, 1] (official ``--blending_alpha``, default 1).
        swap_vae: Also load a single file's VAE weights, as the official loader does.

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
    if ldm_checkpoint is not None and swap_vae:
        from diffusers.loaders.single_file_utils import convert_ldm_vae_checkpoint

        pipe.vae.load_state_dict(convert_ldm_vae_checkpoint(ldm_checkpoint, dict(pipe.vae.config)))
    logger.info("swapped base model from %s (alpha=%.2f); %d PACA tensors kept", source, alpha, len(kept))
    return kept


def merge_lora(
    pipe, path: str | Path, multiplier: float = LORA_MULTIPLIER, adapter_name: str = "style"
) -> None:
    """Fuse a LoRA file (diffusers/kohya format) into the UNet and text encoder, scaled by ``multiplier``.

    Uses diffusers' ``load_lora_weights`` + ``fuse_lora`` (needs ``peft``), then drops the
    adapter layers so the fused weights are plain tensors again.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"LoRA {p} not found")
    kwargs = {"weight_name": p.name} if p.is_file() else {}
    pipe.load_lora_weights(str(p.parent if p.is_file() else p), adapter_name=adapter_name, **kwargs)
    pipe.fuse_lora(lora_scale=multiplier, adapter_names=[adapter_name])
    pipe.unload_lora_weights()
    logger.info("merged LoRA %s (multiplier %.2f)", p, multiplier)


def enable_lcm_lora(pipe, path: str | Path) -> None:
    """Fuse an LCM-LoRA (e.g. ``latent-consistency/lcm-lora-sdv1-5``) and switch to ``LCMScheduler``.

    Use few steps (4-8) and a low guidance scale (1-2) afterwards.
    """
    from diffusers import LCMScheduler

    merge_lora(pipe, path, multiplier=1.0, adapter_name="lcm")
    pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
