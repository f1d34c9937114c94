"""FID and CLIP-FID: Fréchet distance between pred-set and GT-set features (clean-fid, ``clean`` mode)."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.metrics.base import SetMetric
from benchmarks.metrics.features import build_extractor
from benchmarks.metrics.frechet import Method, frechet_distance_from_features, resolve_method
from benchmarks.metrics.registry import METRICS


@METRICS.register("FrechetDistance")
class FrechetDistanceMetric(SetMetric):
    """Set-level Fréchet distance on the features of ``extractor`` (``inception`` or ``clip``).

    With fewer images than feature dimensions the covariances are singular and the value is
    dominated by that; the engine records the counts next to the value.
    """

    higher_is_better = False

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        extractor: str = "inception",
        method: Method = "auto",
    ) -> None:
        resolve_method(2, 2, 2, method)  # reject a bad method before loading any network
        super().__init__(name, build_extractor(extractor, device))
        self.extractor_name = extractor
        self.method = method
        self.last_route: str | None = None

    def compute(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        """Fréchet distance; ``last_route`` records which exact route computed it (see ``frechet``)."""
        self.last_route = resolve_method(
            len(pred_features), len(gt_features), pred_features.shape[-1], self.method
        )
        return frechet_distance_from_features(pred_features, gt_features, self.method)
