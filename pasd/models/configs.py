"""Reference architecture configs (the released PASD models are all SD1.5-sized)."""

from __future__ import annotations

from types import MappingProxyType

#: stable-diffusion-v1-5/unet/config.json's architecture entries (the PASD releases' ``unet_config``)
SD15_UNET_CONFIG = MappingProxyType(
    {
        "act_fn": "silu",
        "attention_head_dim": 8,
        "block_out_channels": (320, 640, 1280, 1280),
        "center_input_sample": False,
        "cross_attention_dim": 768,
        "down_block_types": (
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "DownBlock2D",
        ),
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 4,
        "layers_per_block": 2,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": 32,
        "out_channels": 4,
        "sample_size": 64,
        "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    }
)

#: stable-diffusion-v1-5/vae/config.json's architecture entries (SD's AutoencoderKL, 8x downsampling)
SD15_VAE_CONFIG = MappingProxyType(
    {
        "act_fn": "silu",
        "block_out_channels": (128, 256, 512, 512),
        "down_block_types": ("DownEncoderBlock2D",) * 4,
        "in_channels": 3,
        "latent_channels": 4,
        "layers_per_block": 2,
        "norm_num_groups": 32,
        "out_channels": 3,
        "sample_size": 512,
        "up_block_types": ("UpDecoderBlock2D",) * 4,
    }
)

#: stable-diffusion-v1-5/text_encoder/config.json (CLIP ViT-L/14's text tower) for ``CLIPTextConfig``
SD15_TEXT_ENCODER_CONFIG = MappingProxyType(
    {
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_act": "quick_gelu",
        "hidden_size": 768,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": 77,
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 1,
        "projection_dim": 768,
        "vocab_size": 49408,
    }
)
