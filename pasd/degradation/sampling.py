"""Per-image random parameters of the degradation, drawn from a generator seeded by (seed, image id).

Real-ESRGAN draws from the global ``random``/``np.random``/``torch`` state, so its output for an
image depends on everything sampled before it (batch size, order, worker count). Here every draw
for one image comes from its own :class:`numpy.random.Generator`, so an image's parameters, and
hence its LQ bytes, depend only on ``(seed, image_id)``. The draws follow the same distributions,
in the same order, as ``RealESRGANDataset.__getitem__`` (kernels) and ``RealESRGANModel.feed_data``
(resize, noise, JPEG, order); the result is a plain JSON-able dict recorded in manifests.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from pasd.degradation.config import DegradationConfig, StageConfig

#: independent random streams of one image; adding a stream never changes the others
STREAM_DEGRADE, STREAM_CROP, STREAM_AUGMENT = 0, 1, 2


def image_rng(seed: int, image_id: str, stream: int = STREAM_DEGRADE) -> np.random.Generator:
    """The generator for one image: a hash of (seed, image id), so it is the same in any process.

    Args:
        seed: the run's seed.
        image_id: a stable name of the image (e.g. its path relative to the HQ folder, no suffix).
        stream: which independent stream (degradation parameters, crop position, augmentation).

    Returns:
        A fresh PCG64 generator.
    """
    # Python's hash() is salted per process; sha256 is stable across processes and machines.
    digest = hashlib.sha256(f"{int(seed)}\x00{image_id}".encode()).digest()
    entropy = int.from_bytes(digest[:16], "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(stream,))))


def _uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _choice(rng: np.random.Generator, items: tuple, weights: tuple | None = None) -> Any:
    idx = rng.choice(
        len(items), p=None if weights is None else np.asarray(weights, dtype=float) / sum(weights)
    )
    return items[int(idx)]


def _beta(rng: np.random.Generator, beta_range: tuple[float, float]) -> float:
    # as basicsr: half the time below 1, half above (assumes lo <= 1 <= hi)
    if rng.uniform() < 0.5:
        return _uniform(rng, beta_range[0], 1.0)
    return _uniform(rng, 1.0, beta_range[1])


def sample_blur_kernel(rng: np.random.Generator, stage: StageConfig, kernel_sizes: tuple[int, ...]) -> dict:
    """One stage's blur kernel spec (as ``RealESRGANDataset`` + ``random_mixed_kernels``).

    Returns:
        ``{"type", "size", ...}``: ``sinc`` has ``omega_c``; Gaussian types have ``sigma_x``,
        ``sigma_y``, ``theta``; generalized/plateau also ``beta``.
    """
    size = int(_choice(rng, kernel_sizes))
    if rng.uniform() < stage.sinc_prob:
        # Real-ESRGAN: small kernels cannot represent a low cutoff, so they keep omega_c >= pi/3
        lo = math.pi / 3 if size < 13 else math.pi / 5
        return {"type": "sinc", "size": size, "omega_c": _uniform(rng, lo, math.pi)}
    ktype = _choice(rng, stage.kernel_list, stage.kernel_prob)
    sigma_x = _uniform(rng, *stage.blur_sigma)
    if ktype.endswith("aniso"):
        sigma_y = _uniform(rng, *stage.blur_sigma)
        theta = _uniform(rng, -math.pi, math.pi)
    else:
        sigma_y, theta = sigma_x, 0.0
    spec = {"type": ktype, "size": size, "sigma_x": sigma_x, "sigma_y": sigma_y, "theta": theta}
    if ktype.startswith("generalized"):
        spec["beta"] = _beta(rng, stage.betag_range)
    elif ktype.startswith("plateau"):
        spec["beta"] = _beta(rng, stage.betap_range)
    return spec


def sample_final_sinc(rng: np.random.Generator, prob: float, kernel_sizes: tuple[int, ...]) -> dict:
    """The final sinc filter spec, or ``{"type": "pulse"}`` (identity) when not drawn."""
    if rng.uniform() < prob:
        size = int(_choice(rng, kernel_sizes))
        return {"type": "sinc", "size": size, "omega_c": _uniform(rng, math.pi / 3, math.pi)}
    return {"type": "pulse", "size": 1}


def _resize(rng: np.random.Generator, stage: StageConfig) -> dict:
    direction = _choice(rng, ("up", "down", "keep"), stage.resize_prob)
    if direction == "up":
        scale = _uniform(rng, 1.0, stage.resize_range[1])
    elif direction == "down":
        scale = _uniform(rng, stage.resize_range[0], 1.0)
    else:
        scale = 1.0
    return {"direction": direction, "scale": scale, "mode": _choice(rng, stage.resize_modes)}


def _noise(rng: np.random.Generator, stage: StageConfig) -> dict:
    if rng.uniform() < stage.gaussian_noise_prob:
        noise = {"type": "gaussian", "sigma": _uniform(rng, *stage.noise_range)}
    else:
        noise = {"type": "poisson", "scale": _uniform(rng, *stage.poisson_scale_range)}
    noise["gray"] = bool(rng.uniform() < stage.gray_noise_prob)
    # the noise field itself is drawn by a CPU torch.Generator seeded here (see noise.py)
    noise["seed"] = int(rng.integers(0, 2**62))
    return noise


def sample_params(config: DegradationConfig, rng: np.random.Generator) -> dict:
    """Draw every random choice of the second-order degradation for one image.

    Args:
        config: the degradation settings.
        rng: the image's generator (see :func:`image_rng`).

    Returns:
        A JSON-able dict: ``kernel1``, ``kernel2``, ``sinc`` (kernel specs), ``stage1`` and
        ``stage2`` (``resize``, ``noise``; ``stage1.jpeg_quality``, ``stage2.blur``), ``final``
        (``order``, ``resize_mode``, ``jpeg_quality``, ``resize_back_mode``).
    """
    kernel1 = sample_blur_kernel(rng, config.stage1, config.kernel_sizes)
    kernel2 = sample_blur_kernel(rng, config.stage2, config.kernel_sizes)
    sinc = sample_final_sinc(rng, config.final.sinc_prob, config.kernel_sizes)
    stage1 = {"resize": _resize(rng, config.stage1), "noise": _noise(rng, config.stage1)}
    stage1["jpeg_quality"] = _uniform(rng, *config.stage1.jpeg_range)
    stage2 = {"blur": bool(rng.uniform() < config.stage2.blur_prob)}
    stage2.update(resize=_resize(rng, config.stage2), noise=_noise(rng, config.stage2))
    resize_first = bool(rng.uniform() < config.final.resize_then_jpeg_prob)
    final = {
        "order": "resize_then_jpeg" if resize_first else "jpeg_then_resize",
        "resize_mode": _choice(rng, config.final.resize_modes),
        # the second stage's only JPEG is this final one (jpeg_range2 in Real-ESRGAN)
        "jpeg_quality": _uniform(rng, *config.stage2.jpeg_range),
        # only used by PASD's training variant that resizes LQ back to the HQ size
        "resize_back_mode": _choice(rng, config.final.resize_modes),
    }
    return {
        "kernel1": kernel1,
        "kernel2": kernel2,
        "sinc": sinc,
        "stage1": stage1,
        "stage2": stage2,
        "final": final,
    }
