"""Randomly initialised metric weights in the real on-disk formats, plus an artifact table for them.

For plumbing tests and timing (``benchmarks/perf/metrics.py``) on machines without the
real weights: a score computed with these weights means nothing. Never used by the engine itself. The torchvision
backbones are saved as their ``features.*`` tensors only (the classifier is ~90% of the bytes
and no metric reads it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

#: artifact -> file name, as the real table names them
FILES: dict[str, str] = {
    "lpips-alex": "alex.pth",
    "alexnet": "alexnet-owt-7be5be79.pth",
    "dists": "weights.pt",
    "vgg16": "vgg16-397923af.pth",
    "musiq-koniq": "musiq_koniq_ckpt-e95806b9.pth",
    "niqe": "niqe_modelparameters.mat",
    "inception-fid": "inception-2015-12-05.pt",
    "clip-vit-b32": "ViT-B-32.pt",
    "inception-fid-pt": "pt_inception-2015-12-05-6726825d.pth",
}
#: what :func:`build_weights` writes by default: the full-size pytorch-fid Inception (~95 MB) only on request
DEFAULT_NAMES: tuple[str, ...] = tuple(n for n in FILES if n != "inception-fid-pt")


def write_table(path: Path, names=tuple(FILES)) -> Path:
    """An artifact table (``pasd.hub`` schema) listing ``names`` with their file names."""
    parts = []
    for name in names:
        parts.append(
            f'[artifacts.{name}]\ntitle = "test {name}"\nkind = "metric-weights"\nlicence = "test"\n'
            f'cache = "torch-hub"\nfetchable = false\nnotes = "random test weights"\n'
            f'[[artifacts.{name}.files]]\npath = "{FILES[name]}"\n'
        )
    path.write_text("\n".join(parts))
    return path


class _TinyInceptionLayers(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 13, stride=13)
        self.proj = torch.nn.Conv2d(8, 2048, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(x))
        return self.proj(torch.nn.functional.adaptive_avg_pool2d(h, 1))


class _TinyInception(torch.nn.Module):
    """Same scripted interface as clean-fid's Inception torchscript: ``layers`` and ``forward(x, return_features)``."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = _TinyInceptionLayers()

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        return self.layers((x - 128.0) / 128.0)


def _save_tiny_clip(target: Path) -> None:
    """A traced JIT archive, like OpenAI's ``ViT-B-32.pt`` (``clip.load`` reads its state dict)."""
    from benchmarks.metrics.clip_compat import import_clip

    import_clip()
    from clip.model import CLIP

    model = CLIP(
        embed_dim=32, image_resolution=224, vision_layers=1, vision_width=64, vision_patch_size=32,
        context_length=8, vocab_size=64, transformer_width=64, transformer_heads=1, transformer_layers=1,
    )  # fmt: skip
    model.float().eval()
    traced = torch.jit.trace(
        model, (torch.rand(1, 3, 224, 224), torch.zeros(1, 8, dtype=torch.long)), check_trace=False
    )
    traced.save(str(target))


def _random_pt_inception() -> dict[str, torch.Tensor]:
    """pytorch-fid's FID Inception (pyiqa's copy of the architecture) with random weights, as a state dict."""
    from unittest import mock

    import pyiqa.archs.inception as module

    with mock.patch.object(module, "load_pretrained_network", lambda *a, **k: None):
        net = module.fid_inception_v3()
    # He init keeps activations O(1) through the ReLU stack: PyTorch's default init (what
    # pytorch-fid's init_weights=False leaves) makes the pool features vanish (~1e-7), and
    # torchvision's std-0.1 init makes them explode (~1e11) without trained BatchNorm statistics
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return net.state_dict()


def build_weights(root: Path, names=DEFAULT_NAMES) -> Path:
    """Write random weights for ``names`` at ``root/weights/<name>/<file>`` (``$PASD_BENCH_HOME`` layout)."""
    import lpips
    import scipy.io
    import torchvision
    from pyiqa.archs.musiq_arch import MUSIQ
    from torchvision.models import vgg

    torch.manual_seed(0)
    makers = {
        "lpips-alex": lambda: {
            k: v
            for k, v in lpips.LPIPS(pretrained=False, net="alex", pnet_rand=True, verbose=False)
            .state_dict()
            .items()
            if k.startswith("lin")
        },
        "alexnet": lambda: {
            f"features.{k}": v for k, v in torchvision.models.alexnet().features.state_dict().items()
        },
        "dists": lambda: {"alpha": torch.rand(1, 1475, 1, 1) * 0.2, "beta": torch.rand(1, 1475, 1, 1) * 0.2},
        "vgg16": lambda: {f"features.{k}": v for k, v in vgg.make_layers(vgg.cfgs["D"]).state_dict().items()},
        "musiq-koniq": lambda: MUSIQ(pretrained=False).state_dict(),
        "inception-fid-pt": _random_pt_inception,
    }
    for name in names:
        target = root / "weights" / name / FILES[name]
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == "inception-fid":
            torch.jit.script(_TinyInception().eval()).save(str(target))
        elif name == "clip-vit-b32":
            _save_tiny_clip(target)
        elif name == "niqe":
            rng = np.random.default_rng(0)
            a = rng.normal(size=(36, 36))
            scipy.io.savemat(
                target, {"mu_prisparam": rng.normal(size=(1, 36)), "cov_prisparam": a @ a.T / 36 + np.eye(36)}
            )
        else:
            torch.save(makers[name](), target)
    return root
