"""Randomly initialised metric weights in the real on-disk formats, plus an artifact table for them.

For plumbing tests and timing (``benchmarks/perf/metrics.py``) on machines without the
real weights: a score computed with these weights means nothing. Never used by the engine itself. The torchvision
backbones are saved as their ``features.*`` tensors only (the classifier is ~90% of the bytes
and no metric reads it).
"""

from __future__ import annotations

import contextlib
import tempfile
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


# ---------------------------------------------------------------------------------------------
# The pyiqa presets added for table-scale scoring (issue 19). Tiny networks: the same pyiqa
# classes, loaders and key names at small widths (options in TINY_PYIQA_OPTS), so CPU tests
# stay fast. Kept apart from FILES/build_weights so the Table 1 set keeps its full-size MUSIQ.
# ---------------------------------------------------------------------------------------------

#: artifact -> file name (as the real table names them); clip-vit-b32 here is a text-capable CLIP
IQA_FILES: dict[str, str] = {
    "musiq-ava": "musiq_ava_ckpt-e8d3f067.pth",
    "musiq-spaq": "musiq_spaq_ckpt-358bb6af.pth",
    "musiq-paq2piq": "musiq_paq2piq_ckpt-364c0c84.pth",
    "maniqa-koniq": "ckpt_koniq10k.pt",
    "maniqa-pipal": "MANIQA_PIPAL-ae6d356b.pth",
    "clipiqa-rn50": "RN50.pt",
    "topiq-nr-koniq": "cfanet_nr_koniq_res50-9a73138b.pth",
    "topiq-fr-kadid": "cfanet_fr_kadid_res50-2c4cc61d.pth",
    "liqe-koniq": "liqe_koniq.pt",
    "liqe-mix": "liqe_mix.pt",
    "clip-vit-b32": "ViT-B-32.pt",
    "niqe": "niqe_modelparameters.mat",
}

_TINY_MUSIQ = {"hidden_size": 32, "mlp_dim": 64, "num_heads": 2, "num_layers": 2}
_TINY_MANIQA = {
    "embed_dim": 64,
    "dim_mlp": 64,
    "num_heads": [1, 1],
    "depths": [1, 1],
    "num_tab": 1,
    "test_sample": 2,
}
_TINY_TOPIQ = {"semantic_model_name": "resnet18", "inter_dim": 32, "num_heads": 2}

#: pyiqa preset -> options that shrink its network (tests pass them as the metric's ``pyiqa_opts``)
TINY_PYIQA_OPTS: dict[str, dict] = {
    "musiq-ava": _TINY_MUSIQ,
    "musiq-spaq": _TINY_MUSIQ,
    "musiq-paq2piq": _TINY_MUSIQ,
    "maniqa": _TINY_MANIQA,
    "maniqa-pipal": _TINY_MANIQA,
    "topiq_nr": _TINY_TOPIQ,
    "topiq_fr": _TINY_TOPIQ,
    "clipiqa": {},
    "liqe": {},
    "liqe_mix": {},
    "niqe": {},
}

#: what MANIQA's ``timm.create_model("vit_base_patch8_224")`` builds under :func:`tiny_timm`
TINY_VIT = {"img_size": 224, "patch_size": 8, "embed_dim": 64, "depth": 10, "num_heads": 1, "num_classes": 0}


@contextlib.contextmanager
def tiny_timm():
    """Make ``timm.create_model("vit_base_patch8_224")`` (MANIQA's backbone) a 64-wide ViT.

    MANIQA reads blocks 6-9, so the depth stays 10; everything else in timm is unchanged.
    """
    from unittest import mock

    import timm
    from timm.models.vision_transformer import VisionTransformer

    real = timm.create_model

    def create_model(name, *args, **kwargs):
        if name == "vit_base_patch8_224":
            return VisionTransformer(**TINY_VIT)
        return real(name, *args, **kwargs)

    with mock.patch.object(timm, "create_model", create_model):
        yield


def _tiny_text_clip(vision: str):
    """An OpenAI ``clip.model.CLIP`` small enough for tests, with the full tokenizer width (77 x 49408)."""
    from benchmarks.metrics.clip_compat import import_clip

    import_clip()
    from clip.model import CLIP

    if vision == "vit":
        layers, width, patch = 1, 64, 32
    else:  # ModifiedResNet: RN50's layout at width 8
        layers, width, patch = (1, 1, 1, 1), 8, None
    model = CLIP(
        embed_dim=32, image_resolution=224, vision_layers=layers, vision_width=width, vision_patch_size=patch,
        context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=1, transformer_layers=1,
    )  # fmt: skip
    return model.float().eval()


