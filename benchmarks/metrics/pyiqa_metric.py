"""No-reference metrics from pyiqa (MUSIQ on KonIQ, NIQE, MANIQA, CLIPIQA), weights via :mod:`pasd.hub`.

pyiqa downloads a checkpoint whenever ``pretrained_model_path`` is not given; every preset
here passes the resolved local file instead. MANIQA's constructor additionally asks timm for
an ImageNet ViT; its checkpoint holds every ViT weight, so we build the ViT empty.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from unittest import mock

import torch

from benchmarks.metrics.base import PerImageMetric
from benchmarks.metrics.configs import PYIQA_WEIGHTS
from benchmarks.metrics.registry import METRICS
from benchmarks.metrics.weights import weights_file

#: pyiqa preset -> (artifact, keyword that receives the resolved path); the artifacts are
#: ``configs.PYIQA_WEIGHTS`` (one table, also read by ``weights_for`` for plans and run records)
_KWARG = {"clipiqa": "backbone"}
_WEIGHTS: dict[str, tuple[str, str]] = {
    name: (artifact, _KWARG.get(name, "pretrained_model_path")) for name, artifact in PYIQA_WEIGHTS.items()
}


@contextlib.contextmanager
def _no_timm_download(pyiqa_name: str) -> Iterator[None]:
    if pyiqa_name != "maniqa":
        yield
        return
    import timm
    from pyiqa.archs import maniqa_arch

    def create_model(name: str, pretrained: bool = False, **kw):
        return timm.create_model(name, pretrained=False, **kw)

    with mock.patch.object(maniqa_arch.timm, "create_model", create_model):
        yield


def build_pyiqa(pyiqa_name: str, device: str | torch.device = "cpu") -> torch.nn.Module:
    """``pyiqa.create_metric(pyiqa_name)`` pointed at the resolved local weights.

    Raises:
        KeyError: a pyiqa preset this suite has no weights mapping for.
        pasd.hub.MissingWeightsError: the weights are not on disk.
    """
    if pyiqa_name not in _WEIGHTS:
        raise KeyError(f"pyiqa metric {pyiqa_name!r} not wired; allowed: {sorted(_WEIGHTS)}")
    import pyiqa

    artifact, kwarg = _WEIGHTS[pyiqa_name]
    path = weights_file(artifact)
    with _no_timm_download(pyiqa_name), contextlib.redirect_stdout(io.StringIO()):
        return pyiqa.create_metric(pyiqa_name, device=torch.device(device), **{kwarg: str(path)})


@METRICS.register("PyiqaNR")
class PyiqaNRMetric(PerImageMetric):
    """A pyiqa no-reference metric applied to each [0, 1] RGB image of a batch."""

    mode = "NR"

    def __init__(self, name: str, device: str | torch.device = "cpu", pyiqa_name: str = "musiq"):
        super().__init__(name, device)
        self.pyiqa_name = pyiqa_name
        self.model = build_pyiqa(pyiqa_name, self.device)
        # an instance attribute: the direction comes from pyiqa's own preset table
        self.higher_is_better = not bool(getattr(self.model, "lower_better", False))

    @torch.no_grad()
    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        # one call per batch of same-size images: ~3x faster than per image for MUSIQ on CPU, and
        # equal to scoring each file alone up to float32 rounding (~1e-7; tested)
        return self.model(pred.to(self.device)).reshape(-1)
