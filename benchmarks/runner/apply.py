"""Run any registered method on image files: the runner's output cache without a preset or metrics.

Outputs go to ``OUT/<method>-<cache key>/[seed<N>/]<stem>.png``, each with the runner's
``<stem>.input`` sidecar (SHA-256 of the input pixels), plus ``OUT/<method>-<key>/method.json``
recording the method's effective options. The folder is named by the cache key, so a rerun with
other params writes next to, never over, earlier outputs; a rerun with the same params skips
every image whose output and sidecar match its input. Stochastic methods get a ``seed<N>``
level (deterministic ones ignore the seed).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baselines.base import Method
from pasd.utils.devices import check_device as _check_device

logger = logging.getLogger(__name__)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class ApplySummary:
    """What :func:`apply_method` did: outputs written, inputs already done, failures with reasons."""

    out_dir: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def parse_params(pairs: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings to a dict; values are read as TOML (``4``, ``0.5``, ``true``, ``"x"``),
    anything that is not TOML is kept as a plain string (``prompt=a white cat``).

    Raises:
        ValueError: A pair without ``=``, an empty key, or a key given twice.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: expected KEY=VALUE")
        if key in out:
            raise ValueError(f"--param {key} is given twice")
        try:
            out[key] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key] = raw
    return out


#: the suite's one device check (older import path)
check_device = _check_device


def output_dir(out: str | Path, method: Method, seed: int) -> Path:
    """Where ``method``'s outputs go under ``out`` (named by its cache key; seed level if stochastic)."""
    folder = Path(out) / f"{method.name}-{method.cache_key()}"
    return folder / f"seed{seed}" if method.stochastic else folder


def apply_method(
    method: Method, files: list[Path], out: str | Path, seed: int = 0, progress: bool = True
) -> ApplySummary:
    """Write ``method``'s output for every file not done yet; one bad image never stops the rest.

    The method is loaded first, so missing or broken weights fail before any image is read.

    Args:
        method: A created method (its options fix the output folder).
        files: Input images; their stems name the outputs (they must be unique).
        out: The ``--out`` folder.
        seed: Seed for stochastic methods (the same seed gives the same bytes).
        progress: Show a progress bar.

    Returns:
        The summary; ``failed`` holds ``(input, reason)`` pairs.
    """
    from tqdm.auto import tqdm

    from benchmarks.datasets.base import read_rgb
    from benchmarks.runner.output_cache import OutputCache, input_digest
    from pasd.utils.io import atomic_write_text

    method.ensure_loaded()
    dest = output_dir(out, method, seed)
    cache = OutputCache.in_folder(dest)
    summary = ApplySummary(dest)
    record = {
        "method": method.name, "label": method.label, "version": method.version, "cache_key": method.cache_key(),
        "options": method.options, "stochastic": method.stochastic,
    }  # fmt: skip
    info = dest.parent / "method.json" if method.stochastic else dest / "method.json"
    info.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(info, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    run_seed = seed if method.stochastic else None
    for path in tqdm(files, desc=method.label, unit="image", disable=not progress):
        try:
            rgb = read_rgb(path)
            digest = input_digest(rgb)
            if cache.has(path.stem, digest):
                summary.skipped.append(cache.path(path.stem))
                continue
            result = method.process_item(rgb, run_seed, names=(path.stem,))
            summary.written.append(cache.put(path.stem, digest, result))
        except Exception as exc:  # one bad image (or a method crash on it) must not end the batch
            reason = f"{type(exc).__name__}: {exc}"
            logger.info("%s failed on %s: %s", method.name, path, reason)  # the caller reports failures
            summary.failed.append((path, reason))
    return summary
