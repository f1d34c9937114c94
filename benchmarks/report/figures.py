"""Every figure a report shows, drawn from the store's frames into ``<out>/figures/``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks.plots import comparison_grid, metric_bar_chart, per_image_distribution
from benchmarks.plots.crops import IMAGE_SUFFIXES
from benchmarks.tables.layouts import METHOD_ORDER, ordered
from benchmarks.tables.names import dataset_label, metric_label

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Figure:
    """A written figure: ``path`` relative to the report folder, its kind, dataset and caption."""

    path: str
    kind: str  # "bar", "distribution" or "grid"
    dataset: str
    caption: str


def slug(text: str) -> str:
    """A file-name-safe form of a key (``div2k-val`` stays, ``a/b c`` becomes ``a_b_c``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def bar_figures(set_level: pd.DataFrame, out: Path) -> list[Figure]:
    """One bar chart per (dataset, metric) that has at least one number."""
    figs = []
    ok = set_level[set_level["status"] == "ok"]
    for (ds, mt), _ in ok.groupby(["dataset", "metric"], sort=True):
        rel = f"figures/bar_{slug(ds)}_{slug(mt)}.png"
        metric_bar_chart(set_level, ds, mt, out / rel)
        figs.append(Figure(rel, "bar", ds, f"{metric_label(mt)} on {dataset_label(ds)}"))
    return figs


def distribution_figures(per_image: pd.DataFrame, out: Path) -> list[Figure]:
    """One box plot of per-image scores per (dataset, metric)."""
    figs = []
    for (ds, mt), _ in per_image.groupby(["dataset", "metric"], sort=True):
        rel = f"figures/dist_{slug(ds)}_{slug(mt)}.png"
        per_image_distribution(per_image, ds, mt, out / rel)
        figs.append(Figure(rel, "distribution", ds, f"{metric_label(mt)} per image on {dataset_label(ds)}"))
    return figs


def _stems(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def grid_figures(image_dirs: pd.DataFrame, out: Path, max_images: int = 2) -> list[Figure]:
    """A comparison grid per dataset whose method output folders the run recorded.

    The first ``max_images`` images (sorted by name) that at least one method produced are
    shown; a folder that no longer exists is skipped with a warning, never an error, because a
    report is often rebuilt on another machine than the one that ran the methods.
    """
    figs = []
    for ds, rows in image_dirs.groupby("dataset", sort=True):
        outputs = {}
        for r in rows.to_dict("records"):
            if r["role"] != "output":
                continue
            if Path(r["path"]).is_dir():
                outputs[r["method"]] = Path(r["path"])
            else:
                logger.warning(
                    "%s on %s: output folder %s is gone; left out of the grid", r["method"], ds, r["path"]
                )
        if not outputs:
            continue
        methods = {m: outputs[m] for m in ordered(outputs, METHOD_ORDER, methods=True)}
        role = {r["role"]: Path(r["path"]) for r in rows.to_dict("records") if r["role"] != "output"}
        names = sorted(set().union(*(_stems(p) for p in methods.values())))[:max_images]
        if not names:
            continue
        rel = f"figures/grid_{slug(ds)}.png"
        comparison_grid(
            names, methods, out / rel,
            lq_dir=role["lq"] if "lq" in role and role["lq"].is_dir() else None,
            hq_dir=role["hq"] if "hq" in role and role["hq"].is_dir() else None,
        )  # fmt: skip
        figs.append(Figure(rel, "grid", ds, f"Visual comparison on {dataset_label(ds)}: {', '.join(names)}"))
    return figs


def extra_grid_figures(grids: Mapping[str, Mapping], out: Path) -> list[Figure]:
    """Grids the caller describes: name -> keyword arguments of :func:`comparison_grid` (plus ``dataset``)."""
    figs = []
    for name, spec in grids.items():
        kw = dict(spec)
        ds = kw.pop("dataset", "")
        rel = f"figures/grid_{slug(name)}.png"
        comparison_grid(out=out / rel, **kw)
        figs.append(Figure(rel, "grid", ds, f"Visual comparison: {name}"))
    return figs
