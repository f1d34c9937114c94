"""Build a synthetic LQ test set from an HQ folder: ``LQ/*.png`` (+ ``HQ/*.png``) and ``manifest.json``.

Reproducible (each image depends only on (seed, image id)), resumable (a rerun skips images
whose LQ exists and whose manifest entry is complete), and robust: a bad input is converted with
a warning or skipped with a reason in the manifest, never a crash mid-run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from pasd.degradation.config import DegradationConfig
from pasd.degradation.image_io import BadImageError, list_images
from pasd.degradation.manifest import (
    MANIFEST_NAME,
    load_manifest,
    new_manifest,
    settings_diff,
    write_manifest,
)
from pasd.degradation.worker import SynthTask, init_worker, run_task
from pasd.utils.image_io import DEFAULT_ALPHA, IMAGE_SUFFIXES, AlphaPolicy, check_alpha_policy

logger = logging.getLogger(__name__)

#: rewrite the manifest at least this often (seconds) so an interrupted run keeps its records
FLUSH_EVERY_S = 10.0


@dataclass
class SynthReport:
    """What a :func:`synthesize_folder` run did."""

    out_dir: Path
    done: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def synthesize_folder(
    hq_dir: str | Path,
    out_dir: str | Path,
    config: DegradationConfig,
    seed: int = 0,
    crop: int | None = None,
    workers: int = 1,
    progress: bool = True,
    alpha: AlphaPolicy = DEFAULT_ALPHA,
) -> SynthReport:
    """Degrade every image under ``hq_dir`` into ``out_dir``.

    Args:
        hq_dir: folder of HQ images (searched recursively; ids are relative paths without suffix).
        out_dir: output folder; ``LQ/<id>.png``, ``HQ/<id>.png`` (when the HQ was cropped) and
            ``manifest.json`` (config, seed, versions, per-image parameters and warnings).
        config: degradation settings, with the wanted scale.
        seed: run seed; with the image id it fixes all of an image's randomness.
        crop: square HQ crop size (a multiple of the scale) or ``None`` for whole images.
        workers: processes (1 runs in this process). The output does not depend on it.
        progress: show a progress bar.
        alpha: what to do with translucent HQ alpha channels (:mod:`pasd.utils.image_io`);
            by default such an image is skipped with the reason in the manifest.

    Returns:
        A :class:`SynthReport`.

    Raises:
        FileNotFoundError: ``hq_dir`` missing.
        ValueError: bad ``crop``/``workers``, no images, or ``out_dir`` made with other settings.
    """
    hq_dir, out_dir = Path(hq_dir), Path(out_dir)
    if not hq_dir.is_dir():
        raise FileNotFoundError(f"HQ folder not found: {hq_dir}")
    if crop is not None and (crop <= 0 or crop % config.scale):
        raise ValueError(f"crop must be a positive multiple of scale {config.scale}, got {crop}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    check_alpha_policy(alpha)
    if hq_dir.resolve() == out_dir.resolve() or hq_dir.resolve() in out_dir.resolve().parents:
        raise ValueError(f"--out {out_dir} must not be inside --hq {hq_dir}")
    images = list_images(hq_dir)
    if not images:
        raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {hq_dir}")

    manifest = new_manifest(config, seed, crop, alpha=alpha, hq_dir=hq_dir)
    old = load_manifest(out_dir / MANIFEST_NAME)
    if old is not None:
        if old["settings"] != manifest["settings"]:
            diff = "; ".join(settings_diff(old["settings"], manifest["settings"]))
            raise ValueError(f"{out_dir} holds a set made with other settings ({diff}); use a new --out")
        manifest["images"] = old["images"]
    report = SynthReport(out_dir=out_dir)
    tasks, seen = [], set()
    for image_id, path in images:
        if image_id in seen:  # a.png and a.jpg: the id (hence the LQ name) would collide
            report.skipped[str(path)] = f"duplicate image id {image_id!r}"
            manifest["duplicates"][path.relative_to(hq_dir).as_posix()] = report.skipped[str(path)]
            continue
        seen.add(image_id)
        entry = manifest["images"].get(image_id)
        if entry and entry.get("status") == "ok" and (out_dir / entry["lq"]).is_file():
            report.reused.append(image_id)
            continue
        rel = path.relative_to(hq_dir).as_posix()
        tasks.append(SynthTask(image_id, str(path), rel, str(out_dir), config, seed, crop, alpha))
    logger.info("%d images to degrade, %d already done", len(tasks), len(report.reused))

    last_flush = time.monotonic()
    try:
        for entry_id, entry in tqdm(
            _run(tasks, workers), total=len(tasks), disable=not progress, desc="synth"
        ):
            manifest["images"][entry_id] = entry
            if entry["status"] == "ok":
                report.done.append(entry_id)
            else:
                report.skipped[entry_id] = entry["reason"]
                logger.warning("skipped %s: %s", entry_id, entry["reason"])
            if time.monotonic() - last_flush > FLUSH_EVERY_S:
                write_manifest(out_dir / MANIFEST_NAME, manifest)
                last_flush = time.monotonic()
    finally:  # also on Ctrl-C: keep the record of every image finished so far
        write_manifest(out_dir / MANIFEST_NAME, manifest)
    return report


def _start_method() -> str:
    """fork where it is safe (Linux, CUDA untouched; as torch's DataLoader does), else spawn.

    fork starts workers in milliseconds; spawn re-imports torch and basicsr in each (seconds).
    CUDA cannot be used in a forked child once the parent initialised it.
    """
    import torch

    if sys.platform.startswith("linux") and not torch.cuda.is_initialized():
        return "fork"
    return "spawn"


def _run(tasks: list[SynthTask], workers: int):
    """Yield ``(id, manifest entry)`` per task; per-image failures become 'skipped' entries."""
    if workers == 1 or len(tasks) <= 1:
        init_worker(threads=None)
        for task in tasks:
            yield task.image_id, run_task(task)
        return
    ctx = multiprocessing.get_context(_start_method())
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker, initargs=(threads,)) as pool:
        # map keeps input order, so the manifest fills in the same order whatever the worker count
        yield from zip((t.image_id for t in tasks), pool.map(run_task, tasks, chunksize=1))


__all__ = ["BadImageError", "SynthReport", "synthesize_folder"]
