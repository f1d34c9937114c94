"""Gold (attention-check) options: obviously degraded copies of a real output.

A gold trial looks like any other trial (same number of options) but only one option is clean;
the rest are blurred, noised, pixelated or JPEG-crushed far beyond anything a method produces.
A rater who picks a decoy was not looking, so their votes can be flagged or excluded.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from benchmarks.study.encode import decode_rgb, write_blind


def _blur(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    # radius relative to size so the decoy is obvious at any resolution
    return img.filter(ImageFilter.GaussianBlur(radius=max(2.0, max(img.size) / 40)))


def _noise(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32)
    arr = arr + rng.normal(0.0, 60.0, size=arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _pixelate(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    small = img.resize((max(1, w // 12), max(1, h // 12)), Image.Resampling.BOX)
    return small.resize((w, h), Image.Resampling.NEAREST)


def _jpeg(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=2)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


#: decoy kind -> degradation; cycled when a study has more methods than kinds
DECOYS: dict[str, Callable[[Image.Image, np.random.Generator], Image.Image]] = {
    "blur": _blur,
    "noise": _noise,
    "pixelate": _pixelate,
    "jpeg": _jpeg,
}


def decoy_kinds(n: int) -> list[str]:
    """The ``n`` decoy kinds used for a gold trial, with a counter once kinds repeat."""
    names = list(DECOYS)
    return [names[i % len(names)] + ("" if i < len(names) else str(i // len(names))) for i in range(n)]


def write_decoys(src: Path, out_dir: Path, n: int, seed: int) -> dict[str, Path]:
    """Write ``n`` degraded copies of image ``src`` into ``out_dir``, encoded like every study image.

    Decoys go through :func:`benchmarks.study.encode.write_blind` (same format, no metadata, the
    same fixed file time), so nothing but their pixels tells them from the clean option.

    Args:
        src: the clean image (a real method output, already re-encoded into the study).
        out_dir: folder for ``decoy_<kind>.png`` files.
        n: number of decoys (number of methods minus one).
        seed: seeds the noise so a study rebuilds byte-identical.

    Returns:
        decoy kind -> written path.
    """
    rng = np.random.default_rng(seed)
    img = Image.fromarray(decode_rgb(src), "RGB")
    out: dict[str, Path] = {}
    for kind in decoy_kinds(n):
        fn = DECOYS[kind.rstrip("0123456789")]
        pixels = np.asarray(fn(img, rng).convert("RGB"), dtype=np.uint8)
        out[kind] = write_blind(pixels, out_dir / f"decoy_{kind}.png")
    return out
