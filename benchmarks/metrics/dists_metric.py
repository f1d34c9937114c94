"""DISTS through ``DISTS_pytorch``, with weights from :mod:`pasd.hub`.

``DISTS_pytorch.DISTS()`` downloads torchvision's VGG16 and reads ``alpha``/``beta`` from
``sys.prefix``; we build it around a randomly initialised VGG16, then load the trunk from the
``vgg16`` artifact and ``alpha``/``beta`` from the ``dists`` artifact.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import torch

from benchmarks.metrics.base import GTFeatures, SplitFRMetric
from benchmarks.metrics.registry import METRICS
from benchmarks.metrics.runtime import (
    Precision,
    check_precision,
    inference,
    runtime_tag,
    to_input,
    use_channels_last,
)
from benchmarks.metrics.weights import load_features_into, load_state_dict, weights_file, weights_id


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


#: pixels per trunk call on CPU (see DISTSMetric); 0 or a CUDA device: the whole batch at once
CPU_CHUNK_PIXELS = 2 * 128 * 128


@METRICS.register("DISTS")
class DISTSMetric(SplitFRMetric):
    """DISTS distance (lower is better) on [0, 1] RGB inputs, as ``DISTS_pytorch`` expects.

    ``DISTS.forward`` is run as its two halves: ``forward_once`` of each image (for the GT:
    :meth:`gt_features`, once), then the structure/texture terms of ``DISTS.forward`` on the two
    feature lists, written out here in the package's order of operations (it has no call that
    takes precomputed reference features).
    """

    mode = "FR"
    higher_is_better = False

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        channels_last: bool | None = None,
        precision: Precision = "fp32",
        chunk_pixels: int | None = None,
    ):
        super().__init__(name, device)
        if chunk_pixels is not None and (not isinstance(chunk_pixels, int) or chunk_pixels < 1):
            raise ValueError(f"{name}: chunk_pixels must be a positive int or None, got {chunk_pixels!r}")
        # VGG16's 64-channel full-size maps of a 16-image batch fall out of the CPU caches: on CPU the
        # pred batch runs in chunks of ~2 images of 128 px (measured: -10 % at 128 px, -25 % at 256 px)
        self.chunk_pixels = (
            chunk_pixels
            if chunk_pixels is not None
            else (CPU_CHUNK_PIXELS if self.device.type == "cpu" else 0)
        )
        self.dtype = check_precision(precision, "DISTS", self.device)
        self.channels_last = use_channels_last(channels_last, self.device)
        self.model = build_dists(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        files = (weights_file("dists"), weights_file("vgg16"))
        self.gt_key = f"dists-{weights_id(*files)}-{runtime_tag(self.device, self.channels_last, precision)}"

    def gt_features(self, target: torch.Tensor) -> GTFeatures:
        with inference(self.device, self.dtype):
            return tuple(self.model.forward_once(to_input(target, self.device, self.channels_last)))

    def _scores_from_gt(self, pred: torch.Tensor, gt: GTFeatures) -> torch.Tensor:
        n = pred.shape[0]
        step = n if not self.chunk_pixels else max(1, self.chunk_pixels // (pred.shape[-2] * pred.shape[-1]))
        if step >= n:
            return self._distance(pred, gt)
        parts = [
            self._distance(pred[i : i + step], tuple(g[i : i + step] for g in gt)) for i in range(0, n, step)
        ]
        return torch.cat(parts)

    def _distance(self, pred: torch.Tensor, gt: GTFeatures) -> torch.Tensor:
        m = self.model
        with inference(self.device, self.dtype):
            feats0 = m.forward_once(to_input(pred, self.device, self.channels_last))
            dist1 = dist2 = 0
            c1 = c2 = 1e-6
            w_sum = m.alpha.sum() + m.beta.sum()
            alpha = torch.split(m.alpha / w_sum, m.chns, dim=1)
            beta = torch.split(m.beta / w_sum, m.chns, dim=1)
            for k in range(len(m.chns)):
                x_mean = feats0[k].mean([2, 3], keepdim=True)
                y_mean = gt[k].mean([2, 3], keepdim=True)
                s1 = (2 * x_mean * y_mean + c1) / (x_mean**2 + y_mean**2 + c1)
                dist1 = dist1 + (alpha[k] * s1).sum(1, keepdim=True)
                x_var = ((feats0[k] - x_mean) ** 2).mean([2, 3], keepdim=True)
                y_var = ((gt[k] - y_mean) ** 2).mean([2, 3], keepdim=True)
                xy_cov = (feats0[k] * gt[k]).mean([2, 3], keepdim=True) - x_mean * y_mean
                s2 = (2 * xy_cov + c2) / (x_var + y_var + c2)
                dist2 = dist2 + (beta[k] * s2).sum(1, keepdim=True)
            return (1 - (dist1 + dist2)).reshape(-1).float()
