"""What the diffusers-pipeline adapters share: padding to the model's size multiple, seeding, options.

The official pipelines resize an input whose sides are not a multiple of what their networks
need (``LDMSuperResolutionPipeline`` rounds down to 32 with Lanczos, ``StableDiffusionUpscalePipeline``
to the VAE factor with bicubic). That changes the image geometry, so the output no longer lines up
with the ground truth pixel for pixel. The adapters instead pad the input (reflection, bottom and
right) to the multiple, so the pipelines' own resize is a no-op, and crop the output back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

# one rule for every adapter; kept importable from here, where the diffusion adapters took it
from baselines.options import resolve_options  # noqa: F401


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """Reflect-pad ``(H, W, C)`` at the bottom and right so both sides are multiples of ``multiple``.

    Reflection (as Real-ESRGAN's and SwinIR's mod-padding) continues the image's structure
    instead of adding a flat border; a side of one pixel, which cannot be reflected, is repeated.

    Raises:
        ValueError: If ``multiple`` is not positive.
    """
    if multiple < 1:
        raise ValueError(f"multiple must be >= 1, got {multiple}")
    h, w = image.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    if not ph and not pw:
        return image
    mode = "reflect" if min(h, w) > 1 else "edge"
    return np.pad(image, ((0, ph), (0, pw), (0, 0)), mode=mode)


@contextmanager
def seeded_global_rng(seed: int, device: str) -> Iterator[None]:
    """Seed torch's global generators for the block and restore them afterwards.

    ``LDMSuperResolutionPipeline`` does not hand its generator to ``scheduler.step``, so DDIM's
    eta noise comes from the global generator: without this, the same seed would not give the
    same bytes. The caller's global RNG state is left as it was.
    """
    import torch

    devices = []
    if str(device).startswith("cuda") and torch.cuda.is_available():
        devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def from_pretrained(cls, root: Any, dtype: Any, **kwargs: Any) -> Any:
    """``cls.from_pretrained(root, torch_dtype=dtype, ...)`` without diffusers' rename warning.

    diffusers >= 0.36 renamed ``torch_dtype`` to ``dtype`` and warns on the old name; older
    releases only know the old name, so the old name is passed and its warning silenced.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch_dtype.*", category=FutureWarning)
        return cls.from_pretrained(root, torch_dtype=dtype, **kwargs)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """``[0, 1]`` floats to ``uint8`` by diffusers' own rule (``numpy_to_pil``: ``round(x * 255)``)."""
    return (np.clip(images, 0.0, 1.0) * 255).round().astype(np.uint8)
