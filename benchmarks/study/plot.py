"""The Fig 4/6-style chart: one bar per method (vote share, Bradley-Terry strength or MOS) with intervals.

Value labels sit above each error bar in dark text (readable whatever the bar's size or colour),
and no text is parsed as matplotlib mathtext, so a ``$`` in a study title or method name is
printed as written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pasd.utils.io import atomic_open

#: design -> (column, y-axis label, scale to display units, label format)
MEASURES = {
    "best-of-n": ("share", "rank-1 votes (%)", 100.0, "{:.1f}%"),
    "pairwise": ("bt_strength", "Bradley-Terry strength (%)", 100.0, "{:.1f}%"),
    "mos": ("mos", "mean opinion score (1-5)", 1.0, "{:.2f}"),
}
HIGHLIGHT = "#d62728"
OTHER = "#7f9fbf"


def build_chart(
    summary: pd.DataFrame,
    design: str = "best-of-n",
    title: str = "User study",
    highlight: str | None = None,
    ci_label: str = "",
):  # -> matplotlib.figure.Figure
    """The chart as a matplotlib Figure (see :func:`study_chart`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    col, ylabel, scale, fmt = MEASURES[design]
    highlight = highlight or summary[col].idxmax()
    val = scale * summary[col].astype(float)
    low = scale * summary["ci_low"].astype(float)
    high = scale * summary["ci_high"].astype(float)
    err = [(val - low).fillna(0).clip(lower=0), (high - val).fillna(0).clip(lower=0)]
    colors = [HIGHLIGHT if m == highlight else OTHER for m in summary.index]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(summary) + 1.5), 3.6), dpi=150)
    base = 1.0 if design == "mos" else 0.0
    ax.bar(range(len(summary)), val - base, bottom=base, color=colors, yerr=err, capsize=3,
           error_kw={"elinewidth": 1})  # fmt: skip
    top = float(high.fillna(val).max())
    span = (5.0 - base) if design == "mos" else max(10.0, top * 1.15)
    for k, (v, h) in enumerate(zip(val, high.fillna(val))):
        ax.text(k, max(v, h) + 0.02 * span, fmt.format(v), ha="center", va="bottom", fontsize=8,
                color="#111", fontweight="bold", parse_math=False)  # fmt: skip
    rotate = len(summary) > 5
    ax.set_xticks(range(len(summary)))
    ax.set_xticklabels([str(m) for m in summary.index], rotation=30 if rotate else 0,
                       ha="right" if rotate else "center", parse_math=False)  # fmt: skip
    ax.set_ylabel(ylabel)
    if design == "mos":
        ax.set_ylim(1, 5.4)
    else:
        ax.set_ylim(0, min(100.0, top * 1.15 + 5) if scale == 100 else top * 1.15)
    ax.set_title(title, fontsize=10, parse_math=False)
    fig.text(0.99, 0.01, ci_label, ha="right", va="bottom", fontsize=7, color="#444", parse_math=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def study_chart(
    summary: pd.DataFrame,
    out_stem: str | Path,
    design: str = "best-of-n",
    title: str = "User study",
    highlight: str | None = None,
    ci_label: str = "",
) -> list[Path]:
    """Draw the chart of an analysis summary as PNG and SVG.

    Args:
        summary: indexed by method with the design's measure (``share``, ``bt_strength`` or ``mos``)
            and ``ci_low``/``ci_high`` (the interval drawn; same units as the measure).
        out_stem: output path without suffix.
        design: ``"best-of-n"``, ``"pairwise"`` or ``"mos"``.
        title: chart title (printed literally).
        highlight: method drawn in the accent colour (default: the best).
        ci_label: what the error bars are, printed under the axis.

    Returns:
        The written ``.png`` and ``.svg`` paths.
    """
    import matplotlib.pyplot as plt

    fig = build_chart(summary, design, title, highlight, ci_label)
    paths = []
    for ext in ("png", "svg"):
        path = Path(f"{out_stem}.{ext}")
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, format=ext)
        paths.append(path)
    plt.close(fig)
    return paths
