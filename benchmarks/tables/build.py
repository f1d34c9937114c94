"""Build Tables 1-3 in the paper's layout from the results store's set-level frame (and the paper's).

Tables 1 and 2: one row group per dataset, one row per metric (with its arrow), one column per
method; marks are computed per row. Table 3: one row per PASD variant with the paper's design
columns, one column per metric; marks are computed per column within a dataset. In paper mode
each row becomes three: ours, the paper's printed value, and the difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from benchmarks.results.method_ids import base_method
from benchmarks.results.seeds import seed_count
from benchmarks.tables.grid import EMPTY, PARTIAL_MARK, Cell, Grid, Row, count_cell, delta_cell, result_cell
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
    METRIC_NOTES,
    dataset_label,
    is_random_weights,
    method_caveat,
    method_label,
    method_note,
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
    n_official: Mapping[str, int | None] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Grid:
    """Lay out ``results`` as the paper's Table ``table``.

    Args:
        table: 1, 2 or 3.
        results: set-level frame (``ResultsStore.set_level()``: method, dataset, metric, value,
            ci_low, ci_high, status, note).
        paper: the published table (:func:`benchmarks.tables.paper.load_paper_table`) for the
            ours / paper / delta comparison; ``None`` shows ours only.
        ci: append the cell's interval to every number: ``x [lo, hi]`` (the run's bootstrap over
            images; over seeds for a mean of several seeds, see :mod:`benchmarks.results.seeds`).
        datasets: keep only these datasets (default: every dataset of the table found in either frame).
        caption_suffix: appended to the caption (e.g. which run).
        protocol_notes: footnotes about how the numbers were made (reference set, style model;
            :func:`benchmarks.tables.protocol_notes.protocol_notes`), appended to the notes.
        n_official: dataset -> size of its official set (default: the dataset registry's
            ``expected_count``). Numbers on fewer images are flagged ``†``; every table shows the
            image counts (an "Images" row per dataset, or column in Table 3).
        labels: method entry id -> the label its preset gave it (``ResultsStore.method_labels``);
            results are keyed by entry id, so two entries of one method are two columns.

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
    official = _official_counts(ds_list, n_official)
    labels = dict(labels or {})
    if table == 3:
        grid = _variant_grid(caption, ds_list, methods, metrics, ours, pap, ci, official, labels)
    else:
        grid = _metric_grid(caption, ds_list, methods, metrics, ours, pap, ci, official, labels)
    grid.notes = _notes(table, methods, ci, pap is not None, grid, ours, labels) + list(protocol_notes)
    grid.table = table
    grid.method_labels = labels
    grid.notes += list(dict.fromkeys(METRIC_NOTES[m] for m in metrics if m in METRIC_NOTES))
    return grid


def _official_counts(ds_list: list[str], given: Mapping[str, int | None] | None) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for ds in ds_list:
        if given is not None and given.get(ds) is not None:
            out[ds] = int(given[ds])  # type: ignore[arg-type]
            continue
        try:
            from benchmarks.datasets import DATASETS

            out[ds] = DATASETS.get(ds).expected_count if ds in DATASETS else None
        except ImportError:  # pragma: no cover - part of the same package
            out[ds] = None
    return out


def _keyed(cell: Cell, ds: str, method: str, metric: str, n_official: int | None) -> Cell:
    cell.dataset, cell.method, cell.metric, cell.n_official = ds, method, metric, n_official
    return cell


def _counts(ours: dict[Key, dict], ds: str, method: str, metrics: Sequence[str]) -> int | None:
    """Images behind a method's numbers on a dataset: the largest n of its scored cells."""
    ns = [ours[(ds, method, mt)].get("n") for mt in metrics if (ds, method, mt) in ours]
    ns = [int(n) for n in ns if n is not None and n == n and not pd.isna(n)]
    return max(ns) if ns else None


