"""`pasd-bench drift record | check` and `results diff` on real runner results (sample dataset)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from benchmarks.cli import main
from benchmarks.results import ResultsStore
from tests.benchmarks.drift.sample_runs import edit_env, run_sample


def _record(results, tmp_path, capsys):
    golden = tmp_path / "golden.json"
    assert main(["drift", "record", "--results", str(results), "--out", str(golden)]) == 0
    capsys.readouterr()
    return golden


def _check(results, golden, capsys, *extra):
    code = main(["drift", "check", "--results", str(results), "--golden", str(golden), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def _output_png(results, method: str, image: str):
    with ResultsStore(results) as store:
        dirs = store.image_dirs()
    folder = dirs[(dirs.role == "output") & (dirs.method == method)].path.item()
    return __import__("pathlib").Path(folder) / f"{image}.png"


def test_record_then_check_unchanged_exits_0(sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    snap = json.loads(golden.read_text())
    assert set(snap["cells"]) == {
        f"{m} / sample / {k}" for m in ("bicubic", "lanczos") for k in ("psnr", "ssim")
    }
    cell = snap["cells"]["bicubic / sample / psnr"]
    assert cell["n"] == 6 and len(cell["per_image"]) == 6
    run = snap["runs"][str(cell["run"])]
    assert run["protocol"]["name"] == "pasd" and run["protocol"]["settings"]["psnr.crop_border"] == 4
    assert run["env"]["packages"]["basicsr"] and len(snap["outputs"]["bicubic / sample"]["images"]) == 6
    assert len(snap["inputs"]["sample"]["lq"]["images"]) == 6
    code, out = _check(sample_results, golden, capsys)
    assert code == 0, out
    assert "0 moved" in out and "exit 0" in out


def test_one_grey_level_in_one_output_is_drift_naming_cell_and_image(
    sample_home, sample_results, tmp_path, capsys
):
    golden = _record(sample_results, tmp_path, capsys)
    png = _output_png(sample_results, "bicubic", "coffee")
    px = np.asarray(Image.open(png)).copy()
    px[120, 77, 1] = px[120, 77, 1] + 1 if px[120, 77, 1] < 255 else 254
    Image.fromarray(px).save(png)
    run_sample(sample_results.parent, sample_home)  # cached outputs reused, every cell rescored
    code, out = _check(sample_results, golden, capsys)
    assert code == 1, out
    assert "bicubic / sample / psnr" in out and "bicubic / sample / ssim" in out
    assert "lanczos / sample" not in out.split("cells that moved")[1].split("images whose")[0]
    assert "most moved images: coffee" in out
    assert "bicubic / sample │ coffee" in out and "pixels differ" in out


def test_reencoded_png_with_same_pixels_is_not_drift(sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    png = _output_png(sample_results, "lanczos", "rocket")
    before = png.read_bytes()
    Image.open(png).save(png, compress_level=1)  # same pixels, other bytes (as another zlib would)
    assert png.read_bytes() != before
    code, out = _check(sample_results, golden, capsys)
    assert code == 0, out


def test_changed_crop_border_is_drift_naming_the_setting(sample_home, sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    run_sample(sample_results.parent, sample_home, protocol_options={"psnr.crop_border": 0})
    code, out = _check(sample_results, golden, capsys)
    assert code == 1, out
    assert "psnr.crop_border: 4 -> 0" in out
    moved = out.split("cells that moved")[1].split("protocol settings")[0]
    assert "bicubic / sample / psnr" in moved and "ssim" not in moved.split("most moved")[0]


def test_faked_package_version_is_drift_unless_allowed(sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    edit_env(sample_results, lambda env: env["packages"].__setitem__("basicsr", "9.9.9"))
    code, out = _check(sample_results, golden, capsys)
    assert code == 1, out
    assert "basicsr: 1.4.2 -> 9.9.9 [part of the protocol, DRIFT]" in out
    code, out = _check(sample_results, golden, capsys, "--allow-env-change")
    assert code == 0, out
    assert "allowed" in out


def test_a_package_outside_the_protocol_is_reported_not_failed(sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    edit_env(sample_results, lambda env: env["packages"].__setitem__("pandas", "0.0.1"))
    code, out = _check(sample_results, golden, capsys)
    assert code == 0, out
    assert "pandas:" in out and "[info]" in out


def test_weights_with_another_hash_are_drift_a_moved_file_is_not(sample_results, tmp_path, capsys):
    edit_env(
        sample_results, lambda w: w.update({"pasd": "a" * 64, "inception-fid": "/old/place.pt"}), "weights"
    )
    golden = _record(sample_results, tmp_path, capsys)
    edit_env(
        sample_results, lambda w: w.update({"pasd": "b" * 64, "inception-fid": "/new/place.pt"}), "weights"
    )
    code, out = _check(sample_results, golden, capsys)
    assert code == 1, out
    assert "pasd: {'sha256': 'aaaa" in out and "other file (sha256/revision), DRIFT" in out
    assert "inception-fid:" in out and "[location only]" in out
    edit_env(sample_results, lambda w: w.update({"pasd": "a" * 64}), "weights")
    code, out = _check(sample_results, golden, capsys)
    assert code == 0, out


def test_missing_cell_exits_2_and_lists_it(sample_home, sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    partial = run_sample(tmp_path / "partial", sample_home, metrics=("psnr",))
    code, out = _check(partial, golden, capsys)
    assert code == 2, out
    assert "bicubic / sample / ssim: not in the results now" in out
    assert "lanczos / sample / ssim" in out


def test_json_report_for_ci(sample_home, sample_results, tmp_path, capsys):
    golden = _record(sample_results, tmp_path, capsys)
    run_sample(sample_results.parent, sample_home, protocol_options={"ssim.crop_border": 2})
    report = tmp_path / "report.json"
    code, _ = _check(sample_results, golden, capsys, "--json", str(report))
    data = json.loads(report.read_text())
    assert code == data["exit_code"] == 1
    assert data["summary"]["cells_moved"] == 2 and data["summary"]["protocol_changes"] == 1
    moved = {c["key"] for c in data["cells"] if c["moved"]}
    assert moved == {"bicubic / sample / ssim", "lanczos / sample / ssim"}


def test_unusable_inputs_exit_2(sample_results, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out = _check(sample_results, bad, capsys)
    assert code == 2 and "not a JSON golden file" in out
    golden = _record(sample_results, tmp_path, capsys)
    code, out = _check(tmp_path / "nowhere", golden, capsys)
    assert code == 2 and "no results database" in out
    code, out = _check(sample_results, golden, capsys, "--tier", "nope")
    assert code == 2 and "unknown tolerance tier 'nope'" in out


def test_results_diff_cell_by_cell(sample_home, sample_results, tmp_path, capsys):
    other = run_sample(tmp_path / "b", sample_home)
    assert main(["results", "diff", str(sample_results), str(other)]) == 0
    out = capsys.readouterr().out
    assert "4 cells compared, 0 moved" in out and "bicubic / sample / psnr" in out
    changed = run_sample(tmp_path / "c", sample_home, protocol="basicsr")
    assert main(["results", "diff", str(sample_results), str(changed)]) == 1
    out = capsys.readouterr().out
    assert "psnr.colour: 'y' -> 'rgb'" in out and "ssim.colour: 'y' -> 'rgb'" in out


@pytest.mark.parametrize("tier, code", [("exact", 1), ("cross-device", 0)], ids=["exact", "cross-device"])
def test_tier_floor_decides_a_small_move(sample_results, tmp_path, capsys, tier, code):
    golden = _record(sample_results, tmp_path, capsys)
    snap = json.loads(golden.read_text())
    cell = snap["cells"]["lanczos / sample / psnr"]
    cell["value"] *= 1 + 1e-4  # 0.01 %: beyond float noise, within the CPU-vs-GPU tier
    cell["per_image"] = {k: v * (1 + 1e-4) for k, v in cell["per_image"].items()}
    golden.write_text(json.dumps(snap))
    got, out = _check(sample_results, golden, capsys, "--tier", tier)
    assert got == code, out
