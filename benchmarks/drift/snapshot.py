"""A snapshot of a results folder: every cell, per-image value, image hash and run record.

The same structure is a golden file (``drift record``) and the "now" side of a check or a
diff, so one comparison serves both. Images are identified by their *decoded pixels*
(SHA-256 of shape + bytes, as the output cache does) plus an 8x8 area-average thumbnail that
tolerant tiers compare; the PNG file's own SHA-256 is recorded too, for provenance only.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.drift.records import RunRecord, read_run

logger = logging.getLogger(__name__)

FORMAT = "pasd-bench-golden/1"
THUMB = 8
SEP = " / "


def cell_key(*parts: str) -> str:
    """``"method / dataset / metric"`` (the identity of a cell in snapshots and reports)."""
    return SEP.join(parts)


def seeded(key: str, seed: int) -> str:
    """``key`` for seed 0 (every golden file written before seeds were kept apart), else ``key / seedN``."""
    return key if int(seed) == 0 else f"{key}{SEP}seed{int(seed)}"


def split_key(key: str) -> list[str]:
    return key.split(SEP)


def image_record(path: Path) -> dict[str, Any]:
    """Pixel hash, file hash, size and thumbnail of one image file.

    Raises:
        benchmarks.metrics.images.UnreadableImageError: the file cannot be decoded.
    """
    import cv2

    from benchmarks.metrics.images import read_image

    data = Path(path).read_bytes()
    px = read_image(path, alpha="drop").pixels
    digest = hashlib.sha256(str(px.shape).encode())
    digest.update(np.ascontiguousarray(px).tobytes())
    thumb = cv2.resize(px.astype(np.float32), (THUMB, THUMB), interpolation=cv2.INTER_AREA)
    return {
        "pixels": digest.hexdigest(),
        "file": hashlib.sha256(data).hexdigest(),
        "size": [int(px.shape[1]), int(px.shape[0])],
        # one string, not a JSON list: 192 numbers per image would put 192 lines per image in the file
        "thumb": " ".join(f"{v:.3f}" for v in thumb.reshape(-1)),
    }


def _images(folder: Path, wanted: set[str] | None) -> dict[str, dict[str, Any]]:
    from benchmarks.metrics.images import IMAGE_EXTENSIONS

    out: dict[str, dict[str, Any]] = {}
    if not folder.is_dir():
        return out
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in IMAGE_EXTENSIONS or (wanted is not None and p.stem not in wanted):
            continue
        try:
            out[p.stem] = image_record(p)
        except ValueError as exc:  # an unreadable file is recorded as such, so a check reports it
            out[p.stem] = {"error": str(exc)}
    return out


def _run_entry(rec: RunRecord) -> dict[str, Any]:
    return {
        "preset": rec.preset, "created_at": rec.created_at, "git_revision": rec.git_revision,
        "device": rec.device, "protocol": rec.protocol, "weights": rec.weights, "env": rec.env,
        "methods": rec.config.get("methods", []),
    }  # fmt: skip


def take_snapshot(results_dir: str | Path, run_id: int | None = None, images: bool = True) -> dict[str, Any]:
    """Everything a drift check compares, read from a results folder.

    Args:
        results_dir: a results folder (or its ``results.sqlite``).
        run_id: one run; ``None`` = the latest value of every cell across runs (as ``tables``).
        images: hash output and input images (off: numbers and records only).

    Returns:
        A JSON-serialisable dict (``FORMAT``): ``runs``, ``cells``, ``outputs``, ``inputs``.

    Raises:
        FileNotFoundError: no results database. KeyError: unknown ``run_id``.
        ValueError: the store holds no runs or no cells.
    """
    from benchmarks.results import ResultsStore

    with ResultsStore(results_dir, create=False) as store:
        if store.latest_run_id() is None:
            raise ValueError(f"{results_dir}: the results store holds no runs")
        if run_id is not None:
            store.run(run_id)  # KeyError naming the known runs
        sl = store.set_level(run_id)
        pi = store.per_image(run_id)
        dirs = store.image_dirs(run_id)
        runs = {int(r): read_run(store, int(r)) for r in sorted(set(sl.run_id) | set(dirs.run_id))}
    if sl.empty:
        raise ValueError(
            f"{results_dir}: no metric cells recorded" + (f" for run {run_id}" if run_id else "")
        )
    per_image: dict[tuple[str, str, str, int], dict[str, float]] = {}
    for row in pi.itertuples(index=False):
        per_image.setdefault((row.method, row.dataset, row.metric, int(row.seed)), {})[row.image] = float(
            row.value
        )
    cells: dict[str, Any] = {}
    for row in sl.itertuples(index=False):
        cells[seeded(cell_key(row.method, row.dataset, row.metric), row.seed)] = {
            "run": int(row.run_id), "status": row.status,
            "value": None if row.status != "ok" else float(row.value),
            "ci": None if pd.isna(row.ci_low) else [float(row.ci_low), float(row.ci_high)],
            "n": None if pd.isna(row.n) else int(row.n),
            "note": row.note, "per_image": per_image.get((row.method, row.dataset, row.metric, int(row.seed)), {}),
        }  # fmt: skip
    scored: dict[tuple[str, str, int], set[str]] = {}
    for (method, dataset, _, seed), vals in per_image.items():
        scored.setdefault((method, dataset, seed), set()).update(vals)
    by_dataset: dict[str, set[str]] = {}
    for (_, dataset, _), ids in scored.items():
        by_dataset.setdefault(dataset, set()).update(ids)
    outputs: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    for row in dirs.itertuples(index=False):
        folder = Path(row.path)
        if row.role == "output":
            wanted = scored.get((row.method, row.dataset, int(row.seed)))
            outputs[seeded(cell_key(row.method, row.dataset), row.seed)] = {
                "run": int(row.run_id), "dir": str(folder), "images": _images(folder, wanted) if images else {},
            }  # fmt: skip
        else:
            entry = inputs.setdefault(row.dataset, {})
            entry[row.role] = {
                "run": int(row.run_id), "dir": str(folder),
                "images": _images(folder, by_dataset.get(row.dataset)) if images else {},
            }  # fmt: skip
    return {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": {"results": str(Path(results_dir).resolve()), "run": run_id},
        "runs": {str(k): _run_entry(v) for k, v in runs.items()},
        "cells": cells,
        "outputs": outputs,
        "inputs": inputs,
    }


def load_snapshot(path: str | Path) -> dict[str, Any]:
    """Read a golden file.

    Raises:
        FileNotFoundError: no file. ValueError: not JSON, or not a pasd-bench golden file.
    """
    import json

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no golden file at {path} (make one with `pasd-bench drift record`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON golden file ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f"{path}: format {got!r}, expected {FORMAT!r} (a file written by `pasd-bench drift record`)"
        )
    for key in ("runs", "cells", "outputs", "inputs"):
        if not isinstance(data.get(key), dict):
            raise ValueError(f"{path}: golden file has no {key!r} table")
    return data
