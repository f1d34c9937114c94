"""PASD inference: ``PASDPipeline`` (Real-ISR, colorization), prompt sources, tiling, colour fix, personalization.

Public API::

    PASDPipeline / PASDPipelineOutput   the diffusers pipeline (``from_pretrained(base_sd_dir, pasd_dir)``)
    PROMPT_SOURCES / create_prompt_source / compose_prompt / substitute_words
                                        high-level information -> prompt (none, fixed, class, detect, caption)
    apply_color_fix / wavelet_color_fix / adain_color_fix
    tiled_predict / gaussian_weights / tile_starts
    swap_base_model / merge_lora / enable_lcm_lora   personalized stylization (pasd.pipeline.personalize)
"""

from pasd.pipeline.color_fix import COLOR_FIXES, adain_color_fix, apply_color_fix, wavelet_color_fix
from pasd.pipeline.personalize import enable_lcm_lora, merge_lora, swap_base_model
from pasd.pipeline.pipeline import PASDPipeline, PASDPipelineOutput
from pasd.pipeline.prompts import (
    ADDED_PROMPT,
    NEGATIVE_PROMPT,
    PROMPT_SOURCES,
    PromptSource,
    compose_prompt,
    create_prompt_source,
    substitute_words,
)
from pasd.pipeline.tiling import gaussian_weights, tile_starts, tiled_predict

__all__ = [
    "ADDED_PROMPT",
    "COLOR_FIXES",
    "NEGATIVE_PROMPT",
    "PASDPipeline",
    "PASDPipelineOutput",
    "PROMPT_SOURCES",
    "PromptSource",
    "adain_color_fix",
    "apply_color_fix",
    "compose_prompt",
    "create_prompt_source",
    "enable_lcm_lora",
    "gaussian_weights",
    "merge_lora",
    "substitute_words",
    "swap_base_model",
    "tile_starts",
    "tiled_predict",
    "wavelet_color_fix",
]
