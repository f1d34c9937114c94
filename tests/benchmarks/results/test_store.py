"""ResultsStore: round trips, idempotent upserts, validation, latest-per-key, resume safety."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pandas as pd
import pytest

from benchmarks.results import SET_LEVEL_COLUMNS, ResultsStore
from tests.benchmarks.results.store_data import IMAGES, PSNR, fill_store


@pytest.fixture
def store(tmp_path):
    with ResultsStore(tmp_path / "res") as s:
        yield s


def test_file_layout_and_wal(tmp_path):
    with ResultsStore(tmp_path / "res") as s:
        assert s.path == tmp_path / "res" / "results.sqlite"
        s.add_run("smoke", {}, {})
    con = sqlite3.connect(tmp_path / "res" / "results.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # a .sqlite path is used as is
    with ResultsStore(tmp_path / "other.sqlite") as s:
        assert s.path == tmp_path / "other.sqlite"


def test_missing_database_without_create(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results database"):
        ResultsStore(tmp_path / "nothing", create=False)
    assert not (tmp_path / "nothing").exists()


def test_run_round_trip(store):
    rid = store.add_run(
        "table1", {"seed": 3, "methods": ["a"]}, {"torch": "2.1"}, {"sd15": "ab" * 32}, "abc-dirty"
    )
    info = store.run(rid)
    assert info["config"] == {"seed": 3, "methods": ["a"]}
    assert info["env"] == {"torch": "2.1"}
    assert info["weights"] == {"sd15": "ab" * 32}
    assert info["git_revision"] == "abc-dirty" and info["preset"] == "table1"
    assert info["created_at"].endswith("Z")
    assert store.runs()["run_id"].tolist() == [rid]
    with pytest.raises(KeyError, match="unknown run_id 99"):
        store.run(99)


def test_per_image_round_trip_and_frame(store):
    rid = store.add_run("smoke", {}, {})
    store.put_per_image(rid, "bicubic", "sample", "img1", {"psnr": 25.5, "ssim": np.float32(0.75)})
    store.put_per_image_frame(
        rid, "lanczos", "sample", pd.DataFrame({"image": ["a", "b"], "psnr": [1.0, 2.0]})
    )
    df = store.per_image(rid)
    assert list(df.columns) == ["run_id", "method", "dataset", "image", "metric", "seed", "value"]
    got = {(r.method, r.image, r.metric): r.value for r in df.itertuples()}
    assert got == {
        ("bicubic", "img1", "psnr"): 25.5,
        ("bicubic", "img1", "ssim"): pytest.approx(0.75),
        ("lanczos", "a", "psnr"): 1.0,
        ("lanczos", "b", "psnr"): 2.0,
    }
    assert store.per_image(method="lanczos", dataset="sample")["image"].tolist() == ["a", "b"]


def test_upserts_are_idempotent(store):
    rid = store.add_run("smoke", {}, {})
    for _ in range(3):  # a resumed run writes the same rows again
        store.put_per_image(rid, "m", "d", "img", {"psnr": 20.0})
        store.put_set_level(rid, "m", "d", "psnr", 20.0, n=1)
        store.put_failure(rid, "m", "d", "bad", "boom")
    store.put_per_image(rid, "m", "d", "img", {"psnr": 21.0})  # a changed value replaces the old one
    store.put_set_level(rid, "m", "d", "psnr", None, status="failed", note="crashed")
    assert store.per_image(rid)["value"].tolist() == [21.0]
    sl = store.set_level(rid)
    assert len(sl) == 1 and sl.loc[0, "status"] == "failed" and math.isnan(sl.loc[0, "value"])
    assert len(store.failures(rid)) == 1
    store.clear_failure(rid, "m", "d", "bad")
    assert store.failures().empty


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.nan])
def test_non_finite_rejected(store, bad):
    rid = store.add_run("smoke", {}, {})
    with pytest.raises(ValueError, match="only finite"):
        store.put_set_level(rid, "m", "d", "psnr", bad)
    with pytest.raises(ValueError, match="only finite"):
        store.put_per_image(rid, "m", "d", "img", {"psnr": 1.0, "ssim": bad})
    with pytest.raises(ValueError, match="img2/psnr"):
        store.put_per_image_frame(
            rid, "m", "d", pd.DataFrame({"image": ["img1", "img2"], "psnr": [1.0, bad]})
        )
    # all-or-nothing: nothing of the rejected writes was stored
    assert store.per_image(rid).empty and store.set_level(rid).empty


def test_set_level_validation(store):
    rid = store.add_run("smoke", {}, {})
    with pytest.raises(ValueError, match="status 'weird'"):
        store.put_set_level(rid, "m", "d", "psnr", None, status="weird")
    with pytest.raises(ValueError, match="must not carry a value"):
        store.put_set_level(rid, "m", "d", "fid", 12.0, status="weights-missing")
    with pytest.raises(ValueError, match="needs a value"):
        store.put_set_level(rid, "m", "d", "psnr", None)
    with pytest.raises(ValueError, match="does not contain"):
        store.put_set_level(rid, "m", "d", "psnr", 5.0, ci_low=6.0, ci_high=7.0)
    with pytest.raises(ValueError, match="both ci_low and ci_high"):
        store.put_set_level(rid, "m", "d", "psnr", 5.0, ci_low=4.0)
    with pytest.raises(ValueError, match="non-negative integer"):
        store.put_set_level(rid, "m", "d", "psnr", 5.0, n=-1)
    with pytest.raises(TypeError, match="must be a number"):
        store.put_set_level(rid, "m", "d", "psnr", "5.0")
    with pytest.raises(ValueError, match="method must be a non-empty"):
        store.put_set_level(rid, "", "d", "psnr", 5.0)
    with pytest.raises(KeyError, match="unknown run_id 7"):
        store.put_set_level(7, "m", "d", "psnr", 5.0)


def test_set_level_round_trip(tmp_path):
    fill_store(tmp_path)
    with ResultsStore(tmp_path, create=False) as store:
        sl = store.set_level(1)
    assert list(sl.columns) == [*SET_LEVEL_COLUMNS, "run_status"]
    row = sl[(sl.method == "bicubic") & (sl.metric == "psnr")].iloc[0]
    assert (row.value, row.ci_low, row.ci_high, row.n, row.status) == (25.0, 24.0, 26.0, 3, "ok")
    fid = sl[sl.metric == "fid"]
    assert (
        set(fid.status) == {"weights-missing"}
        and fid.value.isna().all()
        and set(fid.note) == {"inception-fid"}
    )


def test_latest_per_key_across_runs(store):
    r1 = store.add_run("smoke", {}, {})
    store.put_set_level(r1, "bicubic", "sample", "psnr", 20.0)
    store.put_set_level(r1, "lanczos", "sample", "psnr", 21.0)
    store.put_per_image(r1, "bicubic", "sample", "a", {"psnr": 20.0})
    store.put_per_image(r1, "bicubic", "sample", "b", {"psnr": 20.0})
    r2 = store.add_run("smoke", {}, {})
    store.put_set_level(r2, "bicubic", "sample", "psnr", 22.0)
    store.put_set_level(r2, "bicubic", "sample", "fid", None, status="weights-missing")
    store.put_per_image(r2, "bicubic", "sample", "a", {"psnr": 22.0})
    latest = {(r.method, r.metric): (r.run_id, r.value) for r in store.set_level().itertuples()}
    assert latest[("bicubic", "psnr")] == (r2, 22.0)  # later run wins
    assert latest[("lanczos", "psnr")] == (r1, 21.0)  # kept: only the earlier run has it
    assert latest[("bicubic", "fid")][0] == r2
    assert len(store.set_level(r1)) == 2
    # per-image: the latest run that has scores for (method, dataset, metric), not a mix of runs
    pi = store.per_image()
    assert pi["run_id"].tolist() == [r2] and pi["image"].tolist() == ["a"]
    assert store.latest_run_id() == r2


def test_two_connections_share_the_file(tmp_path):
    """Two writers (e.g. torchrun shards) on one file: WAL + busy timeout, no lost rows."""
    a, b = ResultsStore(tmp_path), ResultsStore(tmp_path)
    rid = a.add_run("smoke", {}, {})
    for k in range(20):
        (a if k % 2 else b).put_per_image(rid, "m", "d", f"img{k:02d}", {"psnr": float(k)})
    assert len(b.per_image(rid)) == 20
    a.close(), b.close()
    with pytest.raises(ValueError, match="closed"):
        a.runs()


def test_image_dirs(store, tmp_path):
    rid = store.add_run("smoke", {}, {})
    store.put_image_dir(rid, "sample", tmp_path / "out", method="bicubic")
    store.put_image_dir(rid, "sample", tmp_path / "lq", role="lq")
    with pytest.raises(ValueError, match="method is required"):
        store.put_image_dir(rid, "sample", tmp_path, role="output")
    with pytest.raises(ValueError, match="role 'gt'"):
        store.put_image_dir(rid, "sample", tmp_path, role="gt")
    df = store.image_dirs()
    assert set(zip(df.role, df.method.fillna("-"))) == {("output", "bicubic"), ("lq", "-")}


def test_newer_schema_refused(tmp_path):
    ResultsStore(tmp_path).close()
    con = sqlite3.connect(tmp_path / "results.sqlite")
    con.execute("PRAGMA user_version=99")
    con.commit(), con.close()
    with pytest.raises(ValueError, match="schema 99"):
        ResultsStore(tmp_path)


def test_fixture_store_counts(tmp_path):
    fill_store(tmp_path)
    with ResultsStore(tmp_path) as store:
        runs = store.runs()
        assert runs.loc[0, "n_per_image"] == len(PSNR) * len(IMAGES) * 2
        assert runs.loc[0, "n_failures"] == 1
