"""Seeded bootstrap confidence intervals for per-image means (scipy's percentile bootstrap)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MeanCI:
    """A mean with its bootstrap confidence interval (``low``/``high`` are None for n < 2)."""

    mean: float
    low: float | None
    high: float | None
    n: int
    confidence: float
    n_resamples: int
    seed: int


def bootstrap_mean_ci(
    values: np.ndarray, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> MeanCI:
    """Mean of ``values`` and its percentile-bootstrap interval, reproducible for a given seed.

    Args:
        values: per-image scores, shape ``(N,)``; must be finite.
        confidence: interval level in (0, 1).
        n_resamples: bootstrap resamples (2000 keeps the 95% limits stable to ~1e-3 of the spread).
        seed: seeds the resampling, recorded next to the interval.

    Raises:
        ValueError: empty or non-finite values, or a bad ``confidence``/``n_resamples``.

    Example:
        >>> ci = bootstrap_mean_ci(np.array([1.0, 2.0, 3.0, 4.0]), seed=0)
        >>> ci.mean, ci.low <= ci.mean <= ci.high
        (2.5, True)
    """
    from scipy.stats import bootstrap

    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError("no values to average")
    if not np.isfinite(x).all():
        raise ValueError("values contain NaN or inf")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    mean = float(x.mean())
    if x.size < 2:
        return MeanCI(mean, None, None, int(x.size), confidence, n_resamples, seed)
    if np.all(x == x[0]):  # every resample has the same mean; scipy would warn about degeneracy
        return MeanCI(mean, mean, mean, int(x.size), confidence, n_resamples, seed)
    res = bootstrap(
        (x,),
        np.mean,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    ci = res.confidence_interval
    return MeanCI(mean, float(ci.low), float(ci.high), int(x.size), confidence, n_resamples, seed)
