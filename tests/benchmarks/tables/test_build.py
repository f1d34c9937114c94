"""Tables in the paper's layout: order, marks per metric direction, status cells, flags, CIs, paper mode."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from benchmarks.results import ResultsStore
from benchmarks.tables import (
    build_table,
    load_paper_table,
    select_rows,
    to_csv,
    to_html,
    to_latex,
    to_markdown,
)
from tests.benchmarks.results.store_data import fill_store

COLS = ["run_id", "method", "dataset", "metric", "value", "ci_low", "ci_high", "n", "status", "note"]


def frame(rows):
    recs = []
    for r in rows:
        method, dataset, metric, value = r[:4]
        status = r[4] if len(r) > 4 else "ok"
        recs.append(dict(run_id=1, method=method, dataset=dataset, metric=metric, value=value, ci_low=None,
                         ci_high=None, n=None, status=status, note=None))  # fmt: skip
    return pd.DataFrame(recs, columns=COLS)


def cells_by_method(grid, row_pred):
    row = next(r for r in grid.rows if row_pred(r))
    return dict(zip(grid.column_headers, row.cells))


def test_table1_layout_and_marks_up_and_down():
    df = frame([
        ("pasd", "realsr", "psnr", 24.8), ("bsrgan", "realsr", "psnr", 26.7), ("stablesr", "realsr", "psnr", 26.0),
        ("pasd", "realsr", "lpips", 0.29), ("bsrgan", "realsr", "lpips", 0.27), ("stablesr", "realsr", "lpips", 0.26),
        ("bicubic", "realsr", "lpips", 0.26), ("ldm", "realsr", "lpips", None, "weights-missing"),
        ("pasd", "div2k-val", "psnr", 21.85),
    ])  # fmt: skip
    g = build_table(1, df)
    # paper column order, extras after; paper dataset and metric order
    assert g.column_headers == ["BSRGAN", "LDM", "StableSR", "PASD", "Bicubic"]
    assert [(r.labels[0], r.labels[1]) for r in g.rows if r.kind == "data"] == [
        ("DIV2K valid", "PSNR↑"),
        ("RealSR", "PSNR↑"),
        ("", "LPIPS↓"),
    ]
    assert [(r.group, r.labels[1]) for r in g.rows if r.kind == "count"] == [
        ("div2k-val", "Images"),
        ("realsr", "Images"),
    ]
    psnr = cells_by_method(g, lambda r: r.group == "realsr" and r.labels[1] == "PSNR↑")
    assert psnr["BSRGAN"].mark == "best" and psnr["StableSR"].mark == "second" and psnr["PASD"].mark is None
    lpips = cells_by_method(g, lambda r: r.labels[1] == "LPIPS↓")
    # down metric: lowest is best; StableSR and Bicubic tie for best, BSRGAN second
    assert lpips["StableSR"].mark == "best" and lpips["Bicubic"].mark == "best"
    assert lpips["BSRGAN"].mark == "second" and lpips["PASD"].mark is None
    assert lpips["LDM"].text == "weights missing" and lpips["LDM"].mark is None
    assert psnr["LDM"].text == "—" and psnr["Bicubic"].text == "—"

    md = to_markdown(g)
    assert "| RealSR | PSNR↑ | **26.7000** | — | <u>26.0000</u> | 24.8000 | — |" in md
    assert (
        "| | LPIPS↓" not in md
        and "|  | LPIPS↓ | <u>0.2700</u> | weights missing | **0.2600** | 0.2900 | **0.2600** |" in md
    )
    tex = to_latex(g)
    assert r"\textbf{26.7000}" in tex and r"\underline{26.0000}" in tex and r"LPIPS$\downarrow$" in tex
    assert tex.count(r"\midrule") == 2  # header rule + one between the two datasets


def test_status_cells_never_numbers():
    df = frame([
        ("pasd", "sample", "fid", None, "weights-missing"), ("bicubic", "sample", "fid", None, "not-available"),
        ("lanczos", "sample", "fid", None, "failed"),
    ])  # fmt: skip
    g = build_table(1, df)
    assert g.column_headers == ["PASD", "Bicubic", "Lanczos"]
    assert [c.text for c in g.rows[0].cells] == ["weights missing", "not available", "failed"]
    assert all(c.mark is None and c.value is None for c in g.rows[0].cells)


def test_random_weights_flag_everywhere(tmp_path):
    fill_store(tmp_path)
    with ResultsStore(tmp_path) as s:
        df = s.set_level()
    g = build_table(1, df, ci=True)
    assert "pasd-tiny (random weights)" in g.column_headers
    assert g.column_headers[-1] == "pasd-tiny (random weights)"  # plumbing last
    for text in (to_markdown(g), to_latex(g), to_csv(g), to_html(g)):
        assert "pasd-tiny (random weights)" in text
    assert any("random weights" in n for n in g.notes)
    psnr = cells_by_method(g, lambda r: r.labels[1] == "PSNR↑")
    assert psnr["Lanczos"].text == "25.5000 [24.5000, 26.5000]" and psnr["Lanczos"].mark == "best"
    assert psnr["PASD"].text == "not available"


def test_csv_output_is_tidy(tmp_path):
    fill_store(tmp_path)
    with ResultsStore(tmp_path) as s:
        g = build_table(1, s.set_level())
    df = pd.read_csv(io.StringIO(to_csv(g)))
    assert list(df.columns) == ["table", "dataset", "method", "method_label", "metric", "source", "value",
                                "ci_low", "ci_high", "n", "n_official", "partial", "status", "mark", "text"]  # fmt: skip
    assert df["dataset"].notna().all() and df["metric"].notna().all()  # no blanked repeats
    row = df[(df.method == "bicubic") & (df.metric == "psnr")].iloc[0]
    assert (row.value, row.ci_low, row.ci_high, row.n, row.n_official, row.partial) == (
        25.0,
        24.0,
        26.0,
        3,
        6,
        1,
    )
    assert row.status == "ok" and row.text == "25.0000"
    fid = df[(df.method == "bicubic") & (df.metric == "fid")].iloc[0]
    assert fid.status == "weights-missing" and pd.isna(fid.value)
    assert "pasd-tiny (random weights)" in set(df.method_label)
    assert "**" not in to_csv(g)


def test_paper_mode_ours_paper_delta():
    df = frame(
        [
            ("pasd", "realsr", "psnr", 25.0),
            ("bsrgan", "realsr", "psnr", 26.0),
            ("bicubic", "realsr", "psnr", 23.0),
        ]
    )
    g = build_table(1, df, paper=load_paper_table(1), datasets=["realsr"])
    assert g.label_headers == ["Dataset", "Metric", "Source"]
    psnr_rows = [r for r in g.rows if r.labels[1] == "PSNR↑"]
    assert [r.source for r in psnr_rows] == ["ours", "paper", "delta"]
    ours, paper, delta = (dict(zip(g.column_headers, r.cells)) for r in psnr_rows)
    assert paper["PASD"].text == "24.8065" and paper["SD Upscaler"].text == "25.871"
    assert delta["PASD"].text == f"{25.0 - 24.8065:+.4f}"
    assert delta["Bicubic"].text == "—" and paper["Bicubic"].text == "—"  # the paper has no bicubic
    assert paper["BSRGAN"].mark == "best" and paper["SwinIR-GAN"].mark == "second"
    assert ours["BSRGAN"].mark == "best" and ours["PASD"].mark == "second"
    # other metrics of RealSR come from the paper alone: ours is empty there
    ssim = [r for r in g.rows if r.labels[1] == "SSIM↑"]
    assert [c.text for c in ssim[0].cells] == ["—"] * len(g.column_headers)
    assert {r.group for r in g.rows} == {"realsr"}


def test_paper_mode_dataset_without_paper_values_has_no_paper_rows():
    df = frame([("bicubic", "sample", "psnr", 23.0)])
    g = build_table(1, df, paper=load_paper_table(1), datasets=["sample"])
    assert [(r.source, r.kind) for r in g.rows] == [("ours", "data"), ("ours", "count")]


def test_table3_variants_as_rows():
    df = frame([
        ("pasd-abl-a", "realsr", "psnr", 23.0), ("pasd-abl-b", "realsr", "psnr", 26.0),
        ("pasd-abl-b", "realsr", "lpips", 0.39), ("pasd", "realsr", "psnr", 24.8), ("pasd", "realsr", "lpips", 0.29),
        ("pasd", "div2k-val", "psnr", 21.0),  # no ablation on DIV2K: not part of Table 3
    ])  # fmt: skip
    g = build_table(3, df)
    assert g.label_headers == ["Dataset", "Exp.", "Degradation Removal", "High-level info", "Negative prompt"]
    assert g.column_headers == ["PSNR↑", "LPIPS↓", "Images"]
    assert [r.labels for r in g.rows] == [
        ["RealSR", "(a)", "", "", ""],
        ["", "(b)", "✓", "", ""],
        ["", "PASD", "✓", "✓", "✓"],
    ]
    assert [r.cells[0].mark for r in g.rows] == [None, "best", "second"]  # PSNR up, per column
    assert [r.cells[1].mark for r in g.rows] == [None, "second", "best"]  # LPIPS down
    assert g.rows[0].cells[1].text == "—"
    gp = build_table(3, df, paper=load_paper_table(3))
    assert any("CLIP-FID" in n for n in gp.notes)
    assert "FID↓" in gp.column_headers


def test_routing_between_tables():
    df = frame([
        ("pasd", "realsr", "psnr", 1.0), ("pasd", "ffhq-100", "fid", 1.0), ("cartoongan", "sample", "fid", 1.0),
        ("pasd-abl-a", "realsr", "psnr", 1.0), ("bicubic", "sample", "psnr", 1.0),
    ])  # fmt: skip
    key = lambda d: set(zip(d.method, d.dataset))  # noqa: E731
    assert key(select_rows(df, 1)) == {("pasd", "realsr"), ("bicubic", "sample")}
    assert key(select_rows(df, 2)) == {("pasd", "ffhq-100"), ("cartoongan", "sample")}
    assert key(select_rows(df, 3)) == {("pasd-abl-a", "realsr"), ("pasd", "realsr")}
    with pytest.raises(ValueError, match="table must be one of"):
        build_table(4, df)


def test_empty_table_renders():
    g = build_table(2, frame([("bicubic", "sample", "psnr", 1.0)]))
    assert g.is_empty
    assert "(no results)" in to_markdown(g)


def test_unknown_metric_shown_without_marks():
    g = build_table(1, frame([("bicubic", "sample", "vif-x", 0.1), ("lanczos", "sample", "vif-x", 0.2)]))
    assert [r.labels[1] for r in g.rows if r.kind == "data"] == ["vif-x"]  # no arrow: direction unknown
    assert [c.mark for c in g.rows[0].cells] == [None, None]


def test_modern_metrics_follow_the_papers_with_their_directions_and_footnotes():
    """table1-plus metrics land in Table 1 after the paper's, NIQE/KID down, MANIQA's seed in a footnote."""
    df = frame([
        ("pasd", "realsr", "psnr", 24.8), ("pasd", "realsr", "niqe", 4.1), ("bsrgan", "realsr", "niqe", 5.2),
        ("pasd", "realsr", "maniqa-pipal", 0.61), ("bsrgan", "realsr", "maniqa-pipal", 0.55),
        ("pasd", "realsr", "kid", 0.012), ("bsrgan", "realsr", "kid", None, "weights-missing"),
    ])  # fmt: skip
    g = build_table(1, df)
    assert [r.labels[1] for r in g.rows if r.kind == "data"] == ["PSNR↑", "NIQE↓", "MANIQA-PIPAL↑", "KID↓"]
    niqe = cells_by_method(g, lambda r: r.labels[1] == "NIQE↓")
    assert niqe["PASD"].mark == "best"  # lower NIQE is better
    maniqa = cells_by_method(g, lambda r: r.labels[1] == "MANIQA-PIPAL↑")
    assert maniqa["PASD"].mark == "best"
    assert cells_by_method(g, lambda r: r.labels[1] == "KID↓")["BSRGAN"].text == "weights missing"
    notes = " ".join(g.notes)
    assert "seeds torch and NumPy" in notes and notes.count("MANIQA (KonIQ) and MANIQA-PIPAL") == 1
    assert "KID: clean-fid's kernel distance" in notes
