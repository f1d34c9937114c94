"""PASD inference: ``PASDPipeline`` (Real-ISR, colorization), prompt sources, tiling, colour fix, personalization.

Public API::

    PASDPipeline / PASDPipelineOutput   the diffusers pipeline (``from_pretrained(base_sd_dir, pasd_dir)``)
    PROMPT_SOURCES / create_prompt_source / compose_prompt / substitute_words
                                        high-level information -> prompt (none, fixed, class, detect, caption)
    apply_color_fix / wavelet_color_fix / adain_color_fix
    tiled_predict / gaussian_weights / tile_starts
    swap_base_model / merge_lora / enable_lcm_lora   personalized stylization (pasd.pipeline.personalize)

Names are imported on first use (PEP 562): the pipeline module pulls in diffusers (~5 s on a CPU),
which the method registry, ``--help`` and ``--plan-only`` never need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the submodule that defines it
_WHERE: dict[str, str] = {
    **dict.fromkeys(("COLOR_FIXES", "adain_color_fix", "apply_color_fix", "wavelet_color_fix"), "color_fix"),
    **dict.fromkeys(("enable_lcm_lora", "merge_lora", "swap_base_model"), "personalize"),
    **dict.fromkeys(("PASDPipeline", "PASDPipelineOutput"), "pipeline"),
    **dict.fromkeys(
        (
            "ADDED_PROMPT",
            "NEGATIVE_PROMPT",
            "PROMPT_SOURCES",
            "PromptSource",
            "compose_prompt",
            "create_prompt_source",
            "substitute_words",
        ),
        "prompts",
    ),  # fmt: skip
    **dict.fromkeys(("gaussian_weights", "tile_starts", "tiled_predict"), "tiling"),
}
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

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
