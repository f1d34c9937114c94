"""One pass over several methods' predictions against one ground truth: the GT side is done once.

Every method keeps exactly the batches it would get alone (its own pairs, chunked by
``batch_size``, same-size images stacked), so its numbers equal :func:`engine.evaluate` on
its folder bit for bit. What is shared across methods:

- decoding: each GT file is decoded once per pass, each pred file once for all metrics;
- full-reference GT features (:class:`~benchmarks.metrics.base.SplitFRMetric`: LPIPS, DISTS):
  computed once per GT image (batch of one, so the tensor never depends on its batch-mates),
  kept in memory while a method still needs them, and cached on disk by file content
  (:class:`~benchmarks.metrics.feature_cache.GTFeatureCache`) for later runs;
- set-level GT features (FID, KID, CLIP-FID): one extraction per distinct GT batch (methods
  with the same pairs have the same batches), one per feature network even when several set
  metrics use it (FID and KID share Inception), and the set-level cache of earlier runs.

Methods advance in lock step, chunk ``k`` of every method per round, so a GT image's features
can be dropped once the last method has used them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.metrics.base import PerImageMetric, SetMetric, SplitFRMetric
from benchmarks.metrics.feature_cache import FeatureCache, GTFeatureCache, content_hash, file_digest
from benchmarks.metrics.one_pass import PassState, _check_colour, _decode, _match_size, _to_tensor
from benchmarks.metrics.pairing import ImagePair

if TYPE_CHECKING:
    from benchmarks.metrics.engine import EngineOptions

logger = logging.getLogger(__name__)


@dataclass
class MethodPass:
    """One method's side of a pass: its pairs and the state its results are summarised from."""

    label: str
    pairs: list[ImagePair]
    state: PassState


@dataclass
class _GT:
    """One decoded GT image and its per-image features, alive while some method still needs it."""

    pixels: np.ndarray | None  # None: unreadable
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    fr: dict[str, tuple] = field(default_factory=dict)  # split metric name -> features
    fr_hit: dict[str, bool] = field(default_factory=dict)  # split metric name -> came from disk


@dataclass
class _SetGroup:
    """Set metrics that share one feature network (same ``extractor.key``)."""

    key: str
    extractor: object
    metrics: list[SetMetric]
    rows_per_image: int | None  # 1 for whole-image extractors; None when it varies (patches)


def _gt_id(pair: ImagePair) -> str:
    # runner views link every method's GT to the same HQ file: its real path identifies it
    return os.path.realpath(pair.gt)


def _set_groups(sets: list[SetMetric]) -> list[_SetGroup]:
    groups: dict[str, _SetGroup] = {}
    for m in sets:
        key = m.extractor.key
        if key not in groups:
            rows = getattr(m.extractor, "rows_per_image", 1)
            groups[key] = _SetGroup(key, m.extractor, [], rows)
        groups[key].metrics.append(m)
    return list(groups.values())


