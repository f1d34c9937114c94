"""Turn a loaded HQ image into the exact HQ the degradation sees: random crop or mod-crop."""

from __future__ import annotations

import math

import numpy as np

from pasd.degradation.config import DegradationConfig
from pasd.degradation.image_io import BadImageError
from pasd.degradation.sampling import STREAM_CROP, image_rng


def min_hq_size(config: DegradationConfig) -> int:
    """Smallest HQ side the pipeline accepts with this config.

    Every blur needs the image side to exceed the kernel radius (reflect padding): the first
    blur runs at HQ size, the second after the first resize (down to ``stage1.resize_range[0]``),
    the final sinc at HQ/scale; the second resize must keep at least one pixel.
    """
    radius = config.kernel_pad_to // 2 + 1
    lo1, lo2 = config.stage1.resize_range[0], config.stage2.resize_range[0]
    return max(radius, math.ceil(radius / lo1), radius * config.scale, math.ceil(config.scale / lo2))


def prepare_hq(
    rgb8: np.ndarray, image_id: str, seed: int, config: DegradationConfig, crop: int | None
) -> tuple[np.ndarray, dict, list[str]]:
    """Crop an HQ image for degradation.

    Args:
        rgb8: ``(H, W, 3)`` uint8.
        image_id: the image's id (the crop position is drawn from its own stream).
        seed: run seed.
        config: degradation settings (scale, minimum size).
        crop: square crop size (a multiple of ``config.scale``), or ``None`` for the whole image,
            mod-cropped to a multiple of the scale so that LQ * scale == HQ.

    Returns:
        The HQ pixels, ``{"top", "left", "height", "width"}`` of the region used, and warnings.

    Raises:
        BadImageError: the image is smaller than the crop or than :func:`min_hq_size`.
    """
    h, w = rgb8.shape[:2]
    s, warnings = config.scale, []
    if crop is not None:
        if min(h, w) < crop:
            raise BadImageError(f"image {w}x{h} is smaller than the crop size {crop}")
        rng = image_rng(seed, image_id, STREAM_CROP)
        top, left = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
        ch, cw = crop, crop
    else:
        top, left, ch, cw = 0, 0, h - h % s, w - w % s
        if (ch, cw) != (h, w):
            warnings.append(f"cropped {w}x{h} to {cw}x{ch} (a multiple of scale {s})")
    if min(ch, cw) < min_hq_size(config):
        raise BadImageError(
            f"image {cw}x{ch} is smaller than the minimum {min_hq_size(config)} px for this config"
        )
    box = {"top": top, "left": left, "height": ch, "width": cw}
    return np.ascontiguousarray(rgb8[top : top + ch, left : left + cw]), box, warnings