def _save_jit_clip(model, target: Path) -> None:
    """A traced JIT archive, the format OpenAI publishes (pyiqa's ``clip_model.load`` reads its state dict)."""
    traced = torch.jit.trace(
        model, (torch.rand(1, 3, 224, 224), torch.zeros(1, 77, dtype=torch.long)), check_trace=False
    )
    traced.save(str(target))


def _pyiqa_net(preset: str, files: dict[str, Path]):
    """The tiny pyiqa network of ``preset`` built without weights (its random init is what gets saved)."""
    from unittest import mock

    from benchmarks.metrics.clip_compat import import_clip

    import_clip()
    from pyiqa.archs import clip_model, liqe_arch
    from pyiqa.archs.maniqa_arch import MANIQA
    from pyiqa.archs.musiq_arch import MUSIQ
    from pyiqa.archs.topiq_arch import CFANet
    from pyiqa.default_model_configs import DEFAULT_CONFIGS

    opts = {**DEFAULT_CONFIGS[preset]["metric_opts"], **TINY_PYIQA_OPTS[preset]}
    kind = opts.pop("type")
    if kind == "MUSIQ":
        # the default path sets num_class=10 for AVA; an explicit pretrained=False does not
        num_class = 10 if opts.pop("pretrained") == "ava" else 1
        return MUSIQ(pretrained=False, num_class=num_class, **opts)
    if kind == "MANIQA":
        with tiny_timm():
            net = MANIQA(pretrained=False, **opts)
        # the score head ends in a ReLU: lift its random bias so scores are not all zero
        torch.nn.init.constant_(net.fc_score[-2].bias, 0.5)
        return net
    if kind == "CFANet":
        return CFANet(pretrained=False, backbone_pretrain=False, **opts)
    if kind == "LIQE":
        opts.pop("pretrained")
        with (
            mock.patch.object(
                liqe_arch, "load", lambda name, device: clip_model.load(str(files["clip"]), device)
            ),
            tempfile.TemporaryDirectory() as tmp,
            mock.patch.object(liqe_arch, "DEFAULT_CACHE_DIR", tmp),
        ):
            return liqe_arch.LIQE(pretrained=False, **opts)
    raise ValueError(f"no tiny builder for pyiqa type {kind}")


#: artifact -> (pyiqa preset whose network it holds, wrapped under "params"?)
_IQA_NETS: dict[str, tuple[str, bool]] = {
    "musiq-ava": ("musiq-ava", False),
    "musiq-spaq": ("musiq-spaq", False),
    "musiq-paq2piq": ("musiq-paq2piq", False),
    "maniqa-koniq": ("maniqa", False),
    "maniqa-pipal": ("maniqa-pipal", False),
    "topiq-nr-koniq": ("topiq_nr", True),
    "topiq-fr-kadid": ("topiq_fr", True),
    "liqe-koniq": ("liqe", True),
    "liqe-mix": ("liqe_mix", True),
}


def build_iqa_weights(root: Path, names=tuple(IQA_FILES)) -> Path:
    """Write tiny random weights for the pyiqa presets at ``root/weights/<name>/<file>``.

    Layouts follow what each preset's default load expects: MUSIQ and MANIQA checkpoints are
    plain state dicts, TOPIQ and LIQE ones hold it under ``params``; CLIP backbones are JIT archives.
    """
    torch.manual_seed(0)
    target = {n: root / "weights" / n / IQA_FILES[n] for n in IQA_FILES}
    for p in target.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    clip_file = target["clip-vit-b32"]
    if "clip-vit-b32" in names or any(n.startswith("liqe") for n in names):
        _save_jit_clip(_tiny_text_clip("vit"), clip_file)
    if "clipiqa-rn50" in names:
        _save_jit_clip(_tiny_text_clip("rn"), target["clipiqa-rn50"])
    if "niqe" in names:
        build_weights(root, ("niqe",))
    for name in names:
        if name not in _IQA_NETS:
            continue
        preset, wrapped = _IQA_NETS[name]
        state = _pyiqa_net(preset, {"clip": clip_file}).state_dict()
        torch.save({"params": state} if wrapped else state, target[name])
    return root


def write_iqa_table(path: Path, names=tuple(IQA_FILES)) -> Path:
    """An artifact table listing the pyiqa artifacts ``names`` (the :func:`write_table` schema)."""
    parts = []
    for name in names:
        parts.append(
            f'[artifacts.{name}]\ntitle = "test {name}"\nkind = "metric-weights"\nlicence = "test"\n'
            f'cache = "pyiqa"\nfetchable = false\nnotes = "random test weights"\n'
            f'[[artifacts.{name}.files]]\npath = "{IQA_FILES[name]}"\n'
        )
    path.write_text("\n".join(parts))
    return path
