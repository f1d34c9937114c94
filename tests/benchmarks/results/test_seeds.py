"""A cell over several seeds: the mean, and the Student-t interval of that mean over seeds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchmarks.results import SET_LEVEL_COLUMNS
from benchmarks.results.seeds import mean_over_seeds


def _rows(values, status="ok"):
    return pd.DataFrame(
        [
            dict(run_id=1, method="m", dataset="d", metric="psnr", seed=s, value=v, ci_low=v - 1, ci_high=v + 1,
                 n=10 + s, status=status if s == 1 else "ok", note="", run_status="complete")
            for s, v in enumerate(values)
        ],
        columns=[*SET_LEVEL_COLUMNS, "run_status"],
    )  # fmt: skip


def test_three_seeds_give_the_mean_and_the_t_interval_from_the_t_table():
    out = mean_over_seeds(_rows([1.0, 2.0, 3.0])).iloc[0]
    # sd 1, t(0.975, 2 df) = 4.303 (printed t tables): half width 4.303 / sqrt(3)
    half = 4.302653 / math.sqrt(3)
    assert out["value"] == 2.0 and out["n_seeds"] == 3 and out["n"] == 10
    assert out["ci_low"] == pytest.approx(2.0 - half, abs=1e-5)
    assert out["ci_high"] == pytest.approx(2.0 + half, abs=1e-5)
    assert out["note"] == "mean over seeds [0, 1, 2] (seed 0: 1, seed 1: 2, seed 2: 3)"


def test_two_equal_seeds_have_a_zero_width_interval_and_one_seed_keeps_its_own():
    two = mean_over_seeds(_rows([5.0, 5.0])).iloc[0]
    assert (two["ci_low"], two["value"], two["ci_high"]) == (5.0, 5.0, 5.0)
    one = mean_over_seeds(_rows([5.0])).iloc[0]
    assert (one["ci_low"], one["ci_high"], one["n_seeds"]) == (
        4.0,
        6.0,
        1,
    )  # the image bootstrap, as recorded


def test_a_failed_seed_is_never_averaged_away():
    out = mean_over_seeds(_rows([1.0, 2.0, 3.0], status="failed")).iloc[0]
    assert out["status"] == "failed" and math.isnan(out["value"]) and math.isnan(out["ci_low"])
