"""One pass over a (pred set, GT set): decode each image once, batch it, feed every metric.

Per-image metrics all see the same tensors (same-size images are stacked into a batch);
FID/CLIP-FID features are extracted in the same pass, and GT-side features come from
:class:`FeatureCache` when the GT files are unchanged. The pass itself is
:func:`benchmarks.metrics.multi_pass.run_many` (``engine.evaluate`` is its one-method case);
this module keeps the per-method state and the decoding helpers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

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
