"""Range and consistency checks of degradation configs; errors name the key and the allowed set."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pasd.degradation.config import FinalConfig, StageConfig

KERNEL_TYPES = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
RESIZE_MODES = ("area", "bilinear", "bicubic")


def as_tuple(value: Any, key: str) -> tuple:
    """YAML lists become tuples (hashable, frozen configs)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"config key {key!r} must be a list, got {value!r}")
    return tuple(value)


def check_prob(p: float, key: str) -> None:
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"config key {key!r} must be a probability in [0, 1], got {p!r}")


def check_range(r: tuple, key: str, low: float = -math.inf) -> None:
    if len(r) != 2 or not low <= r[0] <= r[1]:
        raise ValueError(f"config key {key!r} must be [lo, hi] with {low} <= lo <= hi, got {list(r)!r}")


def check_weights(weights: tuple, n: int, key: str) -> None:
    if len(weights) != n or any(w < 0 for w in weights) or not math.isclose(sum(weights), 1.0, abs_tol=1e-6):
        raise ValueError(
            f"config key {key!r} must be {n} non-negative weights summing to 1, got {list(weights)!r}"
        )


def check_choices(values: tuple, allowed: tuple, key: str) -> None:
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise ValueError(f"config key {key!r} has unknown entries {bad!r}; allowed: {list(allowed)!r}")


def check_stage(stage: StageConfig, prefix: str) -> None:
    """Validate one stage's ranges and probabilities.

    Raises:
        ValueError: naming ``prefix.key``, the bad value and what is allowed.
    """
    check_choices(stage.kernel_list, KERNEL_TYPES, f"{prefix}.kernel_list")
    check_weights(stage.kernel_prob, len(stage.kernel_list), f"{prefix}.kernel_prob")
    check_weights(stage.resize_prob, 3, f"{prefix}.resize_prob")
    check_choices(stage.resize_modes, RESIZE_MODES, f"{prefix}.resize_modes")
    for key in ("sinc_prob", "gaussian_noise_prob", "gray_noise_prob", "blur_prob"):
        check_prob(getattr(stage, key), f"{prefix}.{key}")
    for key in ("blur_sigma", "noise_range", "poisson_scale_range"):
        check_range(getattr(stage, key), f"{prefix}.{key}", low=0.0)
    check_range(stage.jpeg_range, f"{prefix}.jpeg_range", low=1.0)
    # Real-ESRGAN draws beta from [lo, 1] or [1, hi] with equal chance, so 1 must lie inside.
    for key in ("betag_range", "betap_range"):
        r = getattr(stage, key)
        check_range(r, f"{prefix}.{key}", low=1e-6)
        if not r[0] <= 1.0 <= r[1]:
            raise ValueError(f"config key {prefix}.{key} must contain 1, got {list(r)!r}")
    lo, hi = stage.resize_range
    if not 0 < lo <= 1 <= hi:
        raise ValueError(f"config key {prefix}.resize_range must satisfy 0 < lo <= 1 <= hi, got {[lo, hi]!r}")


def check_final(final: FinalConfig) -> None:
    """Validate the final step's probabilities and modes."""
    check_prob(final.sinc_prob, "final.sinc_prob")
    check_prob(final.resize_then_jpeg_prob, "final.resize_then_jpeg_prob")
    check_choices(final.resize_modes, RESIZE_MODES, "final.resize_modes")


def check_kernel_sizes(sizes: tuple[int, ...], pad_to: int) -> None:
    if not sizes or any(k % 2 == 0 or k < 3 or k > pad_to for k in sizes) or pad_to % 2 == 0:
        raise ValueError(
            f"kernel_sizes must be odd, >= 3 and <= kernel_pad_to (odd); got {sizes!r}, {pad_to!r}"
        )
