"""Build Tables 1-3 in the paper's layout from the results store's set-level frame (and the paper's).

Tables 1 and 2: one row group per dataset, one row per metric (with its arrow), one column per
method; marks are computed per row. Table 3: one row per PASD variant with the paper's design
columns, one column per metric; marks are computed per column within a dataset. In paper mode
each row becomes three: ours, the paper's printed value, and the difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from benchmarks.tables.grid import EMPTY, Cell, Grid, Row, delta_cell, result_cell
from benchmarks.tables.layouts import (
    ABLATION_FLAGS,
    ABLATION_HEADERS,
    EXTRA_METRIC_ORDER,
    get_layout,
    ordered,
    select_rows,
    table_aliases,
)
from benchmarks.tables.names import (
    METHOD_NOTES,
    METRIC_NOTES,
    dataset_label,
    is_random_weights,
    method_caveat,
    method_label,
    metric_display,
)
from benchmarks.tables.ranking import rank_marks

Key = tuple[str, str, str]  # (dataset, method, metric)


def build_table(
    table: int,
    results: pd.DataFrame,
    *,
    paper: pd.DataFrame | None = None,
    ci: bool = False,
    datasets: Sequence[str] | None = None,
    caption_suffix: str = "",
    protocol_notes: Sequence[str] = (),
) -> Grid:
    """Lay out ``results`` as the paper's Table ``table``.

    Args:
        table: 1, 2 or 3.
        results: set-level frame (``ResultsStore.set_level()``: method, dataset, metric, value,
            ci_low, ci_high, status, note).
        paper: the published table (:func:`benchmarks.tables.paper.load_paper_table`) for the
            ours / paper / delta comparison; ``None`` shows ours only.
        ci: append the bootstrap CI to every number: ``x [lo, hi]``.
        datasets: keep only these datasets (default: every dataset of the table found in either frame).
        caption_suffix: appended to the caption (e.g. which run).
        protocol_notes: footnotes about how the numbers were made (reference set, style model;
            :func:`benchmarks.tables.protocol_notes.protocol_notes`), appended to the notes.

    Returns:
        A :class:`Grid`; empty (no rows) when nothing belongs to the table.

    Raises:
        ValueError: ``table`` is not 1, 2 or 3.
    """
    layout = get_layout(table)
    ours = _index(table_aliases(select_rows(results, table), table), datasets)
    pap = _index(select_rows(paper, table), datasets) if paper is not None else None
    keys = set(ours) | set(pap or {})
    ds_list = ordered({k[0] for k in keys}, layout.datasets)
    methods = ordered({k[1] for k in keys}, layout.methods, methods=True)
    metrics = ordered({k[2] for k in keys}, layout.metrics + EXTRA_METRIC_ORDER)
    caption = f"Table {table}: {layout.caption}{caption_suffix}"
    if table == 3:
        grid = _variant_grid(caption, ds_list, methods, metrics, ours, pap, ci)
    else:
        grid = _metric_grid(caption, ds_list, methods, metrics, ours, pap, ci)
    grid.notes = _notes(table, methods, ci, pap is not None) + list(protocol_notes)
    grid.notes += list(dict.fromkeys(METRIC_NOTES[m] for m in metrics if m in METRIC_NOTES))
    return grid


def _index(df: pd.DataFrame | None, datasets: Sequence[str] | None) -> dict[Key, dict]:
    if df is None or df.empty:
        return {}
    if datasets is not None:
        df = df[df["dataset"].isin(list(datasets))]
    return {(r["dataset"], r["method"], r["metric"]): r for r in df.to_dict("records")}


def _paper_cell(rec: dict | None) -> Cell:
    return Cell(EMPTY, "empty") if rec is None else Cell(str(rec["text"]), "number", float(rec["value"]))


def _mark(cells: list[Cell], metric: str) -> None:
    disp = metric_display(metric)
    values = [c.value if c.kind == "number" else None for c in cells]
    for c, m in zip(cells, rank_marks(values, disp.higher_is_better, disp.decimals)):
        c.mark = m


def _metric_grid(caption, ds_list, methods, metrics, ours, pap, ci) -> Grid:
    headers = ["Dataset", "Metric"] + (["Source"] if pap is not None else [])
    grid = Grid(caption, headers, [method_label(m) for m in methods])
    for ds in ds_list:
        first = True
        for mt in metrics:
            if not any((ds, m, mt) in ours or (pap and (ds, m, mt) in pap) for m in methods):
                continue
            disp = metric_display(mt)
            head = [dataset_label(ds) if first else "", disp.label]
            first = False
            mine = [result_cell(ours.get((ds, m, mt)), disp.decimals, ci) for m in methods]
            _mark(mine, mt)
            if pap is None:
                grid.rows.append(Row(head, mine, ds))
                continue
            if not any((ds, m, mt) in pap for m in methods):  # nothing to compare with: ours only
                grid.rows.append(Row(head + ["ours"], mine, ds, "ours"))
                continue
            theirs = [_paper_cell(pap.get((ds, m, mt))) for m in methods]
            _mark(theirs, mt)
            delta = [delta_cell(a, b, disp.decimals) for a, b in zip(mine, theirs)]
            grid.rows += [
                Row(head + ["ours"], mine, ds, "ours"),
                Row(["", disp.label, "paper"], theirs, ds, "paper"),
                Row(["", disp.label, "Δ"], delta, ds, "delta"),
            ]
    return grid


def _variant_grid(caption, ds_list, methods, metrics, ours, pap, ci) -> Grid:
    headers = ["Dataset", "Exp.", *ABLATION_HEADERS] + (["Source"] if pap is not None else [])
    grid = Grid(caption, headers, [metric_display(m).label for m in metrics])
    for ds in ds_list:
        rows: list[Row] = []
        for meth in methods:
            if not any((ds, meth, mt) in ours or (pap and (ds, meth, mt) in pap) for mt in metrics):
                continue
            flags = ["✓" if f else "" for f in ABLATION_FLAGS.get(meth, (False,) * 3)]
            head = [dataset_label(ds) if not rows else "", method_label(meth), *flags]
            mine = []
            for mt in metrics:
                mine.append(result_cell(ours.get((ds, meth, mt)), metric_display(mt).decimals, ci))
            if pap is None:
                rows.append(Row(head, mine, ds))
                continue
            if not any((ds, meth, mt) in pap for mt in metrics):
                rows.append(Row(head + ["ours"], mine, ds, "ours"))
                continue
            theirs = [_paper_cell(pap.get((ds, meth, mt))) for mt in metrics]
            delta = [delta_cell(a, b, metric_display(mt).decimals) for a, b, mt in zip(mine, theirs, metrics)]
            blank = ["", method_label(meth), "", "", ""]
            rows += [
                Row(head + ["ours"], mine, ds, "ours"),
                Row(blank + ["paper"], theirs, ds, "paper"),
                Row(blank + ["Δ"], delta, ds, "delta"),
            ]
        for source in ("ours", "paper"):  # marks per metric column, within the dataset
            same = [r for r in rows if r.source == source]
            for j, mt in enumerate(metrics):
                _mark([r.cells[j] for r in same], mt)
        grid.rows += rows
    return grid


def _notes(table: int, methods: list[str], ci: bool, paper: bool) -> list[str]:
    where = "column (per dataset)" if table == 3 else "row"
    notes = [
        f"Bold: best, underlined: second best in each {where}, by the metric's arrow; tied values share a mark.",
        f"{EMPTY}: not run; 'weights missing' / 'not available' / 'failed': no number was computed.",
    ]
    if ci:
        notes.append(
            "[lo, hi]: bootstrap confidence interval of the mean over images, as recorded by the run."
        )
    if paper:
        notes.append(
            f"paper: the value printed in the paper (reports/paper/table{table}.csv); Δ = ours − paper."
        )
        if table == 3:
            notes.append(
                "The paper's Table 3 FID of PASD (7.2620) equals its Table 1 RealSR CLIP-FID of PASD; "
                "that column may be CLIP-FID."
            )
    notes += [METHOD_NOTES[m] for m in methods if m in METHOD_NOTES]
    for m in methods:
        if is_random_weights(m):
            notes.append(
                f"{method_label(m)}: tiny random weights; its numbers only test the plumbing, they are not results."
            )
        elif method_caveat(m):
            notes.append(f"{method_label(m)}: {method_caveat(m)}.")
    return notes
