"""One pass over a (pred set, GT set): decode each image once, batch it, feed every metric.

Per-image metrics all see the same tensors (same-size images are stacked into a batch);
FID/CLIP-FID features are extracted in the same pass, and GT-side features come from
:class:`FeatureCache` when the GT files are unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from benchmarks.metrics.base import PerImageMetric, SetMetric
from benchmarks.metrics.feature_cache import FeatureCache, content_hash
from benchmarks.metrics.pairing import ImagePair
from pasd.utils.image_io import UnreadableImageError, is_gray, read_image

if TYPE_CHECKING:
    from benchmarks.metrics.engine import EngineOptions

logger = logging.getLogger(__name__)


@dataclass
class PassState:
    """What one pass produced, before summarising (see :mod:`benchmarks.metrics.results`)."""

    pairs: list[ImagePair]
    names: list[str] = field(default_factory=list)  # scored images, in metric-state order
    unreadable: dict[str, str] = field(default_factory=dict)  # file -> reason
    notes: dict[str, list[str]] = field(default_factory=dict)  # image -> decode notes
    per_image: dict[str, np.ndarray] = field(default_factory=dict)
    set_values: dict[str, float] = field(default_factory=dict)
    set_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    set_routes: dict[str, str | None] = field(default_factory=dict)  # how the value was computed
    cache: dict[str, str] = field(default_factory=dict)  # set metric -> "hit" / "miss" / "off"
    missing: dict[str, str] = field(default_factory=dict)  # metric -> reason
    gray_vs_colour: list[str] = field(default_factory=list)  # images whose pred is gray, GT colour
    unpaired: dict[str, list[str]] = field(default_factory=dict)  # skipped files without a partner


def _decode(path: Path, what: str, opts: EngineOptions, state: PassState) -> np.ndarray | None:
    try:
        img = read_image(path, alpha=opts.alpha)
    except UnreadableImageError as exc:
        state.unreadable[str(path)] = str(exc)
        logger.error("unreadable %s image: %s", what, exc)
        return None
    if img.notes:
        state.notes.setdefault(path.stem, []).extend(f"{what}: {n}" for n in img.notes)
    return img.pixels


def _match_size(pred: np.ndarray, gt: np.ndarray, pair: ImagePair, opts: EngineOptions, state: PassState):
    if pred.shape == gt.shape:
        return pred
    if opts.size_mismatch == "error":
        raise ValueError(
            f"{pair.name}: pred {pred.shape[1]}x{pred.shape[0]} and GT {gt.shape[1]}x{gt.shape[0]} differ "
            "(use size_mismatch='resize-pred' / --resize-pred to resize pred to GT with PIL bicubic)"
        )
    from PIL import Image

    state.notes.setdefault(pair.name, []).append(f"pred resized {pred.shape[1]}x{pred.shape[0]} -> GT size")
    return np.asarray(Image.fromarray(pred).resize((gt.shape[1], gt.shape[0]), Image.BICUBIC))


def _check_colour(pred: np.ndarray, gt: np.ndarray, pair: ImagePair, state: PassState) -> None:
    """Note a gray prediction of a colour GT: it decodes to RGB and scores as if it were colour."""
    if is_gray(pred) and not is_gray(gt):
        state.gray_vs_colour.append(pair.name)
        state.notes.setdefault(pair.name, []).append("pred is grayscale, GT is colour")


def _to_tensor(images: list[np.ndarray], device: str) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255.0).to(device)


def _score_group(metrics, items, opts) -> None:
    pred = _to_tensor([p for _, p, _ in items], opts.device)
    gt = _to_tensor([g for _, _, g in items], opts.device) if items[0][2] is not None else None
    for m in metrics:
        try:
            m.update(pred, gt if m.mode == "FR" else None)
        except ValueError as exc:
            raise ValueError(f"metric {m.name} on images {[n for n, _, _ in items]}: {exc}") from exc


def run_pass(
    pairs: list[ImagePair], per_image: list[PerImageMetric], sets: list[SetMetric], opts: EngineOptions,
    state: PassState, progress: bool = False,
) -> None:  # fmt: skip
    """Decode every pair once and update all metrics; fills ``state``."""
    from tqdm import tqdm

    cache = FeatureCache(opts.cache_dir) if opts.cache_dir else None
    gt_files = [p.gt for p in pairs if p.gt is not None]
    digest = content_hash(gt_files) if cache and sets and gt_files else None
    settings = f"alpha-{opts.alpha}"
    gt_feats: dict[str, list[np.ndarray] | np.ndarray] = {}
    for m in sets:
        hit = cache.load(m.extractor.key, settings, digest, len(gt_files)) if digest else None
        state.cache[m.name] = "off" if digest is None else ("hit" if hit is not None else "miss")
        gt_feats[m.name] = hit if hit is not None else []
    pred_feats: dict[str, list[np.ndarray]] = {m.name: [] for m in sets}
    need_gt = any(m.mode == "FR" for m in per_image) or any(isinstance(v, list) for v in gt_feats.values())
    bs = opts.batch_size
    for start in tqdm(range(0, len(pairs), bs), disable=not progress, desc="metrics", unit="batch"):
        chunk = pairs[start : start + bs]
        items, groups = [], {}
        gt_chunk = []
        for pair in chunk:
            pred = _decode(pair.pred, "pred", opts, state)
            gt = _decode(pair.gt, "gt", opts, state) if (need_gt and pair.gt is not None) else None
            if gt is not None:
                gt_chunk.append(gt)
            if pred is None or (need_gt and pair.gt is not None and gt is None):
                continue
            if gt is not None:
                pred = _match_size(pred, gt, pair, opts, state)
                _check_colour(pred, gt, pair, state)
            items.append((pair.name, pred, gt))
        for item in items:
            groups.setdefault(item[1].shape, []).append(item)
        for group in groups.values():
            _score_group(per_image, group, opts)
            state.names.extend(n for n, _, _ in group)
        for m in sets:
            if items:
                pred_feats[m.name].append(m.extractor([p for _, p, _ in items]))
            if isinstance(gt_feats[m.name], list) and gt_chunk:
                gt_feats[m.name].append(m.extractor(gt_chunk))
    if state.gray_vs_colour:
        names = state.gray_vs_colour
        logger.warning(
            "%d pred image(s) are grayscale while their GT is colour (%s%s): every colour metric scores "
            "them as colour images; check that the method did not drop the colour",
            len(names), ", ".join(names[:5]), ", ..." if len(names) > 5 else "",
        )  # fmt: skip
    for m in per_image:
        state.per_image[m.name] = m.compute()
    for m in sets:
        pf = np.concatenate(pred_feats[m.name]) if pred_feats[m.name] else np.zeros((0, 1))
        gf = gt_feats[m.name]
        if isinstance(gf, list):
            gf = np.concatenate(gf) if gf else np.zeros((0, 1))
            if cache and digest and gf.shape[0] == len(gt_files):
                cache.save(m.extractor.key, settings, digest, gf)
        state.set_counts[m.name] = {"pred": int(pf.shape[0]), "gt": int(gf.shape[0])}
        try:
            state.set_values[m.name] = m.compute(pf, gf)
        except ValueError as exc:
            raise ValueError(
                f"metric {m.name} ({pf.shape[0]} pred / {gf.shape[0]} GT images): {exc}"
            ) from exc
        state.set_routes[m.name] = getattr(m, "last_route", None)
