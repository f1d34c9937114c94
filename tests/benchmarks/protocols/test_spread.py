"""`pasd-bench protocols spread`: the same outputs under every card, and which setting made the range."""

from __future__ import annotations

import json

import pytest

from benchmarks.cli import main
from benchmarks.protocols import get_card
from benchmarks.protocols.spread import protocol_spread


def test_spread_pasd_vs_pyiqa_default_is_y_vs_rgb(sample_results):
    rows = protocol_spread(sample_results, [get_card("pasd"), get_card("pyiqa-default")], ["psnr"])
    assert [(r.method, r.metric) for r in rows] == [("bicubic", "psnr"), ("lanczos", "psnr")]
    for r in rows:
        assert r.values["pasd"] - r.values["pyiqa-default"] > 1.0  # BT.601 Y scores well above RGB here
        assert (r.low, r.high) == ("pyiqa-default", "pasd")
        assert {k for k, _, _ in r.differing} >= {"psnr.colour", "psnr.crop_border", "psnr.implementation"}
        top = r.made_the_difference
        assert "psnr.colour" in [k for k, _, _ in top.settings]
        assert abs(top.delta) > 0.9 * r.range
        # the steps telescope: together they are the whole difference
        assert sum(s.delta for s in r.steps) == pytest.approx(r.range, abs=1e-9)


def test_spread_value_under_a_card_equals_the_run_under_that_card(sample_home, sample_results, tmp_path):
    from benchmarks.results import ResultsStore
    from tests.benchmarks.drift.sample_runs import run_sample

    rgb = run_sample(tmp_path / "rgb", sample_home, protocol="basicsr")
    rows = protocol_spread(
        sample_results, [get_card("pasd"), get_card("basicsr")], ["psnr", "ssim"], explain=False
    )
    with ResultsStore(rgb) as b, ResultsStore(sample_results) as a:
        rgb_cells = b.set_level().set_index(["method", "metric"]).value
        y_cells = a.set_level().set_index(["method", "metric"]).value
    for r in rows:
        assert r.values["basicsr"] == pytest.approx(rgb_cells[(r.method, r.metric)], abs=1e-12)
        assert r.values["pasd"] == pytest.approx(y_cells[(r.method, r.metric)], abs=1e-12)


def test_spread_cli_prints_the_table_and_writes_rows(sample_results, tmp_path, capsys):
    out = tmp_path / "spread.json"
    code = main(["protocols", "spread", "--results", str(sample_results), "--metrics", "psnr", "--no-progress",
                 "--cards", "pasd,basicsr,pyiqa-default,stablesr,osediff", "--out", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "made the difference" in text and "psnr.colour 'rgb'->'y'" in text
    rows = json.loads(out.read_text())
    assert {r["method"] for r in rows} == {"bicubic", "lanczos"}
    assert all(set(r["values"]) == {"pasd", "basicsr", "pyiqa-default", "stablesr", "osediff"} for r in rows)
    assert main(["protocols", "spread", "--results", str(sample_results), "--cards", "pasd"]) == 2
    assert "at least two protocol cards" in capsys.readouterr().err


def test_protocols_show_lists_every_setting_with_its_source(capsys):
    assert main(["protocols", "show", "osediff"]) == 0
    out = capsys.readouterr().out
    assert "psnr.color_space" in out and "cswry/OSEDiff@fcc4f09:test_metrics.py" in out
    assert main(["protocols", "list"]) == 0
    assert capsys.readouterr().out.count("\n") == 5
