"""The Fig 4/6-style chart: rank-1 vote share per method, with simultaneous CIs as error bars."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pasd.utils.io import atomic_open


def vote_share_chart(
    summary: pd.DataFrame,
    out_stem: str | Path,
    title: str = "User study: rank-1 votes",
    highlight: str | None = None,
    ci_label: str = "error bars: 95% simultaneous CI (Goodman)",
) -> list[Path]:
    """Draw a bar chart of ``summary`` (from :func:`benchmarks.study.stats.vote_shares`) as PNG and SVG.

    Args:
        summary: indexed by method with ``share``, ``ci_low``, ``ci_high`` (fractions).
        out_stem: output path without suffix.
        title: chart title.
        highlight: method drawn in the accent colour (default: the one with the most votes).
        ci_label: note on what the error bars are, printed under the axis.

    Returns:
        The written ``.png`` and ``.svg`` paths.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    highlight = highlight or summary["share"].idxmax()
    pct = 100 * summary["share"]
    err = [100 * (summary["share"] - summary["ci_low"]), 100 * (summary["ci_high"] - summary["share"])]
    colors = ["#d62728" if m == highlight else "#7f9fbf" for m in summary.index]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(summary) + 1.5), 3.4), dpi=150)
    ax.bar(range(len(summary)), pct, color=colors, yerr=err, capsize=3, error_kw={"elinewidth": 1})
    for k, v in enumerate(pct):
        ax.text(k, v / 2, f"{v:.1f}%", ha="center", va="center", fontsize=8, color="white", fontweight="bold")
    ax.set_xticks(
        range(len(summary)),
        summary.index,
        rotation=30 if len(summary) > 5 else 0,
        ha="right" if len(summary) > 5 else "center",
    )
    ax.set_ylabel("rank-1 votes (%)")
    ax.set_ylim(0, min(100, max(10.0, float(100 * summary["ci_high"].max()) * 1.1)))
    ax.set_title(title, fontsize=10)
    fig.text(0.99, 0.01, ci_label, ha="right", va="bottom", fontsize=7, color="#555")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        path = Path(f"{out_stem}.{ext}")
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, format=ext)
        paths.append(path)
    plt.close(fig)
    return paths
