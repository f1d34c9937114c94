"""Blind re-encoding: every image of a study becomes a metadata-free PNG with one fixed timestamp.

Method outputs carry tells that have nothing to do with their pixels: the file format (one method
writes JPEG), text chunks (``Software: Real-ESRGAN``), EXIF, ICC profiles, compression settings
and file times (one method's outputs share a date; decoys are dated today). A rater's browser, or a
script, can read all of them. So ``study create`` decodes each image and writes its pixels again
through one encoder with one setting, drops every ancillary field, and stamps one fixed time;
decoding the result gives back exactly the decoded source pixels (checked on every write).
A PNG's length is its compressed pixels' length, so a detailed output makes a bigger file than a
smooth one and every response's Content-Length would say which option is which: the options of one
trial are then padded to one byte length (:func:`equalize_sizes`).

Decoding policy (what "the pixels" are): the suite's one reader, :mod:`pasd.utils.image_io`. 8-bit
RGB; grey and palette images are expanded to RGB, 16-bit samples are rounded to 8 bits
(``round(v / 257)``, grey and colour alike), EXIF orientation is not applied (methods read the stored
pixel array), and transparent pixels are composited over the mid-grey page surround (a warning says
so).
"""

from __future__ import annotations

import io
import logging
import os
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from pasd.utils.io import atomic_write_bytes

logger = logging.getLogger(__name__)

#: every study file gets this modification time (2000-01-01T00:00:00Z), whatever its source
FIXED_MTIME = 946_684_800
#: one encoder setting for every file, so file sizes depend on pixels only
PNG_COMPRESS_LEVEL = 6
#: what transparent pixels are composited over: the trial page's grey surround
SURROUND = 128
#: the chunk that pads a file to its trial's length. Its case bits (PNG spec 5.4): ancillary,
#: private, reserved, safe-to-copy; decoders skip ancillary chunks they do not know.
PAD_CHUNK = b"paDd"
_IEND = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def decode_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file to an ``(H, W, 3)`` uint8 array by the policy in the module docstring.

    The suite's one reader (:func:`pasd.utils.image_io.read_image`) does the decoding, with the
    page's grey as the matte for transparent pixels.

    Raises:
        ValueError: the file is not a readable image (``cannot read image ...``).
    """
    from pasd.utils.image_io import UnreadableImageError, read_image

    try:
        img = read_image(path, matte=SURROUND)
    except UnreadableImageError as exc:
        raise ValueError(f"cannot read image {path}: {exc}") from exc
    if any(n.startswith("alpha composited") for n in img.notes):
        logger.warning("%s has transparent pixels; composited over grey %d", path, SURROUND)
    return img.pixels


def encode_png(pixels: np.ndarray) -> bytes:
    """``pixels`` ((H, W, 3) uint8) as PNG bytes with no ancillary chunks (no text, time, gamma, ICC)."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8 pixels, got {pixels.shape} {pixels.dtype}")
    buf = io.BytesIO()
    # a fresh image from the array has an empty .info, so PIL writes only IHDR, IDAT and IEND
    Image.fromarray(pixels, "RGB").save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def write_blind(pixels: np.ndarray, dst: str | Path) -> Path:
    """Write ``pixels`` to ``dst`` (a ``.png`` path) blind: metadata-free PNG, fixed mtime, verified.

    Returns:
        ``dst``.

    Raises:
        RuntimeError: decoding the written file does not give back ``pixels`` (never expected).
    """
    dst = Path(dst)
    data = encode_png(pixels)
    with Image.open(io.BytesIO(data)) as check:
        if not np.array_equal(np.asarray(check.convert("RGB")), pixels):
            raise RuntimeError(f"re-encoding {dst} changed its pixels")
    atomic_write_bytes(dst, data)
    os.utime(dst, (FIXED_MTIME, FIXED_MTIME))
    return dst


def equalize_sizes(paths: Sequence[str | Path]) -> int:
    """Pad the blind PNGs ``paths`` (the options of one trial) to one byte length; return it.

    Each file gets one ``paDd`` chunk of zeros before its ``IEND``, the longest file too, so every
    option has the same chunk layout and the same length; the pixels stay as they are (checked).

    Raises:
        ValueError: a file is not a PNG written by :func:`write_blind`.
    """
    files = [Path(p) for p in paths]
    blobs = [f.read_bytes() for f in files]
    for f, data in zip(files, blobs):
        if not (data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(_IEND)):
            raise ValueError(f"{f} is not a blind study PNG")
    target = max(map(len, blobs)) + 12  # 12: a chunk's length, type and CRC fields
    for f, data in zip(files, blobs):
        fill = bytes(target - len(data) - 12)
        chunk = (
            struct.pack(">I", len(fill)) + PAD_CHUNK + fill + struct.pack(">I", zlib.crc32(PAD_CHUNK + fill))
        )
        padded = data[: -len(_IEND)] + chunk + _IEND
        with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(padded)) as after:
            if not np.array_equal(np.asarray(before.convert("RGB")), np.asarray(after.convert("RGB"))):
                raise RuntimeError(f"padding {f} changed its pixels")
        atomic_write_bytes(f, padded)
        os.utime(f, (FIXED_MTIME, FIXED_MTIME))
    return target


def reencode(src: str | Path, dst: str | Path) -> tuple[int, int]:
    """Decode ``src`` and write it blind to ``dst``; return its (width, height).

    Raises:
        ValueError: ``src`` is not a readable image.
    """
    pixels = decode_rgb(src)
    write_blind(pixels, dst)
    return pixels.shape[1], pixels.shape[0]
