"""Random weights for the GAN generators, saved as the authors release them (a plain ``torch.save`` state dict).

The values follow one fixed rule (seeded normal, scaled by fan-in) over the generator's parameter
names, so the reference outputs in ``tests/baselines/data/`` (computed once by the official test
scripts on exactly these files) stay valid whatever torch's default initialisers do.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn


def released_random_state(model: nn.Module, seed: int = 0) -> OrderedDict[str, torch.Tensor]:
    """A float32 state dict with ``model``'s names and shapes and reproducible random values."""
    g = torch.Generator().manual_seed(seed)
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for name, ref in model.state_dict().items():
        shape = tuple(ref.shape)
        noise = torch.randn(shape, generator=g, dtype=torch.float32)
        if len(shape) > 1:  # conv kernels: unit gain, so tanh outputs are not saturated
            out[name] = noise / ref[0].numel() ** 0.5
        elif name.endswith(("scale", "weight")):  # norm gains
            out[name] = 1.0 + 0.1 * noise
        else:  # biases, norm shifts
            out[name] = 0.1 * noise
    return out


def save_released(model: nn.Module, path: Path, seed: int = 0) -> Path:
    """Write ``released_random_state(model, seed)`` to ``path`` with ``torch.save`` (the released format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(released_random_state(model, seed), path)
    return path
