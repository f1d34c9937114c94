"""FID and CLIP-FID: Fréchet distance between pred-set and GT-set features.

Default: clean-fid's ``clean`` mode. ``implementation`` / ``mode`` select the other pipelines
that papers use (:mod:`benchmarks.metrics.fid_variants`); ``model`` names the CLIP network.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.metrics.base import SetMetric
from benchmarks.metrics.fid_variants import build_fid_extractor
from benchmarks.metrics.frechet import Method, frechet_distance_from_features, resolve_method
from benchmarks.metrics.registry import METRICS

#: CLIP networks CLIP-FID can use (clean-fid's ``clip_vit_b_32``)
CLIP_MODELS: tuple[str, ...] = ("ViT-B/32",)


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
        implementation: str = "clean-fid",
        mode: str = "clean",
        model: str | None = None,
    ) -> None:
        resolve_method(2, 2, 2, method)  # reject a bad method before loading any network
        if model is not None and (extractor != "clip" or model not in CLIP_MODELS):
            raise ValueError(f"{name}: model {model!r} applies to CLIP-FID only, one of {CLIP_MODELS}")
        super().__init__(name, build_fid_extractor(extractor, implementation, mode, device))
        self.extractor_name = extractor
        self.method = method
        self.implementation, self.mode, self.model = implementation, mode, model
        self.last_route: str | None = None

    def compute(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        """Fréchet distance; ``last_route`` records which exact route computed it (see ``frechet``)."""
        self.last_route = resolve_method(
            len(pred_features), len(gt_features), pred_features.shape[-1], self.method
        )
        return frechet_distance_from_features(pred_features, gt_features, self.method)
