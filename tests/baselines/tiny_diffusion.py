"""Tiny random-weight artifacts for the Table 2 diffusion baselines, in the released on-disk layouts.

* ``sd15``: ``pasd.tiny.save_tiny_sd`` (a ``StableDiffusionPipeline`` folder);
* ``instruct-pix2pix``: a ``StableDiffusionInstructPix2PixPipeline`` folder (UNet with 8 input
  channels, Euler-ancestral scheduler like timbrooks/instruct-pix2pix);
* ``controlnet-tile`` / ``controlnet-canny``: ``ControlNetModel`` folders saved as
  ``diffusion_pytorch_model.bin`` (what lllyasviel's main branches hold);
* ``toonyou``: a single-file checkpoint ``toonyou_beta3.safetensors`` with the UNet in original
  (LDM) key names, as Civitai serves it.

The pipelines are built with ``safety_checker=None``, as the adapters load them; the artifact
table still lists the real repos' ``safety_checker``/``feature_extractor`` files, so small
placeholder files stand in for them (nothing reads them).
"""

from __future__ import annotations

from pathlib import Path

import torch

from baselines.tiny_pipelines import write_tokenizer_release_layout
from pasd.tiny import (
    SD15_SCHEDULER,
    build_tiny_text_encoder,
    build_tiny_tokenizer,
    build_tiny_unet,
    build_tiny_vae,
)

#: files the artifact table lists that a safety_checker=None pipeline never opens
PLACEHOLDERS = (
    "feature_extractor/preprocessor_config.json",
    "safety_checker/config.json",
    "safety_checker/model.safetensors",
)
STYLE_SEED = 7


def _placeholders(folder: Path) -> None:
    for rel in PLACEHOLDERS:
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}\n")


def write_sd15(weights: Path) -> Path:
    from pasd.tiny import save_tiny_sd

    out = save_tiny_sd(weights / "sd15", seed=0)
    write_tokenizer_release_layout(out / "tokenizer")
    _placeholders(out)
    return out


def tiny_ip2p_unet(seed: int = 3):
    """The tiny SD UNet layout with InstructPix2Pix's 8 input channels."""
    from diffusers import UNet2DConditionModel

    from pasd.tiny import tiny_unet_config

    torch.manual_seed(seed)
    return UNet2DConditionModel(**{**tiny_unet_config(), "in_channels": 8})


def write_ip2p(weights: Path) -> Path:
    from diffusers import EulerAncestralDiscreteScheduler, StableDiffusionInstructPix2PixPipeline

    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=build_tiny_vae(0), text_encoder=build_tiny_text_encoder(0), tokenizer=build_tiny_tokenizer(),
        unet=tiny_ip2p_unet(), scheduler=EulerAncestralDiscreteScheduler.from_config(SD15_SCHEDULER),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )  # fmt: skip
    out = weights / "instruct-pix2pix"
    pipe.save_pretrained(out)
    write_tokenizer_release_layout(out / "tokenizer")
    _placeholders(out)
    return out


def write_controlnet(weights: Path, artifact: str, seed: int = 5) -> Path:
    from diffusers import ControlNetModel

    torch.manual_seed(seed)
    cn = ControlNetModel.from_unet(
        build_tiny_unet(0), conditioning_embedding_out_channels=(4, 8, 8, 16)
    )  # 8x down, as SD
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # zero convs made non-zero, so the control image matters, as after training
        for name, p in cn.named_parameters():
            if name.startswith(
                ("controlnet_down_blocks", "controlnet_mid_block", "controlnet_cond_embedding.conv_out")
            ):
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    out = weights / artifact
    cn.save_pretrained(out, safe_serialization=False)
    return out


def style_unet():
    """The tiny "personalized" UNet: SD1.5's tiny layout, other weights."""
    return build_tiny_unet(seed=STYLE_SEED)


def write_toonyou(weights: Path) -> Path:
    from safetensors.torch import save_file

    from tests.pasd.pipeline.test_personalize import _to_ldm

    path = weights / "toonyou" / "toonyou_beta3.safetensors"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in _to_ldm(style_unet().state_dict()).items()}, str(path))
    return path


def write_all(weights: Path) -> Path:
    """Every artifact the three diffusion baselines need; returns ``weights``."""
    write_sd15(weights)
    write_ip2p(weights)
    write_controlnet(weights, "controlnet-tile", seed=5)
    write_controlnet(weights, "controlnet-canny", seed=6)
    write_toonyou(weights)
    return weights
