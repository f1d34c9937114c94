"""Run a pipeline over files and folders: same-stem PNGs out, done outputs skipped, bad inputs reported."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from pasd.utils.image_io import DEFAULT_ALPHA, AlphaPolicy, UnreadableImageError, is_image_file, read_image
from pasd.utils.image_io import IMAGE_SUFFIXES as IMAGE_SUFFIXES  # re-exported: older imports
from pasd.utils.io import atomic_write_bytes

logger = logging.getLogger(__name__)


@dataclass
class BatchSummary:
    """What :func:`run_batch` did: outputs written, skipped (already done) and failed inputs with reasons."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def collect_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Image files from files and folders (a folder's images sorted by name, not recursive).

    Raises:
        FileNotFoundError: If an input does not exist.
        ValueError: If two inputs share a stem (their outputs would collide).
    """
    files: list[Path] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if is_image_file(f))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"input {p} does not exist")
    stems: dict[str, Path] = {}
    for f in files:
        if f.stem in stems:
            raise ValueError(
                f"inputs {stems[f.stem]} and {f} share the stem {f.stem!r}; outputs would collide"
            )
        stems[f.stem] = f
    return files


def run_batch(
    restore: Callable[[np.ndarray, torch.Generator], np.ndarray],
    files: list[Path],
    out_dir: Path,
    seed: int = 0,
    progress: bool = True,
    alpha: AlphaPolicy = DEFAULT_ALPHA,
) -> BatchSummary:
    """Write ``out_dir/<stem>.png`` = ``restore(rgb_uint8, generator)`` for each file not done yet.

    Every image gets a fresh CPU generator seeded with ``seed``, so an output does not depend on
    which other images ran before it (reruns and subsets give the same bytes). Inputs are decoded
    by :func:`pasd.utils.image_io.read_image` (``alpha``: its translucent-alpha policy), as in
    every other command.
    """
    from tqdm.auto import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = BatchSummary()
    for path in tqdm(files, desc="images", disable=not progress):
        dest = out_dir / f"{path.stem}.png"
        if dest.is_file():
            summary.skipped.append(dest)
            continue
        try:
            decoded = read_image(path, alpha)
        except UnreadableImageError as exc:
            logger.warning("skipping unreadable input %s: %s", path, exc)
            summary.failed.append((path, f"unreadable: {exc}"))
            continue
        for note in decoded.notes:
            logger.info("%s: %s", path, note)
        rgb = decoded.pixels
        out = restore(rgb, torch.Generator("cpu").manual_seed(seed))
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="PNG")
        atomic_write_bytes(dest, buf.getvalue())
        summary.written.append(dest)
    return summary
