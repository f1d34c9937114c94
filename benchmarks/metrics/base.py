"""The two metric interfaces: per-image (update/compute/reset) and set-level (features + distance).

Per-image metrics follow torchmetrics' pattern: a subclass writes only :meth:`_scores` (the
math, usually a call into the reference package); :meth:`update`, :meth:`compute` and
:meth:`reset` keep the state and check the inputs. Set-level metrics (FID, CLIP-FID) have
their own interface rather than a name check inside a shared ``forward`` (cf. pyiqa's
``if 'fid' in self.metric_name``), because they consume whole sets of features.
"""

from __future__ import annotations

import abc
from typing import ClassVar, Literal

import numpy as np
import torch


class PerImageMetric(abc.ABC):
    """A metric with one score per image (or per pred/GT pair).

    Inputs to :meth:`update` are float32 tensors ``(B, 3, H, W)`` in ``[0, 1]`` (RGB), decoded
    once by the engine and shared by every metric; ``target`` is required for ``mode == "FR"``.
    """

    mode: ClassVar[Literal["FR", "NR"]] = "FR"
    higher_is_better: ClassVar[bool] = True

    def __init__(self, name: str, device: str | torch.device = "cpu") -> None:
        self.name = name
        self.device = torch.device(device)
        self._state: list[np.ndarray] = []

    @abc.abstractmethod
    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor | np.ndarray:
        """Scores of one batch, shape ``(B,)``."""

    def update(self, pred: torch.Tensor, target: torch.Tensor | None = None) -> None:
        """Score one batch and append the scores to the state.

        Raises:
            ValueError: on a wrong shape/range, a missing or mismatched target, or a
                non-finite score (NaN/inf are errors, never averaged away).
        """
        _check_batch(pred, "pred")
        if self.mode == "FR":
            if target is None:
                raise ValueError(f"{self.name} is full-reference: update() needs a target batch")
            _check_batch(target, "target")
            if target.shape != pred.shape:
                raise ValueError(
                    f"{self.name}: pred {tuple(pred.shape)} and target {tuple(target.shape)} differ"
                )
        self._append(self._scores(pred, target if self.mode == "FR" else None), pred.shape[0])

    def _append(self, scores: torch.Tensor | np.ndarray, n: int) -> None:
        """Check one batch's scores (count, finiteness) and append them to the state."""
        if isinstance(scores, torch.Tensor):
            scores = scores.detach().double().cpu().numpy()
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if scores.shape[0] != n:
            raise RuntimeError(f"{self.name}: got {scores.shape[0]} scores for a batch of {n}")
        if not np.isfinite(scores).all():
            bad = [i for i, s in enumerate(scores) if not np.isfinite(s)]
            raise ValueError(f"{self.name}: non-finite score {scores[bad[0]]} for batch item(s) {bad}")
        self._state.append(scores)

    def compute(self) -> np.ndarray:
        """All scores since the last :meth:`reset`, in update order, shape ``(N,)``."""
        return np.concatenate(self._state) if self._state else np.zeros(0)

    def reset(self) -> None:
        self._state = []

    def bind_state(self, state: list[np.ndarray]) -> None:
        """Make ``state`` (a list owned by the caller) the list :meth:`update` appends to.

        One metric object (one network load) then keeps separate scores for several methods
        scored in one pass (:mod:`benchmarks.metrics.multi_pass`).
        """
        self._state = state


#: the ground-truth side of one image for a :class:`SplitFRMetric`: its feature tensors, batch dim 1
GTFeatures = tuple[torch.Tensor, ...]


class SplitFRMetric(PerImageMetric):
    """A full-reference metric whose network splits into a per-image feature stack of the GT.

    LPIPS and DISTS run the same trunk on pred and GT and only then compare; the GT half does
    not depend on the pred. Computing it once per GT image (:meth:`gt_features`, batch of one,
    so the tensor never depends on which other images share a batch) lets the engine reuse it
    for every method of a run and cache it on disk. :meth:`update` goes through the same two
    halves, so scoring with or without precomputed GT features gives the same numbers bit for bit.
    """

    mode: ClassVar[Literal["FR", "NR"]] = "FR"

    #: identifies the GT half (network, weights, options, device, memory format); a cache key part
    gt_key: str = ""

    @abc.abstractmethod
    def gt_features(self, target: torch.Tensor) -> GTFeatures:
        """Features of one GT image ``(1, 3, H, W)`` in ``[0, 1]``, on the metric's device."""

    @abc.abstractmethod
    def _scores_from_gt(self, pred: torch.Tensor, gt: GTFeatures) -> torch.Tensor:
        """Scores of a pred batch against the GT features stacked along the batch dimension."""

    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        feats = [self.gt_features(target[i : i + 1]) for i in range(target.shape[0])]
        return self._scores_from_gt(pred, stack_gt_features(feats))

    def update_from_gt(self, pred: torch.Tensor, gt: list[GTFeatures]) -> None:
        """Like :meth:`update`, with the GT side given as one :meth:`gt_features` result per image.

        Raises:
            ValueError: a bad pred batch, a GT list of another length, or a non-finite score.
        """
        _check_batch(pred, "pred")
        if len(gt) != pred.shape[0]:
            raise ValueError(f"{self.name}: {len(gt)} GT feature sets for a batch of {pred.shape[0]}")
        self._append(self._scores_from_gt(pred, stack_gt_features(gt)), pred.shape[0])


def stack_gt_features(feats: list[GTFeatures]) -> GTFeatures:
    """Per-image GT features -> one tuple of batched tensors (``torch.cat`` copies, values unchanged)."""
    return tuple(torch.cat(parts, dim=0) for parts in zip(*feats, strict=True))


def _check_batch(x: torch.Tensor, what: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"{what} must be (B, 3, H, W) RGB, got shape {tuple(x.shape)}")
    if x.numel() and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError(f"{what} must be in [0, 1], got [{float(x.min()):.4g}, {float(x.max()):.4g}]")


class FeatureExtractor(abc.ABC):
    """Maps decoded uint8 RGB images (``H x W x 3``) to one feature vector each."""

    #: identifies the network, its weights and the preprocessing; part of the cache key
    key: str

    @abc.abstractmethod
    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        """Features of ``images``, shape ``(len(images), D)``, float64."""


class SetMetric(abc.ABC):
    """A distance between the pred set and the GT set, computed from per-image features."""

    mode: ClassVar[Literal["set"]] = "set"
    higher_is_better: ClassVar[bool] = False

    def __init__(self, name: str, extractor: FeatureExtractor) -> None:
        self.name = name
        self.extractor = extractor

    @abc.abstractmethod
    def compute(self, pred_features: np.ndarray, gt_features: np.ndarray) -> float:
        """The set-level value from the two feature matrices."""
