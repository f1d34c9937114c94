"""LPIPS (AlexNet trunk, v0.1) through the ``lpips`` package, with weights from :mod:`pasd.hub`.

``lpips.LPIPS(net="alex")`` would fetch torchvision's AlexNet from the internet; we build it
with ``pnet_rand=True`` (no download), load the linear layers from the ``lpips-alex`` artifact
via ``model_path`` and the trunk from the ``alexnet`` artifact (torchvision's state dict).
"""

from __future__ import annotations

import contextlib
import io

import torch

from benchmarks.metrics.base import PerImageMetric
from benchmarks.metrics.registry import METRICS
from benchmarks.metrics.weights import load_features_into, load_state_dict, weights_file

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
class LPIPSMetric(PerImageMetric):
    """LPIPS distance (lower is better), inputs mapped from [0, 1] to [-1, 1] as lpips expects."""

    mode = "FR"
    higher_is_better = False

    def __init__(
        self, name: str, device: str | torch.device = "cpu", net: str = "alex", version: str = "0.1"
    ):
        super().__init__(name, device)
        self.net_name, self.version = net, version
        self.model = build_lpips(self.device, net, version)

    @torch.no_grad()
    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        out = self.model(pred.to(self.device), target.to(self.device), normalize=True)
        return out.reshape(-1)
