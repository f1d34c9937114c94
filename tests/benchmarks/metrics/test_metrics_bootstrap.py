"""Bootstrap CIs: seeded, reproducible, and about the textbook width on normal data."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.metrics import bootstrap_mean_ci


def test_seeded_and_reproducible():
    x = np.random.default_rng(1).normal(30, 2, size=40)
    a, b = bootstrap_mean_ci(x, seed=7), bootstrap_mean_ci(x, seed=7)
    assert (a.low, a.high) == (b.low, b.high)
    c = bootstrap_mean_ci(x, seed=8)
    assert (a.low, a.high) != (c.low, c.high)
    assert a.low < a.mean < a.high and a.mean == pytest.approx(x.mean())


def test_width_close_to_normal_theory():
    """For n = 400 normal samples the 95% percentile interval is ~ mean +- 1.96 sd / sqrt(n)."""
    x = np.random.default_rng(0).normal(0, 1, size=400)
    ci = bootstrap_mean_ci(x, n_resamples=4000, seed=0)
    half = 1.96 * x.std(ddof=1) / np.sqrt(len(x))
    assert (ci.high - ci.low) / 2 == pytest.approx(half, rel=0.1)


def test_degenerate_and_bad_inputs():
    one = bootstrap_mean_ci(np.array([3.0]))
    assert one.mean == 3.0 and one.low is None and one.high is None
    const = bootstrap_mean_ci(np.full(5, 2.0))
    assert (const.low, const.high) == (2.0, 2.0)
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_mean_ci(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="no values"):
        bootstrap_mean_ci(np.array([]))
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_mean_ci(np.array([1.0, 2.0]), confidence=95)
