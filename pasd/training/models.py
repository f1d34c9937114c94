"""The networks of a PASD training run, built the way yangxy/PASD ``train_pasd.py`` builds them.

A fresh PASD UNet from the SD1.5 UNet (PACA layers new), a ControlNet copied from it
(``PASDControlNetModel.from_unet``) with the DR pyramid, and the frozen VAE and text encoder.
Trainable: the whole ControlNet and the UNet parameters whose names contain one of
:data:`TRAINABLE_UNET_MODULES` (the official ``--trainable_modules`` default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pasd.training.config import TrainConfig

logger = logging.getLogger(__name__)

#: yangxy/PASD train_pasd.py ``--trainable_modules`` default (substring match on parameter names)
TRAINABLE_UNET_MODULES = ("pixel_attentions", "norm2_plus", "attn2_plus", "proj_in_plus")


def resolve_base(base: str) -> Path:
    """The SD1.5 diffusers folder for ``base``: ``tiny``, an existing folder, or a ``pasd.hub`` artifact.

    Raises:
        FileNotFoundError: A path-like ``base`` that does not exist.
        MissingWeightsError: An artifact that is not on disk (``pasd-bench weights fetch sd15``).
        KeyError: An unknown artifact name.
    """
    if base == "tiny":
        from pasd.pipeline.build import ensure_tiny_models

        return ensure_tiny_models()[0]
    path = Path(base).expanduser()
    if path.is_dir():
        return path
    if "/" in base or base.startswith("."):
        raise FileNotFoundError(
            f"base model folder {path} does not exist (expected a diffusers SD1.5 folder)"
        )
    from pasd import hub

    return hub.resolve(base)


class PASDTrainingModule(nn.Module):
    """The trained pair as one module (one DDP wrapper, one ``accelerator.prepare``).

    Args:
        unet: The PASD UNet (SD frozen, PACA trainable).
        controlnet: The PASD ControlNet (trainable).
        use_paca: False for the "w/o PACA" variant (residual addition only).
    """

    def __init__(self, unet: nn.Module, controlnet: nn.Module, use_paca: bool = True) -> None:
        super().__init__()
        self.unet, self.controlnet, self.use_paca = unet, controlnet, use_paca

    def forward(
        self, noisy_latents: torch.Tensor, timesteps: torch.Tensor, text: torch.Tensor, lq: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Predict the diffusion target; returns ``(prediction, DR RGB estimates)``."""
        rgbs, down, mid = self.controlnet(
            noisy_latents, timesteps, encoder_hidden_states=text, controlnet_cond=lq, return_dict=False
        )
        pred = self.unet(
            noisy_latents, timesteps, encoder_hidden_states=text, down_block_additional_residuals=down,
            mid_block_additional_residual=mid, use_paca=self.use_paca, return_dict=False,
        )[0]  # fmt: skip
        return pred, rgbs


