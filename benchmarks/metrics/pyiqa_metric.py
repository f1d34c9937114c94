"""Metrics from pyiqa (MUSIQ variants, NIQE, MANIQA, CLIPIQA, TOPIQ, LIQE), weights via :mod:`pasd.hub`.

Each pyiqa preset runs its own default construction path (``pyiqa.create_metric(name)``: the
same options, ``weight_keys``, strictness and class count as a user gets), with every download
call answered by a locally resolved artifact file instead of the network:
``load_file_from_url`` (pyiqa's weights), ``clip_model._download`` (OpenAI CLIP backbones) and
timm's ImageNet init (MANIQA's ViT; the MANIQA checkpoint holds every ViT weight and is loaded
strictly). A URL that no artifact of the metric provides is a :class:`MissingWeightsError`,
never a download. Passing ``pretrained_model_path`` instead would not be the same: MANIQA then
reads the file's ``params`` key, which the released checkpoints do not have, and TOPIQ loads
non-strictly.

pyiqa's licence is PolyForm Noncommercial 1.0.0 from 0.1.16 (CC BY-NC-SA 4.0 before); the suite
is tested with the version in :data:`TESTED_PYIQA` (see the README).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

import numpy as np
import torch

from benchmarks.metrics.base import GTFeatures, PerImageMetric, SplitFRMetric
from benchmarks.metrics.registry import METRICS
from benchmarks.metrics.runtime import runtime_tag, use_channels_last
from benchmarks.metrics.weights import weights_id
from pasd.hub import MissingWeightsError, get_artifact, resolve_file

logger = logging.getLogger(__name__)

#: the pyiqa versions this wiring was read from and tested with (pyproject pins the same range)
TESTED_PYIQA: tuple[str, str] = ("0.1.16", "0.1.17")  # [low, high)

#: pyiqa preset -> the artifacts its default construction downloads (pasd.hub names)
PYIQA_ARTIFACTS: dict[str, tuple[str, ...]] = {
    "musiq": ("musiq-koniq",),
    "musiq-ava": ("musiq-ava",),
    "musiq-spaq": ("musiq-spaq",),
    "musiq-paq2piq": ("musiq-paq2piq",),
    "niqe": ("niqe",),
    "maniqa": ("maniqa-koniq",),
    "maniqa-pipal": ("maniqa-pipal",),
    "clipiqa": ("clipiqa-rn50",),
    "topiq_nr": ("topiq-nr-koniq",),
    "topiq_fr": ("topiq-fr-kadid",),
    "liqe": ("liqe-koniq", "clip-vit-b32"),
    "liqe_mix": ("liqe-mix", "clip-vit-b32"),
}

#: presets whose network needs a minimum image size (pyiqa asserts it; we say it first)
MIN_SIDE: dict[str, int] = {"liqe": 224, "liqe_mix": 224, "niqe": 96}


def _check_version() -> str:
    import pyiqa
    from packaging.version import Version

    v = getattr(pyiqa, "__version__", "0")
    low, high = TESTED_PYIQA
    if not Version(low) <= Version(v) < Version(high):
        logger.warning("pyiqa %s is outside the tested range [%s, %s): scores may differ", v, low, high)
    return v


def artifact_files(artifacts: tuple[str, ...]) -> dict[str, Path]:
    """File base name -> resolved path for every file of ``artifacts``.

    Raises:
        MissingWeightsError: an artifact is not on disk or not in the artifact table.
    """
    files: dict[str, Path] = {}
    for name in artifacts:
        try:
            art = get_artifact(name)
        except KeyError:
            raise MissingWeightsError(
                name, reason="not listed in the artifact table (see `pasd-bench weights list`)"
            ) from None
        for f in art.files:
            files[Path(f.path).name] = resolve_file(name, f.path)
    return files


@contextlib.contextmanager
def offline_pyiqa(files: dict[str, Path], metric: str) -> Iterator[None]:
    """Answer pyiqa's download calls with ``files`` (by base name); anything else is missing weights."""
    import timm

    from benchmarks.metrics.clip_compat import import_clip

    import_clip()  # pyiqa's CLIP-based archs import OpenAI clip, which needs pkg_resources
    from pyiqa.archs import arch_util, clip_model, clipiqa_arch, liqe_arch, niqe_arch

    def local(url: str, *args, **kwargs) -> str:
        name = os.path.basename(urlparse(url).path)
        if name not in files:
            raise MissingWeightsError(
                f"pyiqa:{name}",
                reason=f"metric {metric!r}: pyiqa asked for {url}, which none of its artifacts "
                f"({', '.join(sorted(files)) or 'none'}) provides (wiring read from pyiqa {TESTED_PYIQA[0]})",
            )
        return str(files[name])

    real_create = timm.create_model

    def create_model(name: str, pretrained: bool = False, **kw):
        # MANIQA's ViT and TOPIQ's ResNet come from timm with ImageNet weights, which the metric's
        # checkpoint then overwrites entirely (both load it strictly): skip the ImageNet download
        return real_create(name, pretrained=False, **kw)

    with contextlib.ExitStack() as stack:
        for module in (arch_util, niqe_arch, clipiqa_arch):
            stack.enter_context(mock.patch.object(module, "load_file_from_url", local))
        stack.enter_context(mock.patch.object(clip_model, "_download", local))
        stack.enter_context(mock.patch.object(timm, "create_model", create_model))
        # LIQE caches its prompt embeddings in pyiqa's weights folder and reads any file found
        # there later, even one made by other weights: give it a fresh folder every time
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pasd-liqe-"))
        stack.enter_context(mock.patch.object(liqe_arch, "DEFAULT_CACHE_DIR", tmp))
        yield


