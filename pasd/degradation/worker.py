"""One image of a synth run: read, crop, sample, degrade, write. Runs in worker processes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pasd.degradation.config import DegradationConfig
from pasd.degradation.image_io import BadImageError, read_rgb8, to_rgb8, to_tensor, write_png
from pasd.degradation.pipeline import DegradationPipeline
from pasd.degradation.prepare import prepare_hq
from pasd.degradation.sampling import image_rng, sample_params

logger = logging.getLogger(__name__)
_PIPELINES: dict[DegradationConfig, DegradationPipeline] = {}


@dataclass(frozen=True)
class SynthTask:
    """Everything a worker needs for one image (picklable)."""

    image_id: str
    path: str
    rel_path: str
    out_dir: str
    config: DegradationConfig
    seed: int
    crop: int | None
    alpha: str = "error"


def init_worker(threads: int | None) -> None:
    """Per-process setup; ``threads`` caps torch's intra-op threads (workers share the cores)."""
    if threads is not None:
        torch.set_num_threads(threads)


def _pipeline(config: DegradationConfig) -> DegradationPipeline:
    if config not in _PIPELINES:
        _PIPELINES[config] = DegradationPipeline(config)
    return _PIPELINES[config]


def run_task(task: SynthTask) -> dict[str, Any]:
    """Degrade one image and write its PNG(s).

    Returns:
        Its manifest entry: ``status`` ``ok`` (with ``lq``, ``hq`` (None: the source is the HQ), ``crop``, ``params``,
        ``warnings``) or ``skipped`` (with ``reason``). Never raises for a bad image.
    """
    entry: dict[str, Any] = {"source": task.rel_path, "warnings": []}
    try:
        rgb8, warnings = read_rgb8(task.path, task.alpha)  # type: ignore[arg-type]
        hq8, box, crop_warnings = prepare_hq(rgb8, task.image_id, task.seed, task.config, task.crop)
        warnings += crop_warnings
        params = sample_params(task.config, image_rng(task.seed, task.image_id))
        lq = _pipeline(task.config)(to_tensor(hq8)[None], [params])[0]
    except BadImageError as exc:
        return {**entry, "status": "skipped", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one broken image must not end a long run
        logger.exception("degrading %s failed", task.path)
        return {**entry, "status": "skipped", "reason": f"error: {type(exc).__name__}: {exc}"}
    for w in warnings:
        logger.warning("%s: %s", task.rel_path, w)
    out = Path(task.out_dir)
    lq_rel = f"LQ/{task.image_id}.png"
    # The HQ is written only when it differs from the source file (cropped or converted);
    # otherwise "hq" is None and the source is the HQ.
    hq_rel = None
    if task.crop is not None or warnings:
        hq_rel = f"HQ/{task.image_id}.png"
        write_png(out / hq_rel, hq8)
    write_png(out / lq_rel, to_rgb8(lq))
    return {
        **entry,
        "status": "ok",
        "lq": lq_rel,
        "hq": hq_rel,
        "crop": box,
        "params": params,
        "warnings": warnings,
    }
