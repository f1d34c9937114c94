"""Tiny random-weight SD1.5-shaped components and PASD models, saved in the real on-disk layouts.

For tests and demos without downloads: same classes and parameter names as the real models,
small widths. ``save_tiny_sd`` writes a ``StableDiffusionPipeline`` folder
(``unet, vae, text_encoder, tokenizer, scheduler, model_index.json``); ``save_tiny_pasd`` writes
a released-style PASD checkpoint folder (``unet, controlnet``). The outputs are meaningless
images: use them for plumbing, never for numbers.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import torch

from pasd.utils.io import atomic_write_json

logger = logging.getLogger(__name__)

#: PASD release -> (PACA layout, RRDB blocks in the DR module)
VARIANTS: dict[str, tuple[str, bool]] = {
    "pasd": ("full", False),
    "pasd_rrdb": ("full", True),
    "pasd_light": ("light", False),
    "pasd_light_rrdb": ("light", True),
}
Variant = Literal["pasd", "pasd_rrdb", "pasd_light", "pasd_light_rrdb"]
#: tiny text width: the CLIP hidden size and the UNet's cross_attention_dim
TEXT_DIM = 32
#: SD1.5's scheduler config (stable-diffusion-v1-5/scheduler/scheduler_config.json)
SD15_SCHEDULER = {
    "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
    "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None, "clip_sample": False,
}  # fmt: skip


@contextmanager
def _staged_dir(out: Path) -> Iterator[Path]:
    """Write into a sibling temp folder, then swap it in: a crash never leaves a half-written model."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def tiny_unet_config() -> dict:
    """SD1.5's UNet layout (2 layers per block, cross-attention blocks, ``UpBlock2D`` lowest) at width 32/64."""
    return {
        "sample_size": 16,
        "in_channels": 4,
        "out_channels": 4,
        "block_out_channels": (32, 64),
        "layers_per_block": 2,
        "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"),
        "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
        "cross_attention_dim": TEXT_DIM,
        "attention_head_dim": (2, 4),
        "norm_num_groups": 8,
    }


def build_tiny_unet(seed: int = 0):
    """A random tiny SD ``UNet2DConditionModel``."""
    from diffusers import UNet2DConditionModel

    torch.manual_seed(seed)
    return UNet2DConditionModel(**tiny_unet_config())


def build_tiny_vae(seed: int = 0):
    """A random tiny ``AutoencoderKL`` with SD's 8x downsampling (4 levels) and 4 latent channels."""
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    return AutoencoderKL(
        block_out_channels=(8, 8, 16, 16),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=4,
        sample_size=128,
    )


def build_tiny_text_encoder(seed: int = 0):
    """A random tiny ``CLIPTextModel`` (hidden size :data:`TEXT_DIM`, 77 positions like SD)."""
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    config = CLIPTextConfig(
        vocab_size=1000, hidden_size=TEXT_DIM, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=77, projection_dim=TEXT_DIM,
        bos_token_id=0, eos_token_id=1, pad_token_id=1,
    )  # fmt: skip
    return CLIPTextModel(config).eval()


def _bytes_to_unicode() -> dict[int, str]:
    # the byte -> printable-character table of byte-level BPE (GPT-2/CLIP), so every byte has a token
    keep = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    )
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def build_tiny_tokenizer():
    """A ``CLIPTokenizer`` over single bytes plus a few merges (no download; ids < 1000)."""
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in _bytes_to_unicode().values():
        for token in (ch, ch + "</w>"):
            vocab.setdefault(token, len(vocab))
    merges = [("t", "h"), ("th", "e</w>"), ("a", "n"), ("an", "d</w>"), ("o", "f</w>"), ("i", "n</w>")]
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def build_tiny_scheduler():
    """SD1.5's ``PNDMScheduler`` (its config is small already)."""
    from diffusers import PNDMScheduler

    # from_config, like loading the real folder: it keeps clip_sample etc. for other schedulers
    return PNDMScheduler.from_config(SD15_SCHEDULER)


def build_tiny_pasd(variant: Variant = "pasd", seed: int = 0, unet=None, randomize_zero_init: bool = True):
    """A tiny PASD ``(unet, controlnet)`` built from a tiny SD UNet the way training starts.

    Args:
        variant: One of :data:`VARIANTS`.
        seed: Seeds the SD UNet (if built here) and the new layers.
        unet: The SD base UNet; a fresh :func:`build_tiny_unet` when None.
        randomize_zero_init: Give the zero convolutions small random weights so the ControlNet
            residuals (and thus PACA) are non-zero, as after training.

    Returns:
        ``(PASDUNet2DConditionModel, PASDControlNetModel)``.

    Raises:
        KeyError: For an unknown variant (lists the known ones).
    """
    from pasd.models import PASDControlNetModel, PASDUNet2DConditionModel

    if variant not in VARIANTS:
        raise KeyError(f"unknown PASD variant {variant!r}; known: {sorted(VARIANTS)}")
    paca_type, use_rrdb = VARIANTS[variant]
    base = unet if unet is not None else build_tiny_unet(seed)
    torch.manual_seed(seed + 1)
    pasd_unet = PASDUNet2DConditionModel.from_sd_unet(base, paca_type=paca_type)
    controlnet = PASDControlNetModel.from_unet(base, use_rrdb=use_rrdb)
    if randomize_zero_init:
        generator = torch.Generator().manual_seed(seed + 2)
        for name, param in controlnet.named_parameters():
            if name.startswith(
                ("controlnet_down_blocks", "controlnet_mid_block", "controlnet_cond_embedding.conv_out")
            ):
                with torch.no_grad():
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.05)
    return pasd_unet.eval(), controlnet.eval()


