"""Patch-FID: FID over a grid of crops of every image, for test sets too small for FID.

FID on ~100 images is dominated by the covariance estimate (StableSR gives no FID for RealSR
and DRealSR for that reason: IceClear/StableSR#105, "<1000 images usually leads to inaccurate
results"). Cutting each pred and GT image into non-overlapping ``patch`` x ``patch`` crops on
the same grid (top-left aligned, the right/bottom remainder dropped) gives many more samples
of the same distributions; each crop then goes through clean-fid's pipeline like a whole
image (``clean`` resize to 299, Inception). The patch size and stride are in the cache key and
the results (``counts`` are crops, not images).
"""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.metrics.base import FeatureExtractor
from benchmarks.metrics.fid_metric import FrechetDistanceMetric
from benchmarks.metrics.registry import METRICS


def patch_grid(height: int, width: int, patch: int, stride: int) -> list[tuple[int, int]]:
    """Top-left corners of the crops: rows and columns ``0, stride, ...`` while a whole crop fits.

    Example:
        >>> patch_grid(300, 260, 128, 128)
        [(0, 0), (0, 128), (128, 0), (128, 128)]
    """
    return [(y, x) for y in range(0, height - patch + 1, stride) for x in range(0, width - patch + 1, stride)]


class PatchExtractor(FeatureExtractor):
    """Features of every grid crop of each image (rows: image 0's crops, then image 1's, ...)."""

    #: a varying number of rows per image (the feature cache then skips its row-count check)
    rows_per_image = None

    def __init__(self, base: FeatureExtractor, patch: int, stride: int, chunk: int = 64) -> None:
        self.base, self.patch, self.stride, self.chunk = base, patch, stride, chunk
        self.key = f"{base.key}-patch{patch}s{stride}"

    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        crops = []
        for im in images:
            h, w = im.shape[:2]
            if min(h, w) < self.patch:
                raise ValueError(f"image {w}x{h} is smaller than the {self.patch}-px patch of patch-FID")
            crops += [
                im[y : y + self.patch, x : x + self.patch]
                for y, x in patch_grid(h, w, self.patch, self.stride)
            ]
        # bounded batches: a 2k image has ~250 crops of 128 px
        parts = [self.base([np.ascontiguousarray(c) for c in crops[i : i + self.chunk]])
                 for i in range(0, len(crops), self.chunk)]  # fmt: skip
        return np.concatenate(parts) if parts else np.zeros((0, 1))


@METRICS.register("PatchFrechetDistance")
class PatchFrechetDistanceMetric(FrechetDistanceMetric):
    """FID (or CLIP-FID) over ``patch`` x ``patch`` crops on a grid of step ``stride`` (default: ``patch``)."""

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        patch: int = 128,
        stride: int | None = None,
        **kwargs,
    ) -> None:
        stride = patch if stride is None else stride
        for label, v in (("patch", patch), ("stride", stride)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: {label} must be a positive int, got {v!r}")
        super().__init__(name, device, **kwargs)
        self.patch, self.stride = patch, stride
        self.extractor = PatchExtractor(self.extractor, patch, stride)
