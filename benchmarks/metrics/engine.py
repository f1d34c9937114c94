"""The engine's entry point: options, metric construction, and :func:`evaluate`.

The pass itself (decode once, batch, feed every metric) is :mod:`benchmarks.metrics.one_pass`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from benchmarks.metrics.base import PerImageMetric, SetMetric
from benchmarks.metrics.configs import TABLE1_METRICS, get_spec
from benchmarks.metrics.images import ALPHA_POLICIES, AlphaPolicy
from benchmarks.metrics.one_pass import PassState, run_pass
from benchmarks.metrics.pairing import pair_images
from benchmarks.metrics.registry import create_metric
from pasd.hub import MissingWeightsError

logger = logging.getLogger(__name__)

SizePolicy = Literal["error", "resize-pred"]
SIZE_POLICIES: tuple[str, ...] = ("error", "resize-pred")


@dataclass
class EngineOptions:
    """Settings that change scores or the pass; all are written to the results JSON."""

    crop_border: int | None = None  # None: the preset's (4)
    device: str = "cpu"
    batch_size: int = 8
    alpha: AlphaPolicy = "error"
    size_mismatch: SizePolicy = "error"
    skip_missing: bool = False
    skip_unreadable: bool = False
    cache_dir: str | None = None
    confidence: float = 0.95
    n_resamples: int = 2000
    seed: int = 0
    #: metric name -> options for its class, over the preset's (a protocol card fills this)
    metric_options: dict[str, dict] = field(default_factory=dict)
    #: the protocol card these options came from (recorded with the results), if any
    protocol: str | None = None

    def check(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.size_mismatch not in SIZE_POLICIES:
            raise ValueError(f"size_mismatch {self.size_mismatch!r} not in {SIZE_POLICIES}")
        if self.alpha not in ALPHA_POLICIES:
            raise ValueError(f"alpha policy {self.alpha!r} not in {ALPHA_POLICIES}")
        if self.crop_border is not None and self.crop_border < 0:
            raise ValueError(f"crop_border must be >= 0, got {self.crop_border}")
        if not isinstance(self.metric_options, dict) or not all(
            isinstance(v, dict) for v in self.metric_options.values()
        ):
            raise TypeError(f"metric_options must map metric names to dicts, got {self.metric_options!r}")


def resolved_options(name: str, opts: EngineOptions) -> dict:
    """Every option ``name`` is built with: the preset's, then ``metric_options``, then ``crop_border``."""
    spec = get_spec(name)
    out = {**spec.opts, **opts.metric_options.get(spec.name, {})}
    if "crop_border" in out and opts.crop_border is not None:
        out["crop_border"] = opts.crop_border
    return out


def build_metrics(
    names: Sequence[str], opts: EngineOptions, state: PassState
) -> tuple[list[PerImageMetric], list[SetMetric]]:
    per_image, sets = [], []
    for name in names:
        spec = get_spec(name)
        try:
            m = create_metric(spec.name, device=opts.device, **resolved_options(spec.name, opts))
        except MissingWeightsError as exc:
            if not opts.skip_missing:
                raise MissingWeightsError(
                    exc.name, exc.searched, f"metric {spec.name!r}: {exc.reason}", exc.manual
                ) from exc
            logger.warning("metric %s: weights missing, skipped (%s)", spec.name, exc.reason)
            state.missing[spec.name] = str(exc)
            continue
        (sets if isinstance(m, SetMetric) else per_image).append(m)
    return per_image, sets


def evaluate(
    pred_dir: str | Path,
    gt_dir: str | Path | None = None,
    metrics: Sequence[str] = TABLE1_METRICS,
    options: EngineOptions | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: bool = False,
):
    """Score a folder of predictions (against a GT folder) with ``metrics`` in one pass.

    Args:
        pred_dir: folder of predicted images.
        gt_dir: folder of ground-truth images, paired by stem; required by FR and set metrics.
        metrics: preset names (``DEFAULT_CONFIGS``); default: the paper's Table 1 set.
        options: :class:`EngineOptions` (device, batch size, crop border, policies, cache...).
        mapping: explicit pred stem -> GT stem pairs (others pair by identical stem).
        progress: show a progress bar.

    Returns:
        :class:`benchmarks.metrics.results.EvaluationResult`.

    Raises:
        KeyError: unknown metric name.
        ValueError: FR/set metrics without ``gt_dir``, unpaired files, size mismatch, NaN/inf.
        MissingWeightsError: missing weights (unless ``skip_missing``).
        UnreadableImagesError: unreadable files (unless ``skip_unreadable``); carries the result.
    """
    from benchmarks.metrics.results import UnreadableImagesError, summarise

    opts = options or EngineOptions()
    opts.check()
    names = list(dict.fromkeys(get_spec(n).name for n in metrics))
    if not names:
        raise ValueError("no metrics requested")
    needs_gt = [n for n in names if get_spec(n).mode in ("FR", "set")]
    if needs_gt and gt_dir is None:
        raise ValueError(f"metrics {needs_gt} need a GT folder; no-reference metrics only: musiq, niqe, ...")
    pairs = pair_images(pred_dir, gt_dir, mapping)
    state = PassState(pairs=pairs)
    per_image, sets = build_metrics(names, opts, state)
    run_pass(pairs, per_image, sets, opts, state, progress)
    result = summarise(names, state, opts, pred_dir, gt_dir)
    if state.unreadable and not opts.skip_unreadable:
        raise UnreadableImagesError(state.unreadable, result)
    return result
