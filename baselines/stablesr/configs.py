"""StableSR's architecture as data: the official LDM config values and their diffusers equivalents.

``RELEASE_CONFIG`` holds ``configs/stableSRNew/v2-finetune_text_T_512.yaml`` (IceClear/StableSR
398ee93), the config every released 512 checkpoint (``stablesr_000117``, ``stablesr_turbo``) is
run with, and the CFW autoencoder's ``configs/autoencoder/autoencoder_kl_64x64x4_resi.yaml``
``ddconfig`` (the same SD 2.1 VAE layout). A JSON file with the same keys describes other sizes
(the tests' tiny models).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from baselines.stablesr.text import VIT_H_TEXT

RELEASE_CONFIG = MappingProxyType(
    {
        "unet_config": {
            "in_channels": 4, "out_channels": 4, "model_channels": 320, "attention_resolutions": [4, 2, 1],
            "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4], "num_head_channels": 64,
            "use_spatial_transformer": True, "use_linear_in_transformer": True, "transformer_depth": 1,
            "context_dim": 1024, "legacy": False, "semb_channels": 256,
        },
        "encoder_config": {
            "in_channels": 4, "model_channels": 256, "out_channels": 256, "num_res_blocks": 2,
            "attention_resolutions": [4, 2, 1], "channel_mult": [1, 1, 2, 2], "num_heads": 4,
            "num_head_channels": -1, "use_scale_shift_norm": False, "resblock_updown": False,
        },
        "vae_ddconfig": {
            "double_z": True, "z_channels": 4, "resolution": 512, "in_channels": 3, "out_ch": 3, "ch": 128,
            "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0,
        },
        "vae_embed_dim": 4,
        "text_config": dict(VIT_H_TEXT),
        "scale_factor": 0.18215,
        "linear_start": 0.00085,
        "linear_end": 0.0120,
        "timesteps": 1000,
    }
)  # fmt: skip

_REQUIRED = ("unet_config", "encoder_config", "vae_ddconfig", "text_config")


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    """The released config, or a JSON file with its keys (missing scalars default to the release).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If the JSON lacks a section or is not JSON.
    """
    if path is None:
        return json.loads(json.dumps(dict(RELEASE_CONFIG)))  # a deep, mutable copy
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"StableSR model config {p} not found")
    try:
        raw = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p} is not JSON: {exc}") from exc
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"{p} lacks {missing}; a StableSR config needs {list(_REQUIRED)}")
    scalars = {k: v for k, v in RELEASE_CONFIG.items() if k not in _REQUIRED}
    return {**scalars, **raw}


def _check(section: str, params: dict, allowed: dict[str, object]) -> None:
    bad = {k: params[k] for k, v in allowed.items() if k in params and params[k] != v}
    if bad:
        raise ValueError(f"{section}: unsupported settings {bad}; StableSR's released layout uses {allowed}")


def unet_kwargs(p: dict) -> dict[str, Any]:
    """``UNetModelDualcondV2`` params -> :class:`~baselines.stablesr.unet.StableSRUNet2DConditionModel` kwargs.

    Raises:
        ValueError: For settings the released UNet does not use (scale-shift norm, resblock
            up/down, legacy head sizes, conv projections, a fixed head count).
    """
    _check("unet_config", p, {"use_scale_shift_norm": False, "resblock_updown": False, "legacy": False,
                              "use_spatial_transformer": True})  # fmt: skip
    if p.get("num_head_channels", -1) <= 0:
        raise ValueError(f"unet_config: num_head_channels must be > 0 (heads = width // it), got {p}")
    widths = [p["model_channels"] * m for m in p["channel_mult"]]
    attn = [2**level in p["attention_resolutions"] for level in range(len(widths))]
    return {
        "in_channels": p["in_channels"],
        "out_channels": p["out_channels"],
        "block_out_channels": tuple(widths),
        "layers_per_block": p["num_res_blocks"],
        "down_block_types": tuple("CrossAttnDownBlock2D" if a else "DownBlock2D" for a in attn),
        "up_block_types": tuple("CrossAttnUpBlock2D" if a else "UpBlock2D" for a in attn[::-1]),
        "attention_head_dim": tuple(w // p["num_head_channels"] for w in widths),
        "cross_attention_dim": p["context_dim"],
        "use_linear_projection": bool(p.get("use_linear_in_transformer", False)),
        "transformer_layers_per_block": p.get("transformer_depth", 1),
        "semb_channels": p["semb_channels"],
    }


def encoder_kwargs(p: dict) -> dict[str, Any]:
    """``EncoderUNetModelWT`` params -> :class:`~baselines.stablesr.encoder.TimeAwareEncoderModel` kwargs.

    Raises:
        ValueError: For settings the released encoder does not use.
    """
    _check("encoder_config", p, {"use_scale_shift_norm": False, "resblock_updown": False, "num_head_channels": -1,
                                 "use_new_attention_order": False})  # fmt: skip
    return {
        "in_channels": p["in_channels"],
        "model_channels": p["model_channels"],
        "out_channels": p["out_channels"],
        "num_res_blocks": p["num_res_blocks"],
        "attention_resolutions": tuple(p["attention_resolutions"]),
        "channel_mult": tuple(p["channel_mult"]),
        "num_heads": p.get("num_heads", 1),
    }


def vae_kwargs(ddconfig: dict, embed_dim: int, scale_factor: float) -> dict[str, Any]:
    """LDM ``ddconfig`` -> diffusers ``AutoencoderKL`` kwargs (the CFW model takes the same ones).

    Raises:
        ValueError: For layouts diffusers' ``AutoencoderKL`` cannot express (attention inside
            the resolution levels, a single-moment encoder, ``embed_dim != z_channels``).
    """
    if ddconfig.get("attn_resolutions"):
        raise ValueError(
            f"vae_ddconfig: attn_resolutions must be empty (SD VAE), got {ddconfig['attn_resolutions']}"
        )
    if not ddconfig.get("double_z", True) or embed_dim != ddconfig["z_channels"]:
        raise ValueError(
            f"vae_ddconfig: need double_z and embed_dim == z_channels, got {ddconfig}, {embed_dim}"
        )
    return {
        "in_channels": ddconfig["in_channels"],
        "out_channels": ddconfig["out_ch"],
        "block_out_channels": tuple(ddconfig["ch"] * m for m in ddconfig["ch_mult"]),
        "layers_per_block": ddconfig["num_res_blocks"],
        "latent_channels": ddconfig["z_channels"],
        "sample_size": ddconfig["resolution"],
        "scaling_factor": scale_factor,
    }