def _index(df: pd.DataFrame | None, datasets: Sequence[str] | None) -> dict[Key, dict]:
    if df is None or df.empty:
        return {}
    if datasets is not None:
        df = df[df["dataset"].isin(list(datasets))]
    return {(r["dataset"], r["method"], r["metric"]): r for r in df.to_dict("records")}


def _paper_cell(rec: dict | None, n_official: int | None = None) -> Cell:
    """A printed paper value; the paper evaluated on the official sets, so its n is the official count."""
    if rec is None:
        return Cell(EMPTY, "empty")
    return Cell(str(rec["text"]), "number", float(rec["value"]), n=n_official, status="ok")


def _paper_flags(rec_by_metric: list[dict | None], method: str) -> list[str]:
    """Table 3's design columns of a paper row: from the paper CSV where it has them, else ours."""
    for rec in rec_by_metric:
        if rec is not None and all(
            k in rec for k in ("degradation_removal", "high_level_info", "negative_prompt")
        ):
            vals = (rec["degradation_removal"], rec["high_level_info"], rec["negative_prompt"])
            if all(isinstance(v, bool) for v in vals):
                return ["✓" if v else "" for v in vals]
    return ["✓" if f else "" for f in ABLATION_FLAGS.get(base_method(method), (False,) * 3)]


def _mark(cells: list[Cell], metric: str) -> None:
    disp = metric_display(metric)
    values = [c.value if c.kind == "number" else None for c in cells]
    for c, m in zip(cells, rank_marks(values, disp.higher_is_better, disp.decimals)):
        c.mark = m


def _metric_grid(caption, ds_list, methods, metrics, ours, pap, ci, official, labels) -> Grid:
    headers = ["Dataset", "Metric"] + (["Source"] if pap is not None else [])
    grid = Grid(caption, headers, [method_label(m, labels) for m in methods])
    for ds in ds_list:
        first = True
        n_off = official.get(ds)
        for mt in metrics:
            if not any((ds, m, mt) in ours or (pap and (ds, m, mt) in pap) for m in methods):
                continue
            disp = metric_display(mt)
            head = [dataset_label(ds) if first else "", disp.label]
            first = False
            mine = [_keyed(result_cell(ours.get((ds, m, mt)), disp.decimals, ci, n_off), ds, m, mt, n_off)
                    for m in methods]  # fmt: skip
            _mark(mine, mt)
            if pap is None:
                grid.rows.append(Row(head, mine, ds))
                continue
            if not any((ds, m, mt) in pap for m in methods):  # nothing to compare with: ours only
                grid.rows.append(Row(head + ["ours"], mine, ds, "ours"))
                continue
            theirs = [_keyed(_paper_cell(pap.get((ds, m, mt)), n_off), ds, m, mt, n_off) for m in methods]
            _mark(theirs, mt)
            delta = [
                _keyed(delta_cell(a, b, disp.decimals), ds, m, mt, n_off)
                for a, b, m in zip(mine, theirs, methods)
            ]
            grid.rows += [
                Row(head + ["ours"], mine, ds, "ours"),
                Row(["", disp.label, "paper"], theirs, ds, "paper"),
                Row(["", disp.label, "Δ"], delta, ds, "delta"),
            ]
        if not first:  # the dataset had rows: how many images each method's numbers rest on
            counts = [count_cell(_counts(ours, ds, m, metrics), n_off) for m in methods]
            label = ["", "Images"] + (["ours"] if pap is not None else [])
            grid.rows.append(Row(label, counts, ds, "ours", kind="count"))
    return grid


