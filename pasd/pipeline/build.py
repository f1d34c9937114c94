"""Build a ready-to-run :class:`PASDPipeline` from paths and options (shared by the CLI and the adapters)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype | None] = {"auto": None, "fp32": torch.float32, "fp16": torch.float16,
                                         "bf16": torch.bfloat16}  # fmt: skip


def parse_dtype(name: str, device: str) -> torch.dtype:
    """``auto`` -> fp16 on CUDA, fp32 elsewhere (the official release runs fp16); else the named dtype.

    Raises:
        ValueError: For an unknown name.
    """
    if name not in DTYPES:
        raise ValueError(f"dtype {name!r} is not one of {sorted(DTYPES)}")
    dtype = DTYPES[name]
    if dtype is None:
        return torch.float16 if str(device).startswith("cuda") else torch.float32
    return dtype


def load_pipeline(
    base_dir: str | Path,
    pasd_dir: str | Path,
    device: str = "cpu",
    dtype: str = "auto",
    style_model: str | Path | None = None,
    style_alpha: float = 1.0,
    lora: str | Path | None = None,
    lora_multiplier: float = 0.6,
    lora_semantics: str = "official",
    lcm_lora: str | Path | None = None,
    zero_snr: bool = False,
    scheduler_dir: str | Path | None = None,
):
    """Load a :class:`~pasd.pipeline.PASDPipeline`, personalize it, move it to ``device``/``dtype``.

    Weights load directly in ``dtype``; base-model blending is computed in float32 per tensor.
    ``lora_semantics``: ``"official"`` (PASD's merge, ``.alpha`` ignored) or ``"diffusers"``.

    Returns:
        The pipeline, progress bars left on.
    """
    from pasd.pipeline.personalize import enable_lcm_lora, merge_lora, swap_base_model
    from pasd.pipeline.pipeline import PASDPipeline

    torch_dtype = parse_dtype(dtype, device)
    # the official script personalizes the float32 models and casts afterwards; do the same so
    # blended / merged weights are rounded to fp16 once
    personalize = style_model is not None or lora is not None
    load_dtype = torch.float32 if personalize else torch_dtype
    pipe = PASDPipeline.from_pretrained(
        base_dir, pasd_dir, torch_dtype=load_dtype, zero_snr=zero_snr, scheduler_dir=scheduler_dir
    )
    if style_model is not None:
        swap_base_model(pipe, style_model, alpha=style_alpha)
    if lora is not None:
        merge_lora(pipe, lora, multiplier=lora_multiplier, semantics=lora_semantics)
    if lcm_lora is not None:
        enable_lcm_lora(pipe, lcm_lora)
    if load_dtype != torch_dtype:
        return pipe.to(device, torch_dtype)
    return pipe.to(device)  # loaded in torch_dtype: diffusers warns when casting afterwards


def ensure_tiny_models(root: str | Path | None = None, seed: int = 0) -> tuple[Path, Path]:
    """The tiny SD + tiny PASD folders under ``$PASD_BENCH_HOME/tiny/`` (built once, atomically).

    Both folders are written into a temporary sibling and renamed into place together, so a
    crash or a concurrent build never leaves a half-written pair.

    Returns:
        ``(sd_dir, pasd_dir)``.
    """
    from pasd.hub import bench_home
    from pasd.tiny import save_tiny_pasd, save_tiny_sd

    target = Path(root) if root is not None else bench_home() / "tiny" / f"pasd-seed{seed}"
    sd_dir, pasd_dir = target / "sd15", target / "pasd"
    if (sd_dir / "model_index.json").is_file() and (pasd_dir / "controlnet" / "config.json").is_file():
        return sd_dir, pasd_dir
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        save_tiny_sd(tmp / "sd15", seed=seed)
        save_tiny_pasd(tmp / "pasd", seed=seed, sd_dir=tmp / "sd15")
        if target.exists():  # an incomplete earlier attempt (complete ones returned above)
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.rename(tmp, target)
        except OSError:  # another process won the race; its copy is identical
            logger.debug("tiny models appeared concurrently at %s", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("built tiny PASD models in %s", target)
    return sd_dir, pasd_dir
