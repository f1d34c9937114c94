"""Read a diffusers weight folder's parameter names/shapes without loading it, and compare them strictly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import torch

#: weight files diffusers' ``save_pretrained`` writes, preferred first
WEIGHT_FILES = (
    "diffusion_pytorch_model.safetensors",
    "diffusion_pytorch_model.safetensors.index.json",
    "diffusion_pytorch_model.bin",
    "diffusion_pytorch_model.bin.index.json",
)


class CheckpointMismatchError(ValueError):
    """A checkpoint's keys or shapes differ from the model it is loaded into (names them)."""


def _file_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    # mmap: only the tensor headers are touched, not the data
    state = torch.load(str(path), map_location="cpu", mmap=True, weights_only=True)
    return {k: tuple(v.shape) for k, v in state.items()}


def checkpoint_shapes(folder: str | Path) -> dict[str, tuple[int, ...]]:
    """Parameter name -> shape of the weights in a diffusers model folder (single or sharded).

    Args:
        folder: A ``save_pretrained`` folder (``config.json`` + ``diffusion_pytorch_model.*``).

    Returns:
        The name -> shape mapping.

    Raises:
        FileNotFoundError: If no weight file is there (names the files looked for).
    """
    folder = Path(folder)
    for name in WEIGHT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        if name.endswith(".index.json"):
            shards = sorted(set(json.loads(path.read_text())["weight_map"].values()))
            shapes: dict[str, tuple[int, ...]] = {}
            for shard in shards:
                shapes.update(_file_shapes(folder / shard))
            return shapes
        return _file_shapes(path)
    raise FileNotFoundError(f"no weights in {folder}; looked for {', '.join(WEIGHT_FILES)}")


def compare_shapes(
    expected: Mapping[str, tuple[int, ...]], found: Mapping[str, tuple[int, ...]], what: str, limit: int = 20
) -> None:
    """Raise unless ``found`` has exactly the keys and shapes of ``expected``.

    Args:
        expected: The model's parameter shapes.
        found: The checkpoint's parameter shapes.
        what: Names the checkpoint in the message (e.g. its path).
        limit: At most this many names listed per kind of problem.

    Raises:
        CheckpointMismatchError: Listing missing keys, unexpected keys and shape mismatches.
    """
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    shapes = sorted(
        f"{k}: checkpoint {list(found[k])} vs model {list(expected[k])}"
        for k in set(expected) & set(found)
        if tuple(found[k]) != tuple(expected[k])
    )
    if not (missing or unexpected or shapes):
        return
    parts = []
    for label, items in (
        ("missing keys", missing),
        ("unexpected keys", unexpected),
        ("shape mismatches", shapes),
    ):
        if items:
            more = f" ... (+{len(items) - limit} more)" if len(items) > limit else ""
            parts.append(f"{len(items)} {label}: {', '.join(items[:limit])}{more}")
    raise CheckpointMismatchError(f"{what} does not match the model: " + "; ".join(parts))
