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
from benchmarks.metrics.one_pass import PassState
from benchmarks.metrics.pairing import find_pairs, pair_images
from benchmarks.metrics.registry import create_metric
from benchmarks.metrics.results import EvaluationResult
from pasd.hub import MissingWeightsError
from pasd.utils.image_io import ALPHA_POLICIES, AlphaPolicy

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
    skip_unpaired: bool = False
    cache_dir: str | None = None
    confidence: float = 0.95
    n_resamples: int = 2000
    seed: int = 0
    #: largest per-image GT feature entry (LPIPS/DISTS) written to ``cache_dir``, in MiB; 0: none
    gt_cache_max_mb: float = 64.0
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
        if not self.gt_cache_max_mb >= 0:
            raise ValueError(f"gt_cache_max_mb must be >= 0, got {self.gt_cache_max_mb}")
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


class MetricWeightsMissingError(MissingWeightsError):
    """Weights of one or more requested metrics are missing; names every metric and fetch command."""

    def __init__(self, errors: dict[str, MissingWeightsError]) -> None:
        first = next(iter(errors.values()))
        self.errors = errors
        super().__init__(first.name, first.searched, first.reason, first.manual)

    def _message(self) -> str:
        errors = getattr(self, "errors", None)
        if not errors:
            return super()._message()
        lines = [f"{len(errors)} metric(s) cannot be computed, weights missing:"]
        for metric, err in errors.items():
            lines.append(f"  - metric {metric!r}: {err.reason}; get it with: {err.fetch_command}")
        lines.append(
            "or pass --skip-missing (skip_missing=True) to compute the metrics whose weights are present"
        )
        return "\n".join(lines)


def build_metrics(
    names: Sequence[str], opts: EngineOptions, state: PassState
) -> tuple[list[PerImageMetric], list[SetMetric]]:
    """Create every metric; with ``skip_missing`` those without weights are recorded in ``state.missing``.

    Raises:
        MetricWeightsMissingError: (without ``skip_missing``) naming every metric whose weights are missing.
    """
    per_image, sets = [], []
    errors: dict[str, MissingWeightsError] = {}
    for name in names:
        spec = get_spec(name)
        try:
            m = create_metric(spec.name, device=opts.device, **resolved_options(spec.name, opts))
        except MissingWeightsError as exc:
            if not opts.skip_missing:
                errors[spec.name] = exc
                continue
            logger.warning("metric %s: weights missing, skipped (%s)", spec.name, exc.reason)
            state.missing[spec.name] = str(exc)
            continue
        (sets if isinstance(m, SetMetric) else per_image).append(m)
    if errors:
        raise MetricWeightsMissingError(errors)
    return per_image, sets


def _paired_state(pred_dir, gt_dir, mapping, opts: EngineOptions) -> PassState:
    """The pass state of one pred folder: its pairs, and (with ``skip_unpaired``) the files left out."""
    pairs, no_gt, no_pred = find_pairs(pred_dir, gt_dir, mapping)
    if not (no_gt or no_pred):
        return PassState(pairs=pairs)
    # raises unless skip_unpaired, with every unpaired file named
    pairs = pair_images(pred_dir, gt_dir, mapping, skip_unpaired=opts.skip_unpaired)
    return PassState(pairs=pairs, unpaired={"pred_without_gt": no_gt, "gt_without_pred": no_pred})


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
    # the one-method case of score_many: one code path, so alone and together give the same numbers
    return score_many({"": pred_dir}, gt_dir, metrics, options, mapping, progress)[""]


def score_many(
    preds: Mapping[str, str | Path],
    gt: str | Path | Mapping[str, str | Path] | None = None,
    metrics: Sequence[str] = TABLE1_METRICS,
    options: EngineOptions | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: bool = False,
) -> dict[str, EvaluationResult]:
    """Score several methods' prediction folders against the same ground truth in one pass.

    Each method's result equals :func:`evaluate` on its folder bit for bit (same batches, same
    tensors); the metric networks are loaded once, every GT file is decoded once, and the GT
    side of LPIPS/DISTS and of FID/KID/CLIP-FID is computed once for all methods (and cached
    in ``options.cache_dir`` for later runs).

    Args:
        preds: method label -> folder of its predicted images.
        gt: the GT folder, or label -> GT folder (e.g. the runner's per-method views, whose
            links point at the same files: a GT file is identified by its real path).
        metrics: preset names, as for :func:`evaluate`.
        options: :class:`EngineOptions`, shared by every method.
        mapping: explicit pred stem -> GT stem pairs, the same for every method.
        progress: show a progress bar.

    Returns:
        label -> :class:`~benchmarks.metrics.results.EvaluationResult`, in the order of ``preds``.

    Raises:
        KeyError: unknown metric name.
        ValueError: no methods, a label missing from a ``gt`` mapping, FR/set metrics without
            GT, unpaired files (naming the method), size mismatch, NaN/inf.
        MissingWeightsError: missing weights (unless ``skip_missing``).
        UnreadableImagesError: unreadable files (unless ``skip_unreadable``); ``results`` carries
            every method's result, ``result`` the first affected one's.

    Example:
        >>> results = score_many({"a": "out/a", "b": "out/b"}, "data/hq", ["psnr", "lpips"])  # doctest: +SKIP
        >>> {k: round(r.value("psnr"), 2) for k, r in results.items()}  # doctest: +SKIP
        {'a': 24.31, 'b': 25.02}
    """
    from benchmarks.metrics.multi_pass import MethodPass, run_many
    from benchmarks.metrics.results import UnreadableImagesError, summarise

    opts = options or EngineOptions()
    opts.check()
    if not preds:
        raise ValueError("score_many needs at least one method (label -> pred folder)")
    names = list(dict.fromkeys(get_spec(n).name for n in metrics))
    if not names:
        raise ValueError("no metrics requested")
    gts = dict(gt) if isinstance(gt, Mapping) else dict.fromkeys(preds, gt)
    absent = [label for label in preds if label not in gts]
    if absent:
        raise ValueError(f"no GT folder for method(s) {absent}; gt mapping has {sorted(gts)}")
    needs_gt = [n for n in names if get_spec(n).mode in ("FR", "set")]
    if needs_gt and any(gts[label] is None for label in preds):
        raise ValueError(f"metrics {needs_gt} need a GT folder; no-reference metrics only: musiq, niqe, ...")
    passes = []
    for label, pred_dir in preds.items():
        try:
            state = _paired_state(pred_dir, gts[label], mapping, opts)
        except ValueError as exc:
            if not label:  # evaluate(): one unnamed method
                raise
            raise ValueError(f"method {label!r}: {exc}") from exc
        passes.append(MethodPass(label, state.pairs, state))
    build_state = PassState(pairs=[])
    per_image, sets = build_metrics(names, opts, build_state)
    for mp in passes:
        mp.state.missing.update(build_state.missing)
    run_many(passes, per_image, sets, opts, progress)
    results = {mp.label: summarise(names, mp.state, opts, preds[mp.label], gts[mp.label]) for mp in passes}
    bad = [mp for mp in passes if mp.state.unreadable]
    if bad and not opts.skip_unreadable:
        unreadable = {k: v for mp in bad for k, v in mp.state.unreadable.items()}
        raise UnreadableImagesError(unreadable, results[bad[0].label], results)
    return results
