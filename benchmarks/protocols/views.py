"""Rebuild the (pred, GT) folder pair a run scored, from what its results store recorded.

The runner scores outputs against the dataset's HQ images paired by item id; the store keeps
the output folder, the per-image ids and the run's dataset config. A view is a temporary folder
of symlinks ``pred/<id>.png`` / ``gt/<id><ext>`` that the metric engine can read again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoredSet:
    """One (method entry, dataset, seed) of a run: where its outputs and their ground truth are."""

    method: str
    dataset: str
    run_id: int
    pred: dict[str, Path]  # item id -> output file
    gt: dict[str, Path]  # item id -> HQ file (empty for no-reference datasets)
    seed: int = 0

    @property
    def name(self) -> str:
        """The method entry, with its seed when it is not 0 (what spread tables print)."""
        return self.method if self.seed == 0 else f"{self.method} (seed {self.seed})"


def _hq_from_dataset(config: dict, dataset: str) -> dict[str, Path]:
    from benchmarks.datasets import create_dataset

    for d in config.get("datasets", []):
        if d.get("name") == dataset:
            try:
                ds = create_dataset(dataset, d.get("root") or ".", **dict(d.get("params") or {}))
                return {i.id: i.hq for i in ds.items() if i.hq is not None}
            except (FileNotFoundError, ValueError, KeyError) as exc:
                logger.info(
                    "dataset %s not readable from the run config (%s); pairing HQ by file stem", dataset, exc
                )
    return {}


def _hq_by_stem(folder: Path) -> dict[str, Path]:
    from benchmarks.metrics.images import IMAGE_EXTENSIONS

    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_EXTENSIONS}


def scored_sets(results_dir: str | Path, run_id: int | None = None) -> list[ScoredSet]:
    """Every (method, dataset) with recorded outputs, with its outputs and HQ files by item id.

    Raises:
        FileNotFoundError: no results database. ValueError: nothing recorded.
    """
    from benchmarks.drift.records import read_run
    from benchmarks.results import ResultsStore

    with ResultsStore(results_dir, create=False) as store:
        dirs = store.image_dirs(run_id)
        pi = store.per_image(run_id)
        configs = {int(r): read_run(store, int(r)).config for r in set(dirs.run_id)}
    if dirs.empty:
        raise ValueError(f"{results_dir}: no output folders recorded (run `pasd-bench run` first)")
    ids: dict[tuple[str, str, int], set[str]] = {}
    for row in pi.itertuples(index=False):
        ids.setdefault((row.method, row.dataset, int(row.seed)), set()).add(row.image)
    hq_dirs = {r.dataset: Path(r.path) for r in dirs.itertuples(index=False) if r.role == "hq"}
    out = []
    for row in dirs.itertuples(index=False):
        if row.role != "output":
            continue
        folder = Path(row.path)
        wanted = ids.get((row.method, row.dataset, int(row.seed)))
        pred = {p.stem: p for p in sorted(folder.glob("*.png")) if wanted is None or p.stem in wanted}
        hq = _hq_from_dataset(configs[int(row.run_id)], row.dataset) or _hq_by_stem(
            hq_dirs.get(row.dataset, Path("/nonexistent"))
        )
        gt = {i: hq[i] for i in pred if i in hq}
        if hq and len(gt) < len(pred):
            logger.warning(
                "%s / %s: %d outputs have no HQ partner", row.method, row.dataset, len(pred) - len(gt)
            )
            pred = {i: p for i, p in pred.items() if i in gt}
        out.append(ScoredSet(row.method, row.dataset, int(row.run_id), pred, gt, int(row.seed)))
    return out


def write_view(scored: ScoredSet, root: Path) -> tuple[Path, Path | None]:
    """Symlink ``scored`` into ``root/pred`` and ``root/gt``; returns the two folders (gt None if no HQ)."""
    pred_dir, gt_dir = root / "pred", root / "gt"
    pred_dir.mkdir(parents=True, exist_ok=True)
    for i, p in scored.pred.items():
        os.symlink(p.resolve(), pred_dir / f"{i}{p.suffix}")
    if not scored.gt:
        return pred_dir, None
    gt_dir.mkdir(parents=True, exist_ok=True)
    for i, p in scored.gt.items():
        os.symlink(p.resolve(), gt_dir / f"{i}{p.suffix}")
    return pred_dir, gt_dir