def _variant_grid(caption, ds_list, methods, metrics, ours, pap, ci, official, labels) -> Grid:
    headers = ["Dataset", "Exp.", *ABLATION_HEADERS] + (["Source"] if pap is not None else [])
    grid = Grid(caption, headers, [metric_display(m).label for m in metrics] + ["Images"])
    for ds in ds_list:
        rows: list[Row] = []
        n_off = official.get(ds)
        for meth in methods:
            if not any((ds, meth, mt) in ours or (pap and (ds, meth, mt) in pap) for mt in metrics):
                continue
            flags = ["✓" if f else "" for f in ABLATION_FLAGS.get(base_method(meth), (False,) * 3)]
            head = [dataset_label(ds) if not rows else "", method_label(meth, labels), *flags]
            mine = [_keyed(result_cell(ours.get((ds, meth, mt)), metric_display(mt).decimals, ci, n_off),
                           ds, meth, mt, n_off) for mt in metrics]  # fmt: skip
            count = count_cell(_counts(ours, ds, meth, metrics), n_off)
            if pap is None:
                rows.append(Row(head, [*mine, count], ds))
                continue
            if not any((ds, meth, mt) in pap for mt in metrics):
                rows.append(Row(head + ["ours"], [*mine, count], ds, "ours"))
                continue
            recs = [pap.get((ds, meth, mt)) for mt in metrics]
            theirs = [_keyed(_paper_cell(r, n_off), ds, meth, mt, n_off) for r, mt in zip(recs, metrics)]
            delta = [_keyed(delta_cell(a, b, metric_display(mt).decimals), ds, meth, mt, n_off)
                     for a, b, mt in zip(mine, theirs, metrics)]  # fmt: skip
            # the design columns describe the variant: the same check marks on all three rows
            paper_head = ["", method_label(meth, labels), *_paper_flags(recs, meth)]
            rows += [
                Row(head + ["ours"], [*mine, count], ds, "ours"),
                Row(paper_head + ["paper"], [*theirs, count_cell(n_off, n_off)], ds, "paper"),
                Row(
                    ["", method_label(meth, labels), *flags, "Δ"], [*delta, Cell(EMPTY, "empty")], ds, "delta"
                ),
            ]
        for source in ("ours", "paper"):  # marks per metric column, within the dataset
            same = [r for r in rows if r.source == source]
            for j, mt in enumerate(metrics):
                _mark([r.cells[j] for r in same], mt)
        grid.rows += rows
    return grid


def _notes(
    table: int,
    methods: list[str],
    ci: bool,
    paper: bool,
    grid: Grid,
    ours: dict[Key, dict],
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    where = "column (per dataset)" if table == 3 else "row"
    notes = [
        f"Bold: best, underlined: second best in each {where}, by the metric's arrow; tied values share a mark.",
        f"{EMPTY}: not run; 'weights missing' / 'not available' / 'data missing' / 'failed' / 'interrupted': "
        "no number was computed.",
        "Images: how many images each method's numbers rest on, of the official set's size.",
    ]
    partial = sorted({(c.dataset, c.n, c.n_official) for r in grid.rows for c in r.cells if c.partial})
    if partial:
        where_ = "; ".join(f"{dataset_label(d)}: {n} of {n_off}" for d, n, n_off in partial)
        notes.append(
            f"{PARTIAL_MARK}: computed on fewer images than the official set ({where_}); "
            "not comparable with numbers on the full set (the paper's)."
        )
    stopped = sorted(
        {
            int(r["run_id"])
            for r in ours.values()
            if r.get("status") == "pending" and r.get("run_status") != "running"
        }
    )
    if stopped:
        notes.append(
            f"interrupted: run(s) {', '.join(map(str, stopped))} stopped before scoring these cells; "
            "rerun the same command to resume."
        )
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
    notes += list(dict.fromkeys(method_note(m) for m in methods if method_note(m)))
    for m in methods:
        if is_random_weights(m):
            notes.append(
                f"{method_label(m, labels)}: tiny random weights; its numbers only test the plumbing, they are "
                "not results."
            )
        elif method_caveat(m):
            notes.append(f"{method_label(m, labels)}: {method_caveat(m)}.")
    if any(seed_count(r) > 1 for r in ours.values()):
        notes.append(
            "Cells over several seeds show the mean of the seeds' values"
            + (" and [lo, hi] = the 95% Student-t interval of that mean over seeds" if ci else "")
            + "; each seed's value is in the cell's note and in `pasd-bench results show`."
        )
    return notes
