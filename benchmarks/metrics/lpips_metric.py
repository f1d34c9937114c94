"""LPIPS (AlexNet trunk, v0.1) through the ``lpips`` package, with weights from :mod:`pasd.hub`.

``lpips.LPIPS(net="alex")`` would fetch torchvision's AlexNet from the internet; we build it
with ``pnet_rand=True`` (no download), load the linear layers from the ``lpips-alex`` artifact
via ``model_path`` and the trunk from the ``alexnet`` artifact (torchvision's state dict).
"""

from __future__ import annotations

import contextlib
import io

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

#: the lpips trunk's slice attributes and the torchvision ``features`` indices they hold
_ALEX_SLICES = ("slice1", "slice2", "slice3", "slice4", "slice5")


def build_lpips(
    device: str | torch.device = "cpu", net: str = "alex", version: str = "0.1"
) -> torch.nn.Module:
    """An ``lpips.LPIPS`` module with every weight loaded from resolved local files.

    Raises:
        ValueError: ``net`` other than ``alex``, or weight files with missing/misshaped keys.
        pasd.hub.MissingWeightsError: ``lpips-alex`` or ``alexnet`` is not on disk.
    """
    import lpips

    if net != "alex":
        raise ValueError(f"net {net!r} not supported; allowed: ['alex'] (the paper's LPIPS)")
    if version != "0.1":
        # the lpips-alex artifact holds the v0.1 linear layers; v0.0 would need its own file
        raise ValueError(f"LPIPS version {version!r} not supported; allowed: ['0.1'] (artifact lpips-alex)")
    lin_path = weights_file("lpips-alex")
    trunk = load_state_dict("alexnet")
    # lpips prints its set-up; keep stdout clean for the CLI's table
    with contextlib.redirect_stdout(io.StringIO()):
        model = lpips.LPIPS(
            pretrained=True, net=net, version=version, pnet_rand=True, model_path=str(lin_path)
        )
    # lpips loads the linear layers with strict=False, so check they were really there
    lin_state = torch.load(lin_path, map_location="cpu", weights_only=True)
    expected = {k for k in model.state_dict() if k.startswith("lin")}
    if not expected <= set(lin_state):
        raise ValueError(
            f"{lin_path}: not an LPIPS linear-layer file; missing {sorted(expected - set(lin_state))[:3]}"
        )
    modules = {}
    for attr in _ALEX_SLICES:
        for idx, child in getattr(model.net, attr).named_children():
            modules[idx] = child
    load_features_into(modules, trunk, "alexnet")
    return model.to(device).eval()


@METRICS.register("LPIPS")
class LPIPSMetric(SplitFRMetric):
    """LPIPS distance (lower is better), inputs mapped from [0, 1] to [-1, 1] as lpips expects.

    ``lpips.LPIPS.forward`` (v0.1, linear heads, no spatial map) is run as its two halves: the
    trunk + unit-normalisation of each image (:meth:`gt_features` for the GT, once), then the
    squared difference, linear heads, spatial mean and sum over layers, with the package's own
    modules and in its order. The package has no call that takes precomputed reference features.
    """

    mode = "FR"
    higher_is_better = False

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        net: str = "alex",
        version: str = "0.1",
        channels_last: bool | None = None,
        precision: Precision = "fp32",
    ):
        super().__init__(name, device)
        self.net_name, self.version = net, version
        self.dtype = check_precision(precision, "LPIPS", self.device)
        self.channels_last = use_channels_last(channels_last, self.device)
        self.model = build_lpips(self.device, net, version)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        files = (weights_file("lpips-alex"), weights_file("alexnet"))
        self.gt_key = f"lpips-{net}-v{version}-{weights_id(*files)}-{runtime_tag(self.device, self.channels_last, precision)}"

    def _trunk(self, x: torch.Tensor) -> list[torch.Tensor]:
        import lpips

        x = to_input(x, self.device, self.channels_last)
        x = self.model.scaling_layer(2 * x - 1)
        return [lpips.normalize_tensor(o) for o in self.model.net.forward(x)]

    def gt_features(self, target: torch.Tensor) -> GTFeatures:
        with inference(self.device, self.dtype):
            return tuple(self._trunk(target))

    def _scores_from_gt(self, pred: torch.Tensor, gt: GTFeatures) -> torch.Tensor:
        from lpips.lpips import spatial_average

        with inference(self.device, self.dtype):
            feats = self._trunk(pred)
            val = 0
            for kk, (f0, f1) in enumerate(zip(feats, gt, strict=True)):
                val += spatial_average(self.model.lins[kk]((f0 - f1) ** 2), keepdim=True)
            return val.reshape(-1).float()