def save_tiny_sd(out_dir: str | Path, seed: int = 0) -> Path:
    """Write a tiny ``StableDiffusionPipeline`` folder (the ``sd15`` artifact layout).

    Returns:
        ``out_dir``.
    """
    out = Path(out_dir)
    with _staged_dir(out) as tmp:
        _write_sd(tmp, seed)
    logger.info("wrote tiny SD1.5-shaped pipeline to %s", out)
    return out


def _write_sd(out: Path, seed: int) -> None:
    build_tiny_unet(seed).save_pretrained(out / "unet")
    build_tiny_vae(seed).save_pretrained(out / "vae")
    build_tiny_text_encoder(seed).save_pretrained(out / "text_encoder")
    build_tiny_tokenizer().save_pretrained(out / "tokenizer")
    build_tiny_scheduler().save_pretrained(out / "scheduler")
    atomic_write_json(
        out / "model_index.json",
        {
            "_class_name": "StableDiffusionPipeline",
            "feature_extractor": [None, None],
            "safety_checker": [None, None],
            "requires_safety_checker": False,
            "scheduler": ["diffusers", "PNDMScheduler"],
            "text_encoder": ["transformers", "CLIPTextModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
    )


def save_released_layout(unet, controlnet, out_dir: str | Path) -> Path:
    """Save PASD models as yangxy/PASD releases them: ``<out>/{unet,controlnet}`` with its config names.

    The release's configs carry its classes' names and no ``paca_type``; this writes the same so
    the loaders are tested on what users download.

    Returns:
        ``out_dir``.
    """
    out = Path(out_dir)
    for sub, model, class_name in (
        (("unet", unet, "UNet2DConditionModel")),
        ("controlnet", controlnet, "ControlNetModel"),
    ):
        model.save_pretrained(out / sub)
        config = model.load_config(str(out / sub))
        config["_class_name"] = class_name
        config.pop("paca_type", None)
        atomic_write_json(out / sub / "config.json", config)
    return out


def save_tiny_pasd(
    out_dir: str | Path, variant: Variant = "pasd", seed: int = 0, sd_dir: str | Path | None = None
) -> Path:
    """Write a tiny released-style PASD checkpoint folder ``<out>/{unet,controlnet}``.

    Args:
        out_dir: Destination.
        variant: One of :data:`VARIANTS`.
        seed: Random seed.
        sd_dir: A tiny SD folder (from :func:`save_tiny_sd`) whose UNet to start from; else a fresh one.

    Returns:
        ``out_dir``.
    """
    base = None
    if sd_dir is not None:
        from diffusers import UNet2DConditionModel

        base = UNet2DConditionModel.from_pretrained(str(Path(sd_dir) / "unet"))
    unet, controlnet = build_tiny_pasd(variant, seed=seed, unet=base)
    with _staged_dir(Path(out_dir)) as tmp:
        save_released_layout(unet, controlnet, tmp)
    logger.info("wrote tiny %s checkpoint to %s", variant, out_dir)
    return Path(out_dir)


#: open_clip model name of the tiny random CoCa (same architecture family as ``coca_ViT-L-14``)
TINY_COCA_NAME = "pasd-tiny-coca"
#: ``coca_ViT-L-14``'s config at width 32 and one layer (vocabulary and context length kept)
TINY_COCA_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 224, "layers": 1, "width": 32, "head_width": 16, "patch_size": 32, "attentional_pool": True,
                   "attn_pooler_heads": 2, "output_tokens": True},
    "text_cfg": {"context_length": 76, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1,
                 "embed_cls": True, "output_tokens": True},
    "multimodal_cfg": {"context_length": 76, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1,
                       "attn_pooler_heads": 2},
    "custom_text": True,
}  # fmt: skip


def register_tiny_coca(folder: str | Path) -> str:
    """Write the tiny CoCa config into ``folder`` and register it with open_clip; returns its name."""
    import open_clip

    path = Path(folder) / f"{TINY_COCA_NAME}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, TINY_COCA_CONFIG)
    open_clip.add_model_config(path)
    return TINY_COCA_NAME


def save_tiny_coca(out_dir: str | Path, seed: int = 0) -> Path:
    """A random tiny CoCa saved as the ``coca-vit-l14`` artifact lays it out (``open_clip_pytorch_model.bin``).

    Returns:
        The weights file.
    """
    import open_clip

    out = Path(out_dir)
    register_tiny_coca(out)
    torch.manual_seed(seed)
    model = open_clip.create_model(TINY_COCA_NAME, pretrained=None)
    # open_clip never initialises the caption decoder's output projection (MultimodalTransformer
    # allocates it with torch.empty and its init_parameters is never called, and fails if called:
    # it reads a missing .transformer). Left alone, the captions depend on whatever memory the
    # allocator hands out: all-zero logits (ties) in a fresh process, garbage after other work.
    # Use the init that init_parameters intends.
    proj = model.text_decoder.text_projection
    with torch.no_grad():
        torch.nn.init.normal_(proj, std=proj.shape[0] ** -0.5)
    path = out / "open_clip_pytorch_model.bin"
    torch.save(model.state_dict(), path)
    return path
