"""`pasd-bench study create | analyze` through the real CLI entry point."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from benchmarks.cli import cli, main
from benchmarks.study.export import to_csv, vote_records
from benchmarks.study.server import create_app

from .conftest import ADMIN


def api_trial(c) -> dict:
    """The current trial through the JSON API, with its images fetched (the server checks that)."""
    t = c.get("/api/trial").json()
    for tok in [t["reference"], *t["options"]]:
        if tok:
            assert c.get(f"/img/{tok}").status_code == 200
    return t


def _method_args(outs):
    return [a for m, d in outs.items() for a in ("--method", f"{m}={d}")]


def test_create_then_analyze_writes_chart_and_summary(tmp_path, sources):
    lq, outs = sources
    study = tmp_path / "study"
    rc = main(["study", "create", "--inputs", str(lq), *_method_args(outs), "--out", str(study), "--n-images", "3",
               "--gold", "1", "--min-view-ms", "0", "--question", "Which one is sharpest?"])  # fmt: skip
    assert rc == 0 and (study / "study.json").is_file()
    assert json.loads((study / "study.json").read_text())["text"]["question"] == "Which one is sharpest?"
    app = create_app(study, ADMIN)
    for rater in range(3):  # three raters; rater k always picks display position k+1 ... except gold
        with TestClient(app) as c:
            c.post("/consent", data={"agree": "yes"})
            assert "Which one is sharpest?" in c.get("/trial").text
            for _ in range(4):
                t = api_trial(c)
                assert (
                    c.post("/api/vote", json={"pos": t["pos"], "option": t["options"][rater]}).status_code
                    == 200
                )
            assert c.get("/api/trial").json() == {"done": True}
    out = tmp_path / "analysis"
    bad = CliRunner().invoke(cli, ["study", "analyze", str(study), "--out", str(out), "--highlight", "pasd"])
    assert bad.exit_code == 2 and "'pasd' is not a method of the study" in bad.output  # unusable input
    res = CliRunner().invoke(
        cli, ["study", "analyze", str(study), "--out", str(out), "--n-boot", "50", "--highlight", "sharp"]
    )
    assert res.exit_code == 0, res.output
    assert "percentile bootstrap over raters" in res.output
    summary = pd.read_csv(out / "summary.csv", index_col="method")
    assert sorted(summary.index) == ["bicubic", "sharp", "smooth"] and summary["votes"].sum() == 9
    assert summary["share"].sum() == pytest.approx(1.0, abs=1e-5)  # written with 6 significant digits
    report = json.loads((out / "analysis.json").read_text())
    assert report["n_raters"] == 3 and report["gold"]["trials"] == 3
    assert (out / "votes.png").stat().st_size > 5000 and (out / "votes.svg").read_text().startswith("<?xml")
    # the same analysis from the CSV export gives the same numbers
    csv_path = tmp_path / "votes.csv"
    csv_path.write_text(to_csv(vote_records(app.state.store)))
    res2 = CliRunner().invoke(
        cli,
        [
            "study",
            "analyze",
            str(study),
            "--out",
            str(tmp_path / "a2"),
            "--votes",
            str(csv_path),
            "--n-boot",
            "50",
        ],
    )
    assert res2.exit_code == 0, res2.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a2" / "summary.csv", index_col="method"), summary)


def test_cli_errors_are_one_line(tmp_path, sources, capsys):
    lq, outs = sources
    assert (
        main(["study", "create", "--inputs", str(lq), "--method", "nofolder", "--out", str(tmp_path / "s")])
        == 2
    )
    assert "expected NAME=DIR" in capsys.readouterr().err
    rc = main(["study", "create", "--inputs", str(lq), *_method_args(outs), "--out", str(tmp_path / "s"),
               "--n-images", "50"])  # fmt: skip
    assert rc == 2 and "only 6 images" in capsys.readouterr().err
    main(
        [
            "study",
            "create",
            "--inputs",
            str(lq),
            *_method_args(outs),
            "--out",
            str(tmp_path / "s"),
            "--n-images",
            "2",
        ]
    )
    assert main(["study", "analyze", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 2
    assert "no votes yet" in capsys.readouterr().err
    assert main(["study", "export", str(tmp_path / "s"), "--out", str(tmp_path / "x.csv")]) == 2


def test_missing_study_extra_is_one_clear_line(study_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now raises ImportError
    assert main(["study", "serve", str(study_dir), "--admin-token", ADMIN]) == 2
    assert "pip install 'pasd-bench[study]'" in capsys.readouterr().err
