"""KID: clean-fid's kernel inception distance between the pred set and the GT set, seeded.

``cleanfid.fid.kernel_distance`` averages an unbiased polynomial-kernel MMD over
``num_subsets`` random subsets of ``min(n_pred, n_gt, max_subset_size)`` images each, drawn
with NumPy's global RNG. We seed that RNG (and restore it afterwards), so a KID is repeatable
and draws the same subsets as clean-fid's ``compute_kid`` run after ``np.random.seed(seed)``.
The sums run in float64: KID is a small difference of large kernel sums, and clean-fid's float32
features summed in float32 lose ~1e-4 of it to cancellation (tested).
With as many images as the subset size on both sides every subset is the whole set and the
seed only reorders the sums. The Inception features are FID's (same extractor key), so FID
and KID share one feature pass and one GT cache entry.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.metrics.base import SetMetric
from benchmarks.metrics.features import build_extractor
from benchmarks.metrics.registry import METRICS


@METRICS.register("KernelDistance")
class KernelDistanceMetric(SetMetric):
    """Kernel (inception) distance; lower is better. clean-fid reports it as is (x1000 is common in papers)."""

    higher_is_better = False

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        extractor: str = "inception",
        num_subsets: int = 100,
        max_subset_size: int = 1000,
        seed: int = 0,
    ) -> None:
        for label, v in (("num_subsets", num_subsets), ("max_subset_size", max_subset_size)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: {label} must be a positive int, got {v!r}")
        super().__init__(name, build_extractor(extractor, device))
        self.num_subsets, self.max_subset_size, self.seed = num_subsets, max_subset_size, int(seed)

    def compute(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        """KID of the two feature sets (rows are images).

        Raises:
            ValueError: fewer than two images on a side, different dimensions, or non-finite values.
        """
        from cleanfid.fid import kernel_distance

        a, b = np.asarray(pred_features, np.float64), np.asarray(gt_features, np.float64)
        if a.ndim != 2 or b.ndim != 2 or min(a.shape[0], b.shape[0]) < 2 or a.shape[1] != b.shape[1]:
            raise ValueError(f"KID needs two (N >= 2, D) feature sets of one D, got {a.shape} and {b.shape}")
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise ValueError("features contain NaN or inf")
        state = np.random.get_state()
        try:
            np.random.seed(self.seed)
            value = float(
                kernel_distance(a, b, num_subsets=self.num_subsets, max_subset_size=self.max_subset_size)
            )
        finally:
            np.random.set_state(state)
        if not np.isfinite(value):
            raise ValueError(f"KID is not finite ({value})")
        return value
