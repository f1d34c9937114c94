"""Results are keyed by preset entry and seed: two entries of one method, or two seeds, never overwrite."""

from __future__ import annotations

import io
import json
import sqlite3

import pandas as pd
import pytest

from benchmarks.cli import main
from benchmarks.results import ResultsStore
from benchmarks.results.method_ids import assign_ids, base_method, split_method_id
from tests.benchmarks.runner import toy


@pytest.fixture
def toy_env(tmp_path):
    toy.register()
    return tmp_path, toy.make_toy_data(tmp_path / "data")


def _released(tmp_path, data, method: str):
    out = tmp_path / f"made-{method}"
    assert main(["apply", method, str(data / "lq"), "--out", str(out), "--no-progress"]) == 0
    return next(out.glob(f"{method}-*"))


def test_ids_name_each_entry():
    assert assign_ids([("bicubic", {}, None), ("pasd", {}, None)]) == ["bicubic", "pasd"]
    assert assign_ids([("pasd", {"steps": 20}, None), ("pasd", {"steps": 50}, None)]) == [
        "pasd[steps=20]", "pasd[steps=50]",
    ]  # fmt: skip
    # a label (the entry's, or the folder method's own param) names the entry, even when listed once
    assert assign_ids([("folder", {"path": "/a", "label": "A"}, None), ("pasd", {}, "mine")]) == [
        "folder[A]", "pasd[mine]",
    ]  # fmt: skip
    assert assign_ids([("pasd", {}, None), ("pasd", {"steps": 50}, None)]) == [
        "pasd[defaults]",
        "pasd[steps=50]",
    ]
    long = assign_ids([("pasd", {"prompt": "x" * 60}, None), ("pasd", {}, None)])[0]
    assert long.startswith("pasd[#") and len(long) == len("pasd[#12345678]")
    with pytest.raises(ValueError, match="listed twice"):
        assign_ids([("pasd", {"steps": 20}, None), ("pasd", {"steps": 20}, None)])
    with pytest.raises(ValueError, match="both be recorded as 'folder\\[A\\]'"):
        assign_ids([("folder", {"path": "/a", "label": "A"}, None), ("folder", {"path": "/b"}, "A")])
    assert split_method_id("folder[StableSR (released)]") == ("folder", "StableSR (released)")
    assert base_method("pasd[steps=50]") == "pasd" and base_method("pasd-tiny") == "pasd-tiny"


