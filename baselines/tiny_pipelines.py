"""Tiny random-weight copies of the diffusers SR pipelines, written in the released folders' layout.

For tests and timing without downloads: the same classes, component folders, file names and
scheduler configs as the Hugging Face repos (``CompVis/ldm-super-resolution-4x-openimages``:
``vqvae``/``unet`` as PyTorch ``.bin``; ``stabilityai/stable-diffusion-x4-upscaler``: ``vae``,
``unet``, ``text_encoder`` as safetensors, ``tokenizer``, two schedulers), small widths. Their
outputs are meaningless images: use them for plumbing and timing, never for numbers.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import torch

from pasd.utils.io import atomic_write_json

logger = logging.getLogger(__name__)

#: ldm-super-resolution-4x-openimages/scheduler/scheduler_config.json (converted from
#: duongna/ldm-super-resolution, whose identical 286-byte file we read)
LDM_SR_SCHEDULER = {
    "beta_end": 0.0155, "beta_schedule": "scaled_linear", "beta_start": 0.0015, "clip_sample": False,
    "num_train_timesteps": 1000, "set_alpha_to_one": True, "steps_offset": 1, "trained_betas": None,
}  # fmt: skip
#: stable-diffusion-x4-upscaler/scheduler/scheduler_config.json
SD_UPSCALER_SCHEDULER = {
    "beta_end": 0.02, "beta_schedule": "scaled_linear", "beta_start": 0.0001, "clip_sample": False,
    "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": False,
    "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
}  # fmt: skip
#: stable-diffusion-x4-upscaler/low_res_scheduler/scheduler_config.json
SD_UPSCALER_LOW_RES_SCHEDULER = {
    "beta_end": 0.02, "beta_schedule": "scaled_linear", "beta_start": 0.0001, "clip_sample": True,
    "num_train_timesteps": 1000, "prediction_type": "epsilon", "trained_betas": None,
    "variance_type": "fixed_small",
}  # fmt: skip
#: the released upscaler's max_noise_level (model_index.json)
SD_UPSCALER_MAX_NOISE_LEVEL = 350


def _staged(out: Path, write) -> Path:
    """Write into a sibling temp folder, then rename it into place: a crash leaves no half model."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def build_tiny_ldm_sr(seed: int = 0):
    """A random tiny ``LDMSuperResolutionPipeline``: the release's block types and 4x VQ autoencoder.

    Returns:
        The pipeline (CPU, fp32).
    """
    from diffusers import DDIMScheduler, LDMSuperResolutionPipeline, UNet2DModel, VQModel

    torch.manual_seed(seed)
    # released: block_out_channels (160, 320, 320, 640), the lowest level with attention
    unet = UNet2DModel(
        sample_size=32, in_channels=6, out_channels=3, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=8, norm_num_groups=8,
    )  # fmt: skip
    torch.manual_seed(seed + 1)
    # released: block_out_channels (128, 256, 512), 3 latent channels, 8192 codes
    vqvae = VQModel(
        in_channels=3, out_channels=3, block_out_channels=(8, 16, 16), latent_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
        layers_per_block=1, norm_num_groups=4, num_vq_embeddings=64, sample_size=64,
    )  # fmt: skip
    scheduler = DDIMScheduler.from_config(LDM_SR_SCHEDULER)
    return LDMSuperResolutionPipeline(vqvae=vqvae.eval(), unet=unet.eval(), scheduler=scheduler)


def build_tiny_sd_upscaler(seed: int = 0):
    """A random tiny ``StableDiffusionUpscalePipeline``: the release's block layout, 4x VAE, v-prediction.

    Returns:
        The pipeline (CPU, fp32).
    """
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )

    from pasd.tiny import TEXT_DIM, build_tiny_text_encoder, build_tiny_tokenizer

    torch.manual_seed(seed)
    # released: block_out_channels (256, 512, 512, 1024), only_cross_attention on the first three
    unet = UNet2DConditionModel(
        sample_size=32, in_channels=7, out_channels=4, layers_per_block=1, block_out_channels=(16, 32, 32),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_DIM, attention_head_dim=8, use_linear_projection=True,
        only_cross_attention=(True, True, False), num_class_embeds=1000, norm_num_groups=8,
    )  # fmt: skip
    torch.manual_seed(seed + 1)
    # released: block_out_channels (128, 256, 512) -> 4x, 4 latent channels, scaling 0.08333
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, block_out_channels=(8, 16, 16), latent_channels=4,
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
        layers_per_block=1, norm_num_groups=4, sample_size=64, scaling_factor=0.08333,
    )  # fmt: skip
    return StableDiffusionUpscalePipeline(
        vae=vae.eval(), text_encoder=build_tiny_text_encoder(seed + 2), tokenizer=build_tiny_tokenizer(),
        unet=unet.eval(), low_res_scheduler=DDPMScheduler.from_config(SD_UPSCALER_LOW_RES_SCHEDULER),
        scheduler=DDIMScheduler.from_config(SD_UPSCALER_SCHEDULER), max_noise_level=SD_UPSCALER_MAX_NOISE_LEVEL,
    )  # fmt: skip


def save_tiny_ldm_sr(out_dir: str | Path, seed: int = 0) -> Path:
    """Write a tiny ``ldm-sr-4x`` folder (``model_index.json``, ``scheduler``, ``unet``, ``vqvae``).

    The release ships PyTorch ``.bin`` weights only, so these are ``.bin`` too: the artifact's
    file list (``pasd/hub/artifacts.toml``) and the loader see the same names as with the real files.

    Returns:
        ``out_dir``.
    """
    pipe = build_tiny_ldm_sr(seed)
    return _staged(Path(out_dir), lambda tmp: pipe.save_pretrained(tmp, safe_serialization=False))


def save_tiny_sd_upscaler(out_dir: str | Path, seed: int = 0) -> Path:
    """Write a tiny ``sd-x4-upscaler`` folder in the release's layout (safetensors weights).

    Returns:
        ``out_dir``.
    """
    pipe = build_tiny_sd_upscaler(seed)

    def write(tmp: Path) -> None:
        pipe.save_pretrained(tmp)
        write_tokenizer_release_layout(tmp / "tokenizer")
        # the release's model_index.json has no safety checker, watermarker or feature extractor
        index = pipe.load_config(str(tmp))
        for key in ("safety_checker", "watermarker", "feature_extractor"):
            index.pop(key, None)
        atomic_write_json(tmp / "model_index.json", dict(index))

    return _staged(Path(out_dir), write)


def write_tokenizer_release_layout(folder: Path) -> None:
    """Rewrite a saved ``CLIPTokenizer`` as the release ships it: ``vocab.json`` + ``merges.txt``.

    transformers 5 saves a single ``tokenizer.json``; the released folder has no such file, so
    the loader takes another path (building the fast tokenizer from vocab and merges). Writing
    the release's files, and no ``tokenizer.json``, tests that path.
    """
    import json

    from pasd.utils.io import atomic_write_text

    model = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]
    atomic_write_json(folder / "vocab.json", model["vocab"])
    merges = ["#version: 0.2", *(" ".join(m) if isinstance(m, list) else m for m in model["merges"])]
    atomic_write_text(folder / "merges.txt", "\n".join(merges) + "\n")
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    special = {k: config[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if k in config}
    atomic_write_json(folder / "special_tokens_map.json", special)
    (folder / "tokenizer.json").unlink()
