"""Set-level metrics (FID, CLIP-FID) between two folders that are not paired image by image.

The engine's pass (:mod:`benchmarks.metrics.one_pass`) pairs every prediction with its ground
truth by name, which is right for Table 1. A stylization set has no ground truth: its FID is
against a reference set of other images and of another size (e.g. generated exemplars), so
here each side is just listed, decoded and featurised; the reference side's features are
cached by content like the engine's GT features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.metrics.base import SetMetric
from benchmarks.metrics.feature_cache import FeatureCache, content_hash
from benchmarks.metrics.images import read_image
from benchmarks.metrics.pairing import list_images

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SetResult:
    """One set-level value, or why there is none (``status`` ``weights-missing``)."""

    value: float | None
    n_pred: int
    n_ref: int
    status: str = "ok"
    note: str | None = None


def _features(metric: SetMetric, files: list[Path], batch: int) -> np.ndarray:
    chunks = []
    for start in range(0, len(files), batch):
        chunks.append(metric.extractor([read_image(p).pixels for p in files[start : start + batch]]))
    return np.concatenate(chunks) if chunks else np.zeros((0, 1))


def set_distances(
    pred_dir: str | Path,
    ref_dir: str | Path,
    metrics: list[str],
    device: str = "cpu",
    batch_size: int = 8,
    cache_dir: str | Path | None = None,
) -> dict[str, SetResult]:
    """Each set-level metric in ``metrics`` between every image of ``pred_dir`` and of ``ref_dir``.

    Args:
        pred_dir: the method's outputs.
        ref_dir: the reference set (any names, any count; ``manifest.json`` and other non-images are skipped).
        metrics: set-level preset names (``fid``, ``clipfid``).
        device: where the feature networks run.
        batch_size: images per feature batch.
        cache_dir: feature cache for the reference side (``None``: no cache).

    Returns:
        metric -> :class:`SetResult`; missing weights give ``status="weights-missing"``, not an error.

    Raises:
        ValueError: a non-set metric, or an empty folder.
        UnreadableImageError: an undecodable image.
    """
    from benchmarks.metrics.configs import get_spec
    from benchmarks.metrics.registry import create_metric
    from pasd.hub import MissingWeightsError

    bad = [m for m in metrics if get_spec(m).mode != "set"]
    if bad:
        raise ValueError(f"set_distances takes set-level metrics only, got {bad}")
    preds = list(list_images(pred_dir).values())
    refs = list(list_images(ref_dir).values())
    cache = FeatureCache(cache_dir) if cache_dir else None
    digest = content_hash(refs) if cache else None
    out: dict[str, SetResult] = {}
    for name in metrics:
        try:
            metric = create_metric(get_spec(name).name, device=device)
        except MissingWeightsError as exc:
            out[name] = SetResult(None, len(preds), len(refs), "weights-missing", exc.reason)
            continue
        ref_feats = cache.load(metric.extractor.key, "alpha-error", digest, len(refs)) if cache else None
        if ref_feats is None:
            ref_feats = _features(metric, refs, batch_size)
            if cache:
                cache.save(metric.extractor.key, "alpha-error", digest, ref_feats)
        value = metric.compute(_features(metric, preds, batch_size), ref_feats)
        out[name] = SetResult(float(value), len(preds), len(refs))
        logger.info("%s vs reference %s: %.4f (%d / %d images)", name, ref_dir, value, len(preds), len(refs))
    return out