def run_many(
    methods: list[MethodPass],
    per_image: list[PerImageMetric],
    sets: list[SetMetric],
    opts: EngineOptions,
    progress: bool = False,
) -> None:
    """Decode, batch and score every method's pairs; fills each method's ``state``.

    Raises:
        ValueError: a size mismatch (unless ``resize-pred``), a non-finite score, or a set
            metric that cannot be computed (e.g. fewer than two images), naming metric and method.
    """
    from tqdm import tqdm

    bs = opts.batch_size
    settings = f"alpha-{opts.alpha}"
    split = [m for m in per_image if isinstance(m, SplitFRMetric)]
    has_fr = any(m.mode == "FR" for m in per_image)
    needs_gt_tensor = any(m.mode == "FR" and not isinstance(m, SplitFRMetric) for m in per_image)
    groups = _set_groups(sets)
    set_cache = FeatureCache(opts.cache_dir) if opts.cache_dir else None
    max_bytes = int(getattr(opts, "gt_cache_max_mb", 64) * 2**20)
    fr_cache = GTFeatureCache(opts.cache_dir, max_bytes) if opts.cache_dir and split else None

    # set-level GT features: an earlier run's cache entry, else extracted in this pass
    gt_sets: dict[str, dict[str, np.ndarray | list[np.ndarray]]] = {}
    for mp in methods:
        gt_files = [p.gt for p in mp.pairs if p.gt is not None]
        digest = content_hash(gt_files) if set_cache and groups and gt_files else None
        gt_sets[mp.label] = {}
        for g in groups:
            n = len(gt_files) if g.rows_per_image == 1 else None
            hit = set_cache.load(g.key, settings, digest, n) if digest else None
            for m in g.metrics:
                mp.state.cache[m.name] = "off" if digest is None else ("hit" if hit is not None else "miss")
            gt_sets[mp.label][g.key] = hit if hit is not None else []
    set_missing = {mp.label: [g.key for g in groups if isinstance(gt_sets[mp.label][g.key], list)]
                   for mp in methods}  # fmt: skip
    need_gt = {mp.label: has_fr or bool(set_missing[mp.label]) for mp in methods}

    chunks = {mp.label: [mp.pairs[i : i + bs] for i in range(0, len(mp.pairs), bs)] for mp in methods}
    last_use: dict[str, int] = {}  # GT id -> last round a method needs it (then it is dropped)
    for mp in methods:
        for k, chunk in enumerate(chunks[mp.label] if need_gt[mp.label] else ()):
            for p in chunk:
                if p.gt is not None:
                    last_use[_gt_id(p)] = max(k, last_use.get(_gt_id(p), -1))

    acc = {mp.label: {m.name: [] for m in per_image} for mp in methods}
    pred_feats = {mp.label: {g.key: [] for g in groups} for mp in methods}
    fr_counts = {mp.label: {m.name: [0, 0] for m in split} for mp in methods}  # [hits, misses]
    live: dict[str, _GT] = {}

    def gt_of(pair: ImagePair, mp: MethodPass) -> _GT:
        gid = _gt_id(pair)
        if gid not in live:
            scratch = PassState(pairs=[])
            pixels = _decode(pair.gt, "gt", opts, scratch)
            entry = live[gid] = _GT(pixels, next(iter(scratch.unreadable.values()), None))
            entry.notes = scratch.notes.get(pair.gt.stem, [])
            _features_of(entry, pair, split, fr_cache, settings, opts)
        entry = live[gid]
        if entry.pixels is None:
            mp.state.unreadable[str(pair.gt)] = entry.reason or f"{pair.gt}: unreadable"
        elif entry.notes:
            mp.state.notes.setdefault(pair.gt.stem, []).extend(entry.notes)
        for name, hit in entry.fr_hit.items():
            fr_counts[mp.label][name][0 if hit else 1] += 1
        return entry

    rounds = max((len(c) for c in chunks.values()), default=0)
    for k in tqdm(range(rounds), disable=not progress, desc="metrics", unit="batch"):
        set_memo: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}  # one GT batch's set features
        for mp in methods:
            if k >= len(chunks[mp.label]):
                continue
            label, state = mp.label, mp.state
            items, gt_chunk, gt_ids = [], [], []
            for pair in chunks[label][k]:
                pred = _decode(pair.pred, "pred", opts, state)
                entry = gt_of(pair, mp) if (need_gt[label] and pair.gt is not None) else None
                if entry is not None and entry.pixels is not None:
                    gt_chunk.append(entry.pixels)
                    gt_ids.append(_gt_id(pair))
                if pred is None or (entry is not None and entry.pixels is None):
                    continue
                if entry is not None:
                    pred = _match_size(pred, entry.pixels, pair, opts, state)
                    _check_colour(pred, entry.pixels, pair, state)
                items.append((pair.name, pred, entry))
            by_shape: dict[tuple, list] = {}
            for item in items:
                by_shape.setdefault(item[1].shape, []).append(item)
            for group in by_shape.values():
                _score_group(per_image, group, acc[label], opts, needs_gt_tensor, label)
                state.names.extend(name for name, _, _ in group)
            for g in groups:
                if items:
                    pred_feats[label][g.key].append(g.extractor([p for _, p, _ in items]))
                if g.key in set_missing[label] and gt_chunk:
                    memo = (g.key, tuple(gt_ids))
                    if memo not in set_memo:
                        set_memo[memo] = g.extractor(gt_chunk)
                    gt_sets[label][g.key].append(set_memo[memo])
        for gid in [gid for gid, last in last_use.items() if last == k]:
            live.pop(gid, None)
    for mp in methods:
        _warn_gray(mp)
        _finish(mp, per_image, groups, acc[mp.label], pred_feats[mp.label], gt_sets[mp.label], set_cache,
                settings, fr_counts[mp.label], fr_cache is not None)  # fmt: skip