def build_pyiqa(pyiqa_name: str, device: str | torch.device = "cpu", **kwargs) -> torch.nn.Module:
    """``pyiqa.create_metric(pyiqa_name)`` built from the resolved local weights.

    Args:
        pyiqa_name: a key of :data:`PYIQA_ARTIFACTS`.
        device: where the network runs.
        **kwargs: pyiqa options over the preset's (e.g. ``backbone_pretrain=False``).

    Raises:
        KeyError: a pyiqa preset this suite has no weights mapping for.
        pasd.hub.MissingWeightsError: the weights are not on disk.
    """
    if pyiqa_name not in PYIQA_ARTIFACTS:
        raise KeyError(f"pyiqa metric {pyiqa_name!r} not wired; allowed: {sorted(PYIQA_ARTIFACTS)}")
    import pyiqa

    _check_version()
    files = artifact_files(PYIQA_ARTIFACTS[pyiqa_name])
    with offline_pyiqa(files, pyiqa_name), contextlib.redirect_stdout(io.StringIO()):
        return pyiqa.create_metric(pyiqa_name, device=torch.device(device), **kwargs)


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed torch and NumPy (pyiqa's random crops draw from both) without touching the caller's RNGs."""
    if seed is None:
        yield
        return
    state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
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
            with seeded(self.seed):
                out.append(fn(*(t[i : i + 1] for t in tensors)).reshape(-1))
        return torch.cat(out)


@METRICS.register("PyiqaNR")
class PyiqaNRMetric(_PyiqaBase):
    """A pyiqa no-reference metric applied to each [0, 1] RGB image of a batch.

    Args:
        pyiqa_name: pyiqa preset (a key of :data:`PYIQA_ARTIFACTS`).
        seed: seeds torch/NumPy before each image (MANIQA presets; recorded with the results).
        channels_last: NHWC weights (``None``: on for CPU); measured for MUSIQ only.
        pyiqa_opts: options over pyiqa's preset (tests shrink networks with them).
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
    ):
        super().__init__(name, device, pyiqa_name, seed, channels_last, pyiqa_opts)

    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        self._check_size(pred)
        # one call per batch of same-size images: equal to scoring each file alone up to float32
        # rounding (~1e-7; tested)
        with torch.inference_mode():
            return self._per_image(self.model, pred.to(self.device))


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
        files = artifact_files(PYIQA_ARTIFACTS[pyiqa_name])
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
