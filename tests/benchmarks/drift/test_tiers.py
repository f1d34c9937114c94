"""Tolerance tiers: the shipped table, per-metric rules, floors and overrides, applied to snapshots."""

from __future__ import annotations

import copy

import pytest

from benchmarks.drift import TierPolicy, compare_snapshots, load_tiers
from benchmarks.drift.snapshot import FORMAT


def _snapshot(values: dict[str, float], implementation: str = "basicsr") -> dict:
    run = {"protocol": {"name": "pasd", "settings": {"psnr.implementation": implementation}, "packages": []},
           "env": {"packages": {}}, "weights": {}, "device": "cpu"}  # fmt: skip
    cells = {
        f"m / d / {metric}": {"run": 1, "status": "ok", "value": v, "n": 2, "per_image": {"a": v, "b": v}}
        for metric, v in values.items()
    }
    return {"format": FORMAT, "runs": {"1": run}, "cells": cells, "outputs": {}, "inputs": {}}


def _moved(golden: dict, factor: float, policy: TierPolicy) -> set[str]:
    now = copy.deepcopy(golden)
    for cell in now["cells"].values():
        cell["value"] *= factor
        cell["per_image"] = {k: v * factor for k, v in cell["per_image"].items()}
    return {c.key.split(" / ")[-1] for c in compare_snapshots(golden, now, policy).moved}


VALUES = {"psnr": 25.0, "ssim": 0.7, "lpips": 0.3, "musiq": 60.0, "fid": 80.0, "clipfid": 10.0}


def test_shipped_table_has_a_reason_for_every_tier_and_a_tier_for_every_table1_metric():
    from benchmarks.metrics.configs import TABLE1_METRICS

    table = load_tiers()
    assert {"exact", "same-device", "cross-device", "set"} <= set(table.tiers)
    assert all(len(t.reason) > 40 for t in table.tiers.values())
    assert {m: table.metrics[m] for m in TABLE1_METRICS} == {
        "psnr": "exact", "ssim": "exact", "lpips": "same-device", "dists": "same-device",
        "fid": "set", "clipfid": "set", "musiq": "same-device",
    }  # fmt: skip


def test_tiers_apply_per_metric():
    policy = TierPolicy(load_tiers())
    golden = _snapshot(VALUES)
    # 1e-7 relative: float32-level noise; only the exact (float64) metrics call it drift
    assert _moved(golden, 1 + 1e-7, policy) == {"psnr", "ssim"}
    # 1e-4 relative: beyond same-device noise, within FID's set tier (abs 0.05 at FID 80 = 6e-4)
    assert _moved(golden, 1 + 1e-4, policy) == {"psnr", "ssim", "lpips", "musiq"}
    assert _moved(golden, 1 + 1e-2, policy) == set(VALUES)


def test_floor_loosens_but_never_tightens():
    golden = _snapshot(VALUES)
    cross = TierPolicy(load_tiers(), floor="cross-device")
    assert _moved(golden, 1 + 1e-4, cross) == set()
    # an `exact` floor does not tighten FID: its own `set` tier (0.05 absolute) is the looser one
    exact = TierPolicy(load_tiers(), floor="exact")
    assert "fid" not in _moved(golden, 1 + 1e-4, exact)


def test_metric_and_method_overrides_win():
    golden = _snapshot(VALUES)
    policy = TierPolicy(load_tiers(), metric_tiers={"psnr": "cross-device"}, method_tiers={"other": "exact"})
    assert "psnr" not in _moved(golden, 1 + 1e-4, policy)
    policy = TierPolicy(load_tiers(), method_tiers={"m": "cross-device"})
    assert _moved(golden, 1 + 1e-4, policy) == set()


def test_pyiqa_psnr_is_held_to_float32_noise_not_exact():
    golden = _snapshot({"psnr": 25.0}, implementation="pyiqa")
    assert _moved(golden, 1 + 1e-7, TierPolicy(load_tiers())) == set()
    assert _moved(golden, 1 + 1e-4, TierPolicy(load_tiers())) == {"psnr"}


def test_bad_tables_and_names_are_rejected(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text('default = "a"\noutputs = "a"\n[tiers.a]\nrel = 1e-3\n')
    with pytest.raises(ValueError, match="has no reason"):
        load_tiers(bad)
    bad.write_text('default = "b"\noutputs = "a"\n[tiers.a]\nrel = 1e-3\nreason = "r"\n')
    with pytest.raises(ValueError, match="default names tier 'b'"):
        load_tiers(bad)
    bad.write_text('default = "a"\noutputs = "a"\n[tiers.a]\nrel = -1\nreason = "r"\n')
    with pytest.raises(ValueError, match="non-negative"):
        load_tiers(bad)
    with pytest.raises(KeyError, match="unknown tolerance tier 'loose'"):
        TierPolicy(load_tiers(), floor="loose")


def test_a_user_table_changes_one_row(tmp_path):
    text = load_tiers().source
    custom = tmp_path / "tiers.toml"
    custom.write_text(open(text).read().replace('psnr = "exact"', 'psnr = "cross-device"'))
    golden = _snapshot(VALUES)
    assert "psnr" not in _moved(golden, 1 + 1e-4, TierPolicy(load_tiers(custom)))