def _warn_gray(mp: MethodPass) -> None:
    names = mp.state.gray_vs_colour
    if names:
        who = f" of {mp.label}" if mp.label else ""
        logger.warning(
            "%d pred image(s)%s are grayscale while their GT is colour (%s%s): every colour metric scores "
            "them as colour images; check that the method did not drop the colour",
            len(names), who, ", ".join(names[:5]), ", ..." if len(names) > 5 else "",
        )  # fmt: skip


def _features_of(entry: _GT, pair: ImagePair, split, fr_cache, settings, opts) -> None:
    """Per-image GT features of every split metric: the disk cache's, or computed now."""
    if entry.pixels is None or not split:
        return
    digest = file_digest(pair.gt) if fr_cache else None
    tensor = None
    for m in split:
        feats = fr_cache.load(m.gt_key, settings, digest, m.device) if fr_cache else None
        entry.fr_hit[m.name] = feats is not None
        if feats is None:
            if tensor is None:
                tensor = _to_tensor([entry.pixels], opts.device)
            feats = m.gt_features(tensor)
            if fr_cache:
                fr_cache.save(m.gt_key, settings, digest, feats)
        entry.fr[m.name] = feats


def _score_group(metrics: list[PerImageMetric], group, acc, opts, needs_gt_tensor: bool, label: str) -> None:
    """Update every per-image metric with one batch of same-size images (into ``acc``, the method's lists)."""
    pred = _to_tensor([p for _, p, _ in group], opts.device)
    gt = None
    if needs_gt_tensor and group[0][2] is not None:
        gt = _to_tensor([e.pixels for _, _, e in group], opts.device)
    for m in metrics:
        m.bind_state(acc[m.name])
        try:
            if isinstance(m, SplitFRMetric):
                m.update_from_gt(pred, [e.fr[m.name] for _, _, e in group])
            else:
                m.update(pred, gt if m.mode == "FR" else None)
        except ValueError as exc:
            names = [n for n, _, _ in group]
            who = f" ({label})" if label else ""
            raise ValueError(f"metric {m.name}{who} on images {names}: {exc}") from exc


def _finish(
    mp: MethodPass, per_image, groups, acc, pred_feats, gt_sets, set_cache, settings, fr_counts, fr_on: bool
) -> None:
    """Per-image scores, FR cache status and set-level values of one method."""
    state = mp.state
    for m in per_image:
        state.per_image[m.name] = np.concatenate(acc[m.name]) if acc[m.name] else np.zeros(0)
    for name, (hits, misses) in fr_counts.items():
        if not fr_on:
            state.cache[name] = "off"
        elif hits and misses:
            state.cache[name] = f"partial ({hits} hit, {misses} miss)"
        else:
            state.cache[name] = "hit" if hits else "miss"
    gt_files = [p.gt for p in mp.pairs if p.gt is not None]
    for g in groups:
        pf = np.concatenate(pred_feats[g.key]) if pred_feats[g.key] else np.zeros((0, 1))
        gf = gt_sets[g.key]
        if isinstance(gf, list):
            gf = np.concatenate(gf) if gf else np.zeros((0, 1))
            complete = gf.shape[0] == len(gt_files) if g.rows_per_image == 1 else not state.unreadable
            if set_cache and gt_files and complete and gf.shape[0]:
                set_cache.save(g.key, settings, content_hash(gt_files), gf)
        for m in g.metrics:
            state.set_counts[m.name] = {"pred": int(pf.shape[0]), "gt": int(gf.shape[0])}
            try:
                state.set_values[m.name] = m.compute(pf, gf)
            except ValueError as exc:
                who = f" ({mp.label})" if mp.label else ""
                raise ValueError(
                    f"metric {m.name}{who} ({pf.shape[0]} pred / {gf.shape[0]} GT images): {exc}"
                ) from exc
            state.set_routes[m.name] = getattr(m, "last_route", None)
