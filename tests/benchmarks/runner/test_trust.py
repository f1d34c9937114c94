"""Runs that cannot mislead: missing/partial data refused or flagged, complete provenance, checks before work."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import skimage.data
from PIL import Image

from benchmarks.cli import main
from benchmarks.results import ResultsStore
from tests.benchmarks.runner import toy


@pytest.fixture
def toy_env(tmp_path):
    toy.register()
    return tmp_path, toy.make_toy_data(tmp_path / "data")


def test_missing_datasets_exit_2_naming_them(tmp_path, capsys):
    """The issue's 'done when': the plan names the missing data and nothing runs."""
    out = tmp_path / "out"
    code = main(
        ["run", "table1", "--data-root", str(tmp_path / "nonexistent"), "--out", str(out), "--no-progress"]
    )
    captured = capsys.readouterr()
    assert code == 2
    for name in ("div2k-val", "realsr", "drealsr"):
        assert f"dataset {name} is missing" in captured.err
    assert "Traceback" not in captured.err and not out.exists()
    assert main(["run", "table1", "--data-root", str(tmp_path / "nonexistent"), "--plan-only"]) == 2


@pytest.fixture
def div2k_three_and_a_corrupt(tmp_path):
    """DIV2K with 3 of the official 100 HQ images, plus one corrupt file."""
    hq = tmp_path / "data" / "DIV2K" / "DIV2K_valid_HR"
    hq.mkdir(parents=True)
    photo = skimage.data.astronaut()
    for k, name in enumerate(("0801", "0802", "0803")):
        Image.fromarray(photo[60 * k : 60 * k + 64, 80 * k : 80 * k + 64]).save(hq / f"{name}.png")
    (hq / "0804.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    preset = tmp_path / "div2k.toml"
    preset.write_text(
        'name = "partial"\nmetrics = ["psnr"]\n[[datasets]]\nname = "div2k-val"\n'
        f'root = "{tmp_path / "data" / "DIV2K"}"\n[[methods]]\nname = "bicubic"\n'
    )
    return preset


def test_partial_dataset_refused_then_flagged_everywhere(div2k_three_and_a_corrupt, tmp_path, capsys):
    preset, out = div2k_three_and_a_corrupt, tmp_path / "out"
    assert main(["run", str(preset), "--out", str(out), "--no-progress"]) == 2
    assert "dataset div2k-val is partial: 4 of the official 100" in capsys.readouterr().err
    assert not (out / "results.sqlite").exists()

    # accepted: it runs, the corrupt HQ is a recorded failure (exit 1), not a silent skip
    assert main(["run", str(preset), "--out", str(out), "--no-progress", "--allow-partial"]) == 1
    err = capsys.readouterr().err
    assert "0804" in err and "synthesis skipped" in err
    with ResultsStore(out) as store:
        failures = store.failures()
        datasets = store.datasets()
    assert failures.image.tolist() == ["0804"]
    assert datasets.loc[0, ["state", "n_items", "n_official"]].tolist() == ["partial", 4, 100]

    assert main(["tables", "--results", str(out), "--table", "1", "--paper"]) == 0
    md = capsys.readouterr().out
    psnr = next(line for line in md.splitlines() if line.startswith("| DIV2K valid | PSNR↑ | ours |"))
    assert "†" in psnr  # our 3-image number next to the paper's 100-image one is flagged
    assert "| Images | ours |" in md and "3/100†" in md
    assert "computed on fewer images than the official set (DIV2K valid: 3 of 100)" in md

    assert main(["tables", "--results", str(out), "--table", "1", "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    row = df[(df.method == "bicubic") & (df.metric == "psnr")].iloc[0]
    assert (row.n, row.n_official, row.partial, row.dataset) == (3, 100, 1, "div2k-val")


def test_provenance_lists_exactly_the_weights_used(toy_env, isolated_caches):
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.preset import load_preset

    tmp, data = toy_env
    # lpips: its package-shipped head (lpips-alex) is present, its AlexNet backbone is not: not scored
    preset = load_preset(
        toy.write_preset(tmp / "p.toml", data, [("weighted", {})], metrics=("psnr", "lpips"))
    )
    summary = run_preset(preset, tmp / "out", progress=False)
    with ResultsStore(tmp / "out") as store:
        info = store.run(summary.run_id)
        jobs = store.jobs(summary.run_id)
        sl = store.set_level(summary.run_id)
    # the instance's own weights (chosen in __init__) are recorded; lpips-alex, unused, is not
    assert set(info["weights"]) == {"dists"}
    ident = info["weights"]["dists"]
    assert ident["kind"] == "sha256" and len(ident["value"]) == 64 and ident["path"]
    assert info["status"] == "complete" and info["finished_at"]
    cfg = info["config"]
    assert cfg["engine"]["crop_border"] is None and cfg["engine"]["n_resamples"] == 2000
    # the options the engine built PSNR with under the preset's protocol card (pasd), not the preset defaults
    assert cfg["metric_specs"]["psnr"]["options"] == {
        "crop_border": 4, "round_y": False, "colour": "y", "color_space": "ycbcr", "implementation": "basicsr",
    }  # fmt: skip
    assert cfg["metrics_weights_missing"] == {"lpips": ["alexnet"]} and cfg["preset_sha256"]
    job = jobs.iloc[0]
    assert job.options == {"uses": "dists"} and job.version == "1" and job.n_items == 5
    assert job.weights["dists"]["kind"] == "sha256" and len(job.inputs_digest) == 64
    assert sl.set_index("metric").loc["lpips", "status"] == "weights-missing"


def test_checks_before_any_work(toy_env, capsys):
    tmp, data = toy_env
    path = toy.write_preset(tmp / "p.toml", data, [("huge", {}), ("bicubic", {})])
    # a device this machine does not have (cuda:99 fails with or without CUDA): refused at once
    assert main(["run", str(path), "--out", str(tmp / "dev"), "--device", "cuda:99"]) == 2
    assert "cuda:99" in capsys.readouterr().err and not (tmp / "dev").exists()
    # an input too large for the free memory: that item fails with the remedy, the rest runs
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.preset import load_preset

    summary = run_preset(load_preset(path), tmp / "out", progress=False)
    assert {m for m, *_ in summary.failures} == {"huge"} and len(summary.failures) == 5
    assert "process it in tiles" in summary.failures[0][3]


def test_bad_preset_settings_exit_2_with_close_matches(toy_env, capsys):
    from benchmarks.runner.preset import load_preset

    tmp, data = toy_env
    path = toy.write_preset(tmp / "p.toml", data, [("bicubic", {})], metrics=("psnr", "lpis"))
    with pytest.raises(ValueError, match=r"unknown metric 'lpis' \(did you mean lpips"):
        load_preset(path)
    assert main(["run", str(path), "--out", str(tmp / "o")]) == 2
    err = capsys.readouterr().err
    assert "did you mean lpips" in err and "Traceback" not in err
    text = path.read_text().replace("lpis", "lpips")
    path.write_text("seed = [1]\n" + text)
    with pytest.raises(ValueError, match=r"unknown top-level key 'seed' \(did you mean 'seeds'\?\)"):
        load_preset(path)
    path.write_text(text.replace('name = "bicubic"', 'name = "bicubic"\nparam = { a = 1 }'))
    with pytest.raises(ValueError, match=r"'param' \(did you mean 'params'\?\)"):
        load_preset(path)
    path.write_text(text.replace('name = "bicubic"', 'name = "bicubic"\nparams = { scael = 2 }'))
    # a method's unknown params: the run is refused before any work, naming them
    assert main(["run", str(path), "--out", str(tmp / "o")]) == 2
    err = capsys.readouterr().err
    assert "bicubic: unknown params ['scael']" in err and not (tmp / "o").exists()


def test_results_status_and_killed_runs_marked(tmp_path):
    """A run whose process died reads 'interrupted'; its never-scored cells too, not silently absent."""
    from benchmarks.tables import build_table

    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(proc.stdout)
    with ResultsStore(tmp_path) as store:
        rid = store.add_run("smoke", {}, {}, status="running")
        store._con.execute("UPDATE runs SET pid = ? WHERE run_id = ?", (dead_pid, rid))
        store.put_set_level(rid, "bicubic", "sample", "psnr", 25.0, n=6)
        store.put_set_level(rid, "lanczos", "sample", "psnr", None, status="pending", note="not scored yet")
        runs, sl = store.runs(), store.set_level()
    assert runs.loc[0, "status"] == "interrupted"
    grid = build_table(1, sl)
    cells = dict(zip(grid.column_headers, grid.rows[0].cells))
    assert cells["Lanczos"].text == "interrupted" and cells["Bicubic"].text == "25.0000"
    assert any("interrupted" in n and "rerun" in n for n in grid.notes)


def test_old_results_files_are_migrated(tmp_path):
    import sqlite3

    db = tmp_path / "results.sqlite"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, preset TEXT NOT NULL, created_at TEXT NOT NULL,"
        " config TEXT NOT NULL, env TEXT NOT NULL, weights TEXT NOT NULL, git_revision TEXT);"
        "CREATE TABLE per_image (run_id INTEGER, method TEXT, dataset TEXT, image TEXT, metric TEXT, value REAL,"
        " updated_at TEXT, PRIMARY KEY (run_id, method, dataset, image, metric));"
        "CREATE TABLE set_level (run_id INTEGER NOT NULL, method TEXT NOT NULL, dataset TEXT NOT NULL,"
        " metric TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL, n INTEGER, status TEXT NOT NULL CHECK"
        " (status IN ('ok', 'weights-missing', 'not-available', 'failed')), note TEXT, updated_at TEXT NOT NULL,"
        " PRIMARY KEY (run_id, method, dataset, metric));"
        "CREATE TABLE failures (run_id INTEGER, method TEXT, dataset TEXT, image TEXT, error TEXT, updated_at TEXT,"
        " PRIMARY KEY (run_id, method, dataset, image));"
        "CREATE TABLE image_dirs (run_id INTEGER, dataset TEXT, role TEXT, method TEXT, path TEXT,"
        " PRIMARY KEY (run_id, dataset, role, method));"
        "INSERT INTO runs VALUES (1, 'smoke', '2026-01-01T00:00:00Z', '{}', '{}', '{\"sd15\": \"/x\"}', NULL);"
        "INSERT INTO set_level VALUES (1, 'bicubic', 'sample', 'psnr', 25.0, NULL, NULL, 6, 'ok', NULL, 't');"
        "PRAGMA user_version=1;"
    )
    con.close()
    with ResultsStore(tmp_path) as store:
        assert store.runs().loc[0, "status"] == "unknown"
        assert store.set_level().loc[0, "value"] == 25.0
        store.put_set_level(1, "lanczos", "sample", "psnr", None, status="data-missing")  # new status fits
    from benchmarks.results.schema import SCHEMA_VERSION

    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_flags_in_table3_paper_rows():
    from benchmarks.tables import build_table, load_paper_table

    df = pd.DataFrame(
        [
            dict(
                run_id=1,
                method="pasd-abl-b",
                dataset="realsr",
                metric="psnr",
                value=26.0,
                ci_low=None,
                ci_high=None,
                n=100,
                status="ok",
                note=None,
            )
        ]  # fmt: skip
    )
    g = build_table(3, df, paper=load_paper_table(3))
    rows = {(r.labels[1], r.source): r.labels for r in g.rows}
    assert rows[("(b)", "ours")][2:5] == rows[("(b)", "paper")][2:5] == ["✓", "", ""]
    assert rows[("PASD", "paper")][2:5] == ["✓", "✓", "✓"]


@pytest.mark.parametrize(("flag", "shown"), [("--confidence-intervals", True), ("--ci", True), (None, False)])
def test_confidence_interval_option_and_alias(tmp_path, capsys, flag, shown):
    from tests.benchmarks.results.store_data import fill_store

    fill_store(tmp_path)
    assert main(["tables", "--results", str(tmp_path), "--table", "1", *([flag] if flag else [])]) == 0
    assert ("25.5000 [24.5000, 26.5000]" in capsys.readouterr().out) is shown


def test_output_cache_png_is_the_documented_writer(tmp_path):
    from benchmarks.runner.output_cache import OutputCache

    img = skimage.data.astronaut()[:8, :8]
    path = OutputCache(tmp_path, "m", "k", "d", 0).put("a", "digest", img)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), img)