def test_two_folder_entries_and_two_seeds_keep_every_cell(toy_env, capsys):
    """Before: cells were keyed by method name without the seed; the second folder entry and seed 1 won."""
    tmp, data = toy_env
    a, b = _released(tmp, data, "bicubic"), _released(tmp, data, "lanczos")
    preset = tmp / "p.toml"
    preset.write_text(
        'name = "ids"\nmetrics = ["psnr"]\nseeds = [0, 1]\n'
        f'[[datasets]]\nname = "toy"\nroot = "{data}"\n'
        '[[methods]]\nname = "slow-noisy"\n'
        f'[[methods]]\nname = "folder"\nparams = {{ path = "{a}", label = "Bicubic (imported)" }}\n'
        f'[[methods]]\nname = "folder"\nparams = {{ path = "{b}" }}\nlabel = "Lanczos (imported)"\n'
    )
    out = tmp / "out"
    assert main(["run", str(preset), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    with ResultsStore(out) as store:
        sl = store.set_level()
        labels = store.method_labels()
        dirs = store.image_dirs()
    cells = {(r.method, r.seed): r.value for r in sl.itertuples()}
    ids = ("slow-noisy", "folder[Bicubic (imported)]", "folder[Lanczos (imported)]")
    assert set(cells) == {(m, s) for m in ids for s in (0, 1)}
    assert cells[("slow-noisy", 0)] != cells[("slow-noisy", 1)]  # seeded noise: two different numbers
    assert cells[(ids[1], 0)] == cells[(ids[1], 1)] != cells[(ids[2], 0)]  # deterministic, and apart
    assert labels == {ids[1]: "Bicubic (imported)", ids[2]: "Lanczos (imported)"}
    assert len(dirs[dirs.role == "output"]) == 6  # one output folder per entry and seed

    assert main(["tables", "--results", str(out), "--table", "1", "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    psnr = df[df.metric == "psnr"].set_index("method")
    assert set(psnr["method_label"]) >= {"Bicubic (imported)", "Lanczos (imported)"}
    mean = (cells[("slow-noisy", 0)] + cells[("slow-noisy", 1)]) / 2
    assert psnr.loc["slow-noisy", "value"] == pytest.approx(round(mean, 4), abs=1e-4)
    # the interval of a mean over 2 seeds: t(0.975, 1 df) = 12.706 times the standard error |a - b| / 2
    half = 12.7062 * abs(cells[("slow-noisy", 0)] - cells[("slow-noisy", 1)]) / 2
    assert psnr.loc["slow-noisy", "ci_low"] == pytest.approx(round(mean - half, 4), abs=2e-4)
    assert psnr.loc["slow-noisy", "ci_high"] == pytest.approx(round(mean + half, 4), abs=2e-4)
    assert main(["tables", "--results", str(out), "--table", "1"]) == 0
    text = capsys.readouterr().out
    assert "mean of the seeds' values" in text and "Evaluation protocol: `pasd`" in text
    assert main(["tables", "--results", str(out), "--table", "1", "--ci"]) == 0
    assert "95% Student-t interval of that mean over seeds" in capsys.readouterr().out

    assert main(["report", "--results", str(out), "--out", str(tmp / "report")]) == 0
    html = (tmp / "report" / "index.html").read_text()
    assert "Bicubic (imported)" in html and "Lanczos (imported)" in html
    capsys.readouterr()

    golden = tmp / "golden.json"
    assert main(["drift", "record", "--results", str(out), "--out", str(golden)]) == 0
    keys = set(json.loads(golden.read_text())["cells"])
    assert {"slow-noisy / toy / psnr", "slow-noisy / toy / psnr / seed1", f"{ids[2]} / toy / psnr"} <= keys
    assert main(["drift", "check", "--results", str(out), "--golden", str(golden)]) == 0


def test_version_2_stores_are_migrated_with_the_seed_that_wrote_them(tmp_path, capsys):
    from benchmarks.results import schema

    db = tmp_path / "results.sqlite"
    con = sqlite3.connect(db)
    v2 = schema.SCHEMA.split("CREATE TABLE IF NOT EXISTS per_image")[0]  # the runs table is unchanged
    con.executescript(
        v2 + ";"
        "CREATE TABLE per_image (run_id INTEGER NOT NULL, method TEXT NOT NULL, dataset TEXT NOT NULL,"
        " image TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, updated_at TEXT NOT NULL,"
        " PRIMARY KEY (run_id, method, dataset, image, metric));" + schema._SET_LEVEL_V2 + ";"
        "CREATE TABLE failures (run_id INTEGER NOT NULL, method TEXT NOT NULL, dataset TEXT NOT NULL,"
        " image TEXT NOT NULL, error TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " PRIMARY KEY (run_id, method, dataset, image));"
        "CREATE TABLE image_dirs (run_id INTEGER NOT NULL, dataset TEXT NOT NULL, role TEXT NOT NULL,"
        " method TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (run_id, dataset, role, method));"
        + schema._V2_TABLES
        + ";"
        "INSERT INTO runs (run_id, preset, created_at, config, env, weights, status) VALUES"
        " (1, 'smoke', '2026-01-01T00:00:00Z', '{\"seeds\": [0, 3]}', '{}', '{}', 'complete'),"
        " (2, 'smoke', '2026-01-02T00:00:00Z', '{}', '{}', '{}', 'complete');"
        "INSERT INTO set_level VALUES (1, 'pasd-tiny', 'sample', 'psnr', 15.0, NULL, NULL, 6, 'ok', NULL, 't'),"
        " (2, 'bicubic', 'sample', 'psnr', 25.0, NULL, NULL, 6, 'ok', NULL, 't');"
        "INSERT INTO per_image VALUES (1, 'pasd-tiny', 'sample', 'coffee', 'psnr', 14.0, 't');"
        "INSERT INTO failures VALUES (1, 'pasd-tiny', 'sample', 'rocket', 'boom', 't');"
        f"INSERT INTO image_dirs VALUES (1, 'sample', 'output', 'pasd-tiny', '{tmp_path}'),"
        f" (1, 'sample', 'lq', '', '{tmp_path}');"
        "INSERT INTO jobs VALUES (1, 'pasd-tiny', 'sample', 3, 'ready', NULL, 'k', '1', '{}', '{}', 6, NULL);"
        "PRAGMA user_version=2;"
    )
    con.close()
    with ResultsStore(tmp_path) as store:
        sl = store.set_level().set_index("method")
        assert sl.loc["pasd-tiny", "seed"] == 3 and sl.loc["bicubic", "seed"] == 0  # no seeds recorded: 0
        assert store.per_image().loc[0, "seed"] == 3 and store.failures().loc[0, "seed"] == 3
        dirs = store.image_dirs().set_index("role")
        assert dirs.loc["output", "seed"] == 3 and dirs.loc["lq", "seed"] == 0
        assert store.jobs().loc[0, "method_name"] == "pasd-tiny"
        store.put_set_level(1, "pasd-tiny", "sample", "psnr", 16.0, n=6, seed=4)  # a second seed fits now
        assert len(store.set_level(1)) == 2
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert main(["tables", "--results", str(tmp_path), "--table", "1"]) == 0
    assert "25.0000" in capsys.readouterr().out
