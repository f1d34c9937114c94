"""Decoding for the metric engine: the suite's one reader, :mod:`pasd.utils.image_io`.

Kept as a module so ``from benchmarks.metrics.images import read_image`` keeps working; the
rules (gray, palette, alpha policies, 16-bit ``round(v / 257)``) are documented there.
"""

from __future__ import annotations

from pasd.utils.image_io import (
    ALPHA_POLICIES,
    IMAGE_SUFFIXES,
    AlphaPolicy,
    DecodedImage,
    UnreadableImageError,
    read_image,
)

#: the suite-wide image suffixes (older name)
IMAGE_EXTENSIONS = IMAGE_SUFFIXES

__all__ = [
    "ALPHA_POLICIES",
    "IMAGE_EXTENSIONS",
    "AlphaPolicy",
    "DecodedImage",
    "UnreadableImageError",
    "read_image",
]
