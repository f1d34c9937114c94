"""From a results directory to a written table file: what ``pasd-bench tables`` calls."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmarks.results import ResultsStore
from benchmarks.results.seeds import mean_over_seeds
from benchmarks.tables.build import build_table
from benchmarks.tables.grid import Grid
from benchmarks.tables.paper import load_paper_table
from benchmarks.tables.protocol_notes import protocol_notes
from benchmarks.tables.render import render
from pasd.utils.io import atomic_write_text


def make_table(
    results: str | Path,
    table: int,
    *,
    run_id: int | None = None,
    ci: bool = False,
    paper: bool = False,
    paper_dir: str | Path | None = None,
    datasets: Sequence[str] | None = None,
) -> Grid:
    """Read the store under ``results`` and lay out Table ``table``.

    Args:
        results: results directory (or its ``results.sqlite``).
        table: 1, 2 or 3.
        run_id: one run; ``None``: the latest value of every cell across runs.
        ci: show bootstrap CIs.
        paper: add the paper's values and the differences.
        paper_dir: folder of the paper CSVs (default ``reports/paper``).
        datasets: restrict to these datasets.

    Raises:
        FileNotFoundError: no results database (or paper CSV).
        KeyError: unknown ``run_id``.
        ValueError: bad ``table``.
    """
    with ResultsStore(results, create=False) as store:
        if run_id is not None:
            store.run(run_id)  # KeyError naming the known runs
        df = mean_over_seeds(store.set_level(run_id))
        configs = run_configs(store, df, run_id)
        official = official_counts(store, run_id)
        labels = store.method_labels(run_id)
    ref = load_paper_table(table, paper_dir) if paper else None
    suffix = f" (run {run_id})" if run_id is not None else ""
    return build_table(
        table, df, paper=ref, ci=ci, datasets=datasets, caption_suffix=suffix,
        protocol_notes=protocol_notes(configs, table), n_official=official, labels=labels,
    )  # fmt: skip


def run_configs(store: ResultsStore, df, run_id: int | None) -> list[dict]:
    """The recorded configs of the runs whose cells ``df`` shows (one run, or every run contributing)."""
    ids = [run_id] if run_id is not None else sorted({int(r) for r in df.get("run_id", [])})
    return [store.run(i)["config"] for i in ids]


def official_counts(store: ResultsStore, run_id: int | None = None) -> dict[str, int | None]:
    """Dataset -> official set size, as the runs recorded it (older stores: from the dataset registry)."""
    ds = store.datasets(run_id)
    # n_official is a nullable Int64 column: a dataset without an official size reads pd.NA
    return {r.dataset: (None if pd.isna(r.n_official) else int(r.n_official)) for r in ds.itertuples()}


def write_table(grid: Grid, fmt: str, out: str | Path | None = None) -> str:
    """Render ``grid`` as ``fmt`` and, when ``out`` is given, write it atomically; returns the text."""
    text = render(grid, fmt)
    if out is not None:
        atomic_write_text(out, text)
    return text
