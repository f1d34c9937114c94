"""Per-image score distributions (box or violin plus the individual images) of one metric."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from benchmarks.plots.figure_io import BAR_COLOR, RANDOM_WEIGHTS_COLOR, new_figure, save_png
from benchmarks.tables.layouts import METHOD_ORDER, ordered
from benchmarks.tables.names import dataset_label, is_random_weights, method_label, metric_display

Kind = Literal["box", "violin"]
KINDS: tuple[str, ...] = ("box", "violin")


def per_image_distribution(
    per_image: pd.DataFrame,
    dataset: str,
    metric: str,
    out: str | Path,
    *,
    kind: Kind = "box",
    size: tuple[int, int] = (800, 450),
    dpi: int = 100,
    seed: int = 0,
) -> Path:
    """Draw the spread of ``metric`` over the images of ``dataset``, one box/violin per method.

    Every image is also drawn as a dot (jittered horizontally with ``seed``, so the figure is
    reproducible): with few images a box hides how few there are. A violin needs two distinct
    values; methods with fewer get only their dots.

    Args:
        per_image: long frame (``ResultsStore.per_image()``: method, dataset, image, metric, value).
        kind: ``"box"`` or ``"violin"``.
        size, dpi: PNG pixel size and resolution.

    Returns:
        ``out`` as a Path.

    Raises:
        ValueError: unknown ``kind`` or no per-image values for ``dataset`` / ``metric``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {KINDS}")
    df = per_image[(per_image["dataset"] == dataset) & (per_image["metric"] == metric)]
    if df.empty:
        raise ValueError(f"no per-image values for dataset {dataset!r}, metric {metric!r}")
    disp = metric_display(metric)
    methods = ordered(set(df["method"]), METHOD_ORDER, methods=True)
    data = [df.loc[df["method"] == m, "value"].to_numpy(dtype=float) for m in methods]
    fig = new_figure(*size, dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    pos = np.arange(len(methods))
    if kind == "box":
        ax.boxplot(data, positions=pos, widths=0.5, showfliers=False, medianprops={"color": "black"})
    else:
        ok = [k for k, d in enumerate(data) if np.unique(d).size >= 2]
        if ok:
            parts = ax.violinplot([data[k] for k in ok], positions=pos[ok], widths=0.7, showmedians=True)
            for body in parts["bodies"]:
                body.set_facecolor(BAR_COLOR)
    rng = np.random.default_rng(seed)
    for k, (m, d) in enumerate(zip(methods, data)):
        color = RANDOM_WEIGHTS_COLOR if is_random_weights(m) else "#1f4e79"
        ax.scatter(k + rng.uniform(-0.12, 0.12, d.size), d, s=8, color=color, alpha=0.7, zorder=3)
    ax.set_xticks(pos, [f"{method_label(m)}\n(n={d.size})" for m, d in zip(methods, data)], rotation=30,
                  ha="right", fontsize=8)  # fmt: skip
    ax.set_xlim(-0.6, len(methods) - 0.4)
    ax.set_ylabel(f"{disp.label} per image")
    ax.set_title(f"{disp.label} per image on {dataset_label(dataset)}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return save_png(fig, out)
