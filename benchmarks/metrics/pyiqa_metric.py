"""Metrics from pyiqa (MUSIQ variants, NIQE, MANIQA, CLIPIQA, TOPIQ, LIQE), weights via :mod:`pasd.hub`.

Each preset is pyiqa's own network, built offline by :mod:`benchmarks.metrics.pyiqa_offline`.
pyiqa's licence is PolyForm Noncommercial 1.0.0 from 0.1.16 (CC BY-NC-SA 4.0 before); the suite
is tested with the version in :data:`~benchmarks.metrics.pyiqa_offline.TESTED_PYIQA` (README).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

from benchmarks.metrics.base import GTFeatures, PerImageMetric, SplitFRMetric
from benchmarks.metrics.pyiqa_offline import (  # noqa: F401 (re-exported: the wiring's public names)
    MIN_SIDE,
    PYIQA_WEIGHTS,
    TESTED_PYIQA,
    artifact_files,
    build_pyiqa,
    offline_pyiqa,
)
from benchmarks.metrics.registry import METRICS
from benchmarks.metrics.runtime import runtime_tag, use_channels_last
from benchmarks.metrics.weights import weights_id


@contextlib.contextmanager
def seeded(seed: int | None, device: torch.device | None = None) -> Iterator[None]:
    """Seed torch and NumPy (pyiqa's random crops draw from both) without touching the caller's RNGs."""
    if seed is None:
        yield
        return
    state = np.random.get_state()
    # manual_seed also seeds CUDA: fork the metric's CUDA device too, so its RNG is restored as well
    cuda = [device.index or 0] if device is not None and device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            np.random.seed(seed)
            yield
    finally:
        np.random.set_state(state)


class _PyiqaBase(PerImageMetric):
    def __init__(
        self,
        name: str,
        device: str | torch.device,
        pyiqa_name: str,
        seed: int | None,
        channels_last: bool | None,
        pyiqa_opts: dict | None,
    ) -> None:
        super().__init__(name, device)
        self.pyiqa_name = pyiqa_name
        self.seed = seed
        self.channels_last = use_channels_last(channels_last, self.device)
        self.model = build_pyiqa(pyiqa_name, self.device, **(pyiqa_opts or {}))
        if self.channels_last:
            self.model.net = self.model.net.to(memory_format=torch.channels_last)
        # an instance attribute: the direction comes from pyiqa's own preset table
        self.higher_is_better = not bool(getattr(self.model, "lower_better", False))
        self.min_side = MIN_SIDE.get(pyiqa_name, 0)

    def _check_size(self, x: torch.Tensor) -> None:
        if min(x.shape[-2:]) < self.min_side:
            raise ValueError(
                f"{self.name} needs images of at least {self.min_side} px on the short side "
                f"(pyiqa's {self.pyiqa_name} works on {self.min_side}-px blocks or crops); "
                f"got {x.shape[-1]}x{x.shape[-2]}"
            )

    def _per_image(self, fn, *tensors: torch.Tensor) -> torch.Tensor:
        """``fn`` on the batch, or image by image after seeding when a seed is set.

        pyiqa before 0.1.12 scored MANIQA on random crops drawn once per call and seeded each
        call (``InferenceModel.seed`` = 123): seeding per image keeps a score independent of
        its batch-mates under any pyiqa version. Since 0.1.12 the crops are a uniform grid and
        the seed changes nothing.
        """
        if self.seed is None:
            return fn(*tensors).reshape(-1)
        out = []
        for i in range(tensors[0].shape[0]):
            with seeded(self.seed, self.device):
                out.append(fn(*(t[i : i + 1] for t in tensors)).reshape(-1))
        return torch.cat(out)


@METRICS.register("PyiqaNR")
class PyiqaNRMetric(_PyiqaBase):
    """A pyiqa no-reference metric applied to each [0, 1] RGB image of a batch.

    Args:
        pyiqa_name: pyiqa preset (a key of :data:`PYIQA_WEIGHTS`).
        seed: seeds torch/NumPy before each image (MANIQA presets; recorded with the results).
        channels_last: NHWC weights (``None``: on for CPU); measured for MUSIQ only.
        pyiqa_opts: options over pyiqa's preset (tests shrink networks with them).
        max_batch: images per network call; ``None``: 1 on CPU (measured for MUSIQ with 2 threads:
            16 images one by one 1.68 s, as one batch 2.29 s; at 384 px 1.48 s vs 1.78 s for 4),
            the whole batch elsewhere. Scores do not depend on it beyond float32 rounding (tested).
    """

    mode = "NR"

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        pyiqa_name: str = "musiq",
        seed: int | None = None,
        channels_last: bool | None = False,
        pyiqa_opts: dict | None = None,
        max_batch: int | None = None,
    ):
        super().__init__(name, device, pyiqa_name, seed, channels_last, pyiqa_opts)
        if max_batch is not None and (
            isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1
        ):
            raise ValueError(f"{name}: max_batch must be an int >= 1 or None, got {max_batch!r}")
        self.max_batch = max_batch if max_batch is not None else (1 if self.device.type == "cpu" else None)

    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        self._check_size(pred)
        step = self.max_batch or pred.shape[0]
        with torch.inference_mode():
            return torch.cat(
                [
                    self._per_image(self.model, pred[i : i + step].to(self.device))
                    for i in range(0, pred.shape[0], step)
                ]
            )


class _RefFeatures(torch.nn.Module):
    """Stands in for ``CFANet.semantic_model``: computes the pred's features, returns the GT's given ones.

    ``CFANet.forward_cross_attention`` calls its backbone twice, pred first, then the reference;
    answering the second call with precomputed features runs the rest of pyiqa's forward unchanged.
    """

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.ref: list[torch.Tensor] | None = None
        self.calls = 0

    def forward(self, x: torch.Tensor):
        self.calls += 1
        if self.calls == 2 and self.ref is not None:
            return self.ref
        return self.inner(x)


@METRICS.register("PyiqaFR")
class PyiqaFRMetric(_PyiqaBase, SplitFRMetric):
    """A pyiqa full-reference metric (TOPIQ-FR) whose backbone pass of the GT is done once per image.

    The GT's ResNet features (``semantic_model(preprocess(gt))``) are computed once and cached;
    the pred's pass and the attention head are pyiqa's own forward (see :class:`_RefFeatures`).
    """

    mode = "FR"

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        pyiqa_name: str = "topiq_fr",
        seed: int | None = None,
        channels_last: bool | None = False,
        pyiqa_opts: dict | None = None,
    ):
        super().__init__(name, device, pyiqa_name, seed, channels_last, pyiqa_opts)
        net = self.model.net
        if type(net).__name__ != "CFANet" or getattr(net, "crops", 1) != 1 or net.test_img_size is not None:
            raise ValueError(f"{name}: GT split is wired for CFANet with one crop and no test resize only")
        if not isinstance(net.semantic_model, _RefFeatures):
            net.semantic_model = _RefFeatures(net.semantic_model)
        files = artifact_files(PYIQA_WEIGHTS[pyiqa_name])
        tag = runtime_tag(self.device, self.channels_last, "fp32")
        self.gt_key = f"pyiqa-{pyiqa_name}-{weights_id(*files.values())}-{tag}"

    def gt_features(self, target: torch.Tensor) -> GTFeatures:
        net = self.model.net
        with torch.inference_mode(), _cudnn_like_pyiqa():
            return tuple(net.semantic_model.inner(net.preprocess(target.to(self.device))))

    def _scores_from_gt(self, pred: torch.Tensor, gt: GTFeatures) -> torch.Tensor:
        net = self.model.net
        proxy = net.semantic_model

        def one(x: torch.Tensor, *ref: torch.Tensor) -> torch.Tensor:
            proxy.ref, proxy.calls = list(ref), 0
            try:
                return net(x, x)  # the second image only feeds preprocess(); its features are ``ref``
            finally:
                proxy.ref = None

        with torch.inference_mode(), _cudnn_like_pyiqa():
            return self._per_image(one, pred.to(self.device), *gt)


@contextlib.contextmanager
def _cudnn_like_pyiqa() -> Iterator[None]:
    # InferenceModel.forward's setting, so CUDA numbers match pyiqa called directly
    with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True):
        yield
