"""The suite's own golden numbers (benchmarks/drift/golden/sample.json), checked on every `nox -s tests`.

A change of torch, basicsr, Pillow or diffusers that moves the synthesizer, the resizers, the
PASD pipeline or PSNR/SSIM fails here first. What is exact and what is tolerant is stated in
:mod:`benchmarks.drift.sample`.
"""

from __future__ import annotations

import copy

import pytest

from benchmarks.drift import SAMPLE_GOLDEN, compare_snapshots, format_report, load_snapshot, take_snapshot
from benchmarks.drift.sample import check_sample, run_sample_preset, sample_policy
from tests.benchmarks.drift.sample_runs import bench_home


@pytest.fixture(scope="module")
def sample_run(sample_home, tmp_path_factory):
    with bench_home(sample_home):
        return run_sample_preset(tmp_path_factory.mktemp("sample-golden") / "results")


def test_golden_file_holds_what_the_issue_lists():
    golden = load_snapshot(SAMPLE_GOLDEN)
    assert {k.rsplit(" / ", 1)[1] for k in golden["cells"]} == {"psnr", "ssim"}
    assert {k.split(" / ")[0] for k in golden["cells"]} == {"bicubic", "lanczos", "pasd-tiny"}
    assert set(golden["outputs"]) == {"bicubic / sample", "lanczos / sample", "pasd-tiny / sample"}
    assert all(len(o["images"]) == 6 for o in golden["outputs"].values())
    assert len(golden["inputs"]["sample"]["lq"]["images"]) == 6  # the synthesized LQ, by pixel hash
    (run,) = golden["runs"].values()
    assert run["protocol"]["name"] == "pasd"


def test_sample_run_matches_the_golden_numbers(sample_run):
    report = check_sample(sample_run)
    assert report.exit_code == 0, format_report(report)
    assert len(report.cells) == 6


def test_the_check_would_catch_a_moved_metric_or_synthesizer(sample_run):
    golden = load_snapshot(SAMPLE_GOLDEN)
    now = take_snapshot(sample_run)
    moved = copy.deepcopy(golden)
    cell = moved["cells"]["bicubic / sample / ssim"]
    cell["value"] *= 1 + 1e-6  # a changed SSIM constant moves it by far more than this
    report = compare_snapshots(moved, now, sample_policy(moved, now), allow_env_change=True)
    assert report.exit_code == 1 and [c.key for c in report.moved] == ["bicubic / sample / ssim"]
    # pasd-tiny is judged at cross-device: the same 1e-6 is float noise there
    tiny = copy.deepcopy(golden)
    tiny["cells"]["pasd-tiny / sample / psnr"]["value"] *= 1 + 1e-6
    assert compare_snapshots(tiny, now, sample_policy(tiny, now), allow_env_change=True).exit_code == 0
    # a synthesizer that moved: one LQ image several grey levels brighter
    synth = copy.deepcopy(golden)
    rec = synth["inputs"]["sample"]["lq"]["images"]["rocket"]
    rec["pixels"] = "0" * 64
    rec["thumb"] = " ".join(f"{float(v) + 8:.3f}" for v in rec["thumb"].split())
    report = compare_snapshots(synth, now, sample_policy(synth, now), allow_env_change=True)
    assert report.exit_code == 1
    assert [(i.where, i.image) for i in report.failing_images] == [("sample / lq", "rocket")]
