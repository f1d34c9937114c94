"""A tiny StableSR release written in the official LDM layout, regenerated bit-identically on demand.

``data/tiny_layout.json`` lists every key and shape of IceClear/StableSR's own classes at a tiny
size (``LatentDiffusionSRTextWT`` = the ``stablesr_000117.ckpt`` layout, ``AutoencoderKLResi`` =
``vqgan_cfw_00011.ckpt``), read off the official code (398ee93) on CPU; ``data/tiny_config.json`` is
that architecture in our config format. Weights are a deterministic function of each key, so the
official reference run (``data/official_tiny.safetensors``) and these tests use the same tensors
without committing them.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import torch

DATA = Path(__file__).parent / "data"
LAYOUT = json.loads((DATA / "tiny_layout.json").read_text())
CONFIG_FILE = DATA / "tiny_config.json"


def release_tensor(key: str, shape: list[int], seed: int = 0) -> torch.Tensor:
    """N(0, 0.05) per key (1-D ``.weight`` tensors, i.e. norm scales, around 1)."""
    g = torch.Generator().manual_seed(seed + zlib.crc32(key.encode()))
    t = torch.randn(tuple(shape), generator=g) * 0.05
    return t + 1 if (len(shape) == 1 and key.endswith(".weight")) else t


def release_state(name: str) -> dict[str, torch.Tensor]:
    """The tiny ``state_dict`` of ``"stablesr"`` or ``"cfw"`` in the released key layout."""
    return {k: release_tensor(k, s) for k, s in LAYOUT[name].items()}


def write_release(root: Path) -> tuple[Path, Path]:
    """Write ``stablesr_000117.ckpt`` and ``vqgan_cfw_00011.ckpt`` as pytorch-lightning would.

    Besides ``state_dict`` the files carry what Lightning adds (step counters, optimizer state,
    callbacks keyed by class), and the CFW file a training-loss key, as the released ones do.
    """
    root.mkdir(parents=True, exist_ok=True)
    extra = {"epoch": 117, "global_step": 1, "optimizer_states": [{"state": {0: {"exp_avg": torch.zeros(3)}}}],
             "callbacks": {_Callback: {"best_model_score": torch.tensor(0.5)}}}  # fmt: skip
    ckpt, cfw = root / "stablesr_000117.ckpt", root / "vqgan_cfw_00011.ckpt"
    torch.save({"state_dict": release_state("stablesr"), **extra}, ckpt)
    torch.save({"state_dict": {**release_state("cfw"), "loss.logvar": torch.zeros(())}, **extra}, cfw)
    return ckpt, cfw


class _Callback:
    """Stands for ``pytorch_lightning.callbacks.ModelCheckpoint`` (a class pickled by reference)."""