@dataclass
class TrainingModels:
    """Everything a step needs: the trained module, frozen VAE/text encoder, tokenizer, DDPM scheduler."""

    module: PASDTrainingModule
    vae: Any
    text_encoder: Any
    tokenizer: Any
    noise_scheduler: Any
    base_dir: Path

    def latent_shape_for(self, resolution: int) -> tuple[int, int, int]:
        """``(C, resolution / f, resolution / f)`` with the VAE's downsampling factor ``f``."""
        factor = 2 ** (len(self.vae.config.block_out_channels) - 1)
        return (self.vae.config.latent_channels, resolution // factor, resolution // factor)


def set_trainable(module: PASDTrainingModule, paca: bool = True) -> list[str]:
    """Freeze the SD UNet, train the ControlNet and (if ``paca``) the PACA layers.

    Returns:
        The trainable parameter names (prefixed ``unet.``/``controlnet.``).

    Raises:
        ValueError: If ``paca`` is on but no UNet parameter matches :data:`TRAINABLE_UNET_MODULES`.
    """
    module.unet.requires_grad_(False)
    module.controlnet.requires_grad_(True)
    n_paca = 0
    if paca:
        for name, param in module.unet.named_parameters():
            if any(m in name for m in TRAINABLE_UNET_MODULES):
                param.requires_grad_(True)
                n_paca += 1
        if n_paca == 0:
            raise ValueError(f"no UNet parameter matches {TRAINABLE_UNET_MODULES}; is this a PASD UNet?")
    return [n for n, p in module.named_parameters() if p.requires_grad]


def neutralize_paca(unet: nn.Module) -> int:
    """Zero the output projections of every PACA layer, making PACA an identity (for ``paca=false``).

    A full-PACA transformer adds ``proj_out(...)`` to its input and a light PACA adds
    ``attn2_plus(...)``'s ``to_out``; with those at zero the UNet computes exactly the residual
    addition it was trained with, so the saved model gives the "w/o PACA" result whether or not
    inference turns PACA off.

    Returns:
        The number of parameters zeroed.
    """
    n = 0
    with torch.no_grad():
        for name, param in unet.named_parameters():
            full = ".pixel_attentions." in name and ".proj_out." in name
            light = ".attn2_plus.to_out." in name
            if full or light:
                param.zero_()
                n += 1
    return n


def build_models(cfg: TrainConfig, frozen_dtype: torch.dtype = torch.float32) -> TrainingModels:
    """Load the SD1.5 parts from ``cfg.base`` and build fresh PASD networks on top (on the CPU).

    Args:
        cfg: The settings.
        frozen_dtype: dtype of the VAE and text encoder (fp16/bf16 under mixed precision, as the
            official script); the UNet and ControlNet stay float32 (AdamW's master weights).

    Returns:
        The models, trainable flags set, trained module in train mode, frozen parts in eval mode.

    Raises:
        FileNotFoundError / MissingWeightsError: The base model is not there.
    """
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    from pasd.models import PASDControlNetModel, PASDUNet2DConditionModel

    base = resolve_base(cfg.base)
    for sub in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        if not (base / sub).is_dir():
            raise FileNotFoundError(f"{base / sub} not found; the base must be a diffusers SD1.5 folder")
    torch.manual_seed(cfg.seed)  # PACA and DR layers start from seeded random values
    sd_unet = UNet2DConditionModel.from_pretrained(str(base / "unet"))
    unet = PASDUNet2DConditionModel.from_sd_unet(sd_unet, paca_type=cfg.paca_type)
    controlnet = PASDControlNetModel.from_unet(sd_unet, use_rrdb=cfg.use_rrdb, return_rgbs=cfg.dr)
    del sd_unet
    if not cfg.paca:
        neutralize_paca(unet)
    module = PASDTrainingModule(unet, controlnet, use_paca=cfg.paca)
    names = set_trainable(module, paca=cfg.paca)
    if cfg.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
        controlnet.enable_gradient_checkpointing()
    module.train()
    vae = AutoencoderKL.from_pretrained(str(base / "vae"), torch_dtype=frozen_dtype)
    vae.eval().requires_grad_(False)
    text_encoder = CLIPTextModel.from_pretrained(str(base / "text_encoder"), dtype=frozen_dtype)
    text_encoder.eval().requires_grad_(False)
    tokenizer = CLIPTokenizer.from_pretrained(str(base / "tokenizer"))
    noise_scheduler = DDPMScheduler.from_pretrained(str(base / "scheduler"))
    n_train = sum(p.numel() for p in module.parameters() if p.requires_grad)
    logger.info(
        "PASD %s PACA (rrdb=%s, dr=%s, paca=%s) from %s: %d trainable tensors, %.1fM parameters",
        cfg.paca_type, cfg.use_rrdb, cfg.dr, cfg.paca, base, len(names), n_train / 1e6,
    )  # fmt: skip
    return TrainingModels(module, vae, text_encoder, tokenizer, noise_scheduler, base)
