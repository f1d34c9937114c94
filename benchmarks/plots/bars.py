"""Bar chart of one metric on one dataset across methods, with each cell's interval as error bars.

The interval is the run's bootstrap over images, or for a mean over several seeds the Student-t
interval over seeds (:mod:`benchmarks.results.seeds`); the figure says which when seeds are mixed in.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from benchmarks.plots.figure_io import BAR_COLOR, BEST_COLOR, RANDOM_WEIGHTS_COLOR, new_figure, save_png
from benchmarks.results.seeds import seed_count
from benchmarks.tables.grid import STATUS_TEXT
from benchmarks.tables.layouts import METHOD_ORDER, ordered
from benchmarks.tables.names import dataset_label, is_random_weights, method_label, metric_display
from benchmarks.tables.ranking import rank_marks


def metric_bar_chart(
    results: pd.DataFrame,
    dataset: str,
    metric: str,
    out: str | Path,
    *,
    size: tuple[int, int] = (800, 450),
    dpi: int = 100,
) -> Path:
    """Draw ``metric`` on ``dataset`` for every method in ``results`` as a PNG.

    Bars of the best method are red; tiny random-weight methods are grey and labelled
    "(random weights)". A method without a number (weights missing, not available, failed) gets
    no bar but its status written at the axis, so it is never read as zero.

    Args:
        results: set-level frame (``ResultsStore.set_level()``).
        dataset, metric: the cell group to draw.
        out: PNG path.
        size: pixel size ``(width, height)`` of the PNG.
        dpi: resolution (fonts scale with it).

    Returns:
        ``out`` as a Path.

    Raises:
        ValueError: no rows for ``dataset`` / ``metric``.
    """
    df = results[(results["dataset"] == dataset) & (results["metric"] == metric)]
    if df.empty:
        raise ValueError(f"no results for dataset {dataset!r}, metric {metric!r}")
    disp = metric_display(metric)
    recs = {r["method"]: r for r in df.to_dict("records")}
    methods = ordered(recs, METHOD_ORDER, methods=True)
    values = [float(recs[m]["value"]) if recs[m]["status"] == "ok" else None for m in methods]
    marks = rank_marks(values, disp.higher_is_better, disp.decimals)
    fig = new_figure(*size, dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    for k, (m, v, mark) in enumerate(zip(methods, values, marks)):
        rec = recs[m]
        if v is None:
            ax.text(k, 0, STATUS_TEXT.get(rec["status"], rec["status"]), rotation=90, ha="center", va="bottom",
                    fontsize=7, color="#555555", transform=ax.get_xaxis_transform())  # fmt: skip
            continue
        color = (
            RANDOM_WEIGHTS_COLOR if is_random_weights(m) else (BEST_COLOR if mark == "best" else BAR_COLOR)
        )
        err = None
        lo, hi = rec.get("ci_low"), rec.get("ci_high")
        if lo is not None and hi is not None and not (pd.isna(lo) or pd.isna(hi)):
            err = [[v - float(lo)], [float(hi) - v]]
        ax.bar(k, v, color=color, yerr=err, capsize=3, error_kw={"elinewidth": 1})
        ax.annotate(f"{v:.{disp.decimals}f}", (k, v), textcoords="offset points", xytext=(0, 2), ha="center",
                    va="bottom", fontsize=7)  # fmt: skip
    ax.set_xticks(
        range(len(methods)), [method_label(m) for m in methods], rotation=30, ha="right", fontsize=8
    )
    ax.set_xlim(-0.6, len(methods) - 0.4)
    ax.set_ylabel(disp.label)
    ax.set_title(f"{disp.label} on {dataset_label(dataset)}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    if any(seed_count(recs[m]) > 1 for m in methods):
        fig.text(0.01, 0.01, "error bars of means over seeds: 95% Student-t interval over seeds", fontsize=6,
                 color="#555555")  # fmt: skip
    fig.tight_layout()
    return save_png(fig, out)
