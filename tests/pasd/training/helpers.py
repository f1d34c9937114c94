"""Helpers of the training tests (configs on the test data, reading logs and weights)."""

from __future__ import annotations

import csv
from pathlib import Path

import torch

#: the reference run's length and checkpoint interval
REF_STEPS, REF_EVERY = 40, 10


def tiny_config(tiny_sd: Path, hq_dir: Path, **overrides):
    """The shipped ``tiny`` config on the test data (base given as a folder, so no env is needed)."""
    from pasd.training import load_train_config

    settings = {
        "base": str(tiny_sd),
        "data": [str(hq_dir)],
        "max_steps": REF_STEPS,
        "checkpoint_every": REF_EVERY,
    }
    return load_train_config("tiny", {**settings, **overrides})


def read_log(run: Path) -> dict[int, dict[str, float]]:
    """``train_log.csv`` as step -> row of floats."""
    with (run / "train_log.csv").open() as fh:
        return {int(r["step"]): {k: float(v) for k, v in r.items() if v != ""} for r in csv.DictReader(fh)}


def state_of(folder: Path) -> dict[str, torch.Tensor]:
    """The weights of one saved model folder (``unet`` or ``controlnet``)."""
    from safetensors.torch import load_file

    return load_file(str(folder / "diffusion_pytorch_model.safetensors"))


def max_abs_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
