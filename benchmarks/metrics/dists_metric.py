"""DISTS through ``DISTS_pytorch``, with weights from :mod:`pasd.hub`.

``DISTS_pytorch.DISTS()`` downloads torchvision's VGG16 and reads ``alpha``/``beta`` from
``sys.prefix``; we build it around a randomly initialised VGG16, then load the trunk from the
``vgg16`` artifact and ``alpha``/``beta`` from the ``dists`` artifact.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import torch

from benchmarks.metrics.base import PerImageMetric
from benchmarks.metrics.registry import METRICS
from benchmarks.metrics.weights import load_features_into, load_state_dict


@contextlib.contextmanager
def _vgg16_without_download():
    """Make ``DISTS_pt.models.vgg16(pretrained=True)`` return an untrained VGG16 trunk.

    DISTS only reads ``.features``; building just that skips the 120M-parameter classifier
    (seconds of random init on CPU). The real weights are loaded right after construction.
    """
    import types

    from DISTS_pytorch import DISTS_pt
    from torchvision.models import vgg

    def vgg16(*args, **kwargs):
        return types.SimpleNamespace(features=vgg.make_layers(vgg.cfgs["D"], batch_norm=False))

    with mock.patch.object(DISTS_pt, "models", types.SimpleNamespace(vgg16=vgg16)):
        yield


def build_dists(device: str | torch.device = "cpu") -> torch.nn.Module:
    """A ``DISTS_pytorch.DISTS`` module with every weight loaded from resolved local files.

    Raises:
        ValueError: weight files with missing or misshaped keys.
        pasd.hub.MissingWeightsError: ``dists`` or ``vgg16`` is not on disk.
    """
    from DISTS_pytorch import DISTS

    ab = load_state_dict("dists")
    trunk = load_state_dict("vgg16")
    with _vgg16_without_download():
        model = DISTS(load_weights=False)
    for key in ("alpha", "beta"):
        if key not in ab or ab[key].shape != getattr(model, key).shape:
            raise ValueError(f"dists weights: {key!r} missing or of the wrong shape")
        getattr(model, key).data = ab[key].float()
    modules = {}
    for stage in ("stage1", "stage2", "stage3", "stage4", "stage5"):
        for idx, child in getattr(model, stage).named_children():
            if isinstance(child, (torch.nn.Conv2d, torch.nn.ReLU, torch.nn.MaxPool2d)):
                modules[idx] = child
    load_features_into(modules, trunk, "vgg16")
    return model.to(device).eval()


@METRICS.register("DISTS")
class DISTSMetric(PerImageMetric):
    """DISTS distance (lower is better) on [0, 1] RGB inputs, as ``DISTS_pytorch`` expects."""

    mode = "FR"
    higher_is_better = False

    def __init__(self, name: str, device: str | torch.device = "cpu"):
        super().__init__(name, device)
        self.model = build_dists(self.device)

    @torch.no_grad()
    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        out = self.model(pred.to(self.device), target.to(self.device))
        return out.reshape(-1)
