"""The PASD training loop on ``accelerate``: one process on a CPU, or many GPUs/nodes under
``accelerate launch`` / ``torchrun``, with the same code.

Only the main process writes logs, images and model files (accelerate also writes each process's
RNG state into a checkpoint). Gradient accumulation is accelerate's, counted in micro-batches
(not reset at epoch ends), so a step is the same micro-batches whatever the epoch length.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from pasd.training.checkpoint import (
    CheckpointManager,
    clean_partials,
    latest_checkpoint,
    read_state,
    resolve_resume,
)
from pasd.training.config import RESUMABLE_CHANGES, TrainConfig
from pasd.training.validation import MetricFn

logger = logging.getLogger(__name__)

CONFIG_FILE = "train_config.json"
LOG_FILE = "train_log.csv"
VAL_LOG_FILE = "validation.csv"
_DTYPES = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass
class TrainResult:
    """What a call to :func:`train` did (as seen by the main process)."""

    out_dir: Path
    start_step: int
    step: int
    last_checkpoint: Path | None
    losses: list[float] = field(default_factory=list)
    main_process: bool = True


def check_resume_config(saved: Mapping[str, Any], cfg: TrainConfig) -> None:
    """Refuse to resume with settings that change what a step computes.

    Raises:
        ValueError: Naming each changed setting with its old and new value.
    """
    new = cfg.as_dict()
    changed = [
        f"{k}: {saved[k]!r} -> {new[k]!r}"
        for k in new
        if k in saved and k not in (*RESUMABLE_CHANGES, "source") and saved[k] != new[k]
    ]
    if changed:
        raise ValueError(
            "cannot resume with changed training settings (start a new --out, or restore them): "
            + "; ".join(changed)
        )


def _build_optimizer(cfg: TrainConfig, module: torch.nn.Module, num_processes: int):
    from diffusers.optimization import get_scheduler

    params = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        params, lr=cfg.learning_rate, betas=(cfg.adam_beta1, cfg.adam_beta2),
        weight_decay=cfg.weight_decay, eps=cfg.adam_epsilon,
    )  # fmt: skip
    # accelerate steps a prepared scheduler once per process per optimizer step
    scheduler = get_scheduler(
        cfg.lr_scheduler, optimizer=optimizer, num_warmup_steps=cfg.lr_warmup_steps * num_processes,
        num_training_steps=cfg.max_steps * num_processes,
    )  # fmt: skip
    return optimizer, scheduler


def _accelerator(cfg: TrainConfig, out_dir: Path, cpu: bool):
    from accelerate import Accelerator
    from accelerate.utils import GradientAccumulationPlugin, ProjectConfiguration

    from pasd.training.tracking import tensorboard_available

    return Accelerator(
        gradient_accumulation_plugin=GradientAccumulationPlugin(
            num_steps=cfg.gradient_accumulation_steps, sync_with_dataloader=False
        ),
        mixed_precision=cfg.mixed_precision,
        cpu=cpu,
        log_with=["tensorboard"] if tensorboard_available() else None,
        project_config=ProjectConfiguration(
            project_dir=str(out_dir), logging_dir=str(out_dir / "tensorboard")
        ),
    )


def train(
    cfg: TrainConfig,
    out_dir: str | Path,
    resume: str | Path | None = None,
    metrics: Mapping[str, MetricFn] | None = None,
    cpu: bool = False,
    progress: bool = True,
) -> TrainResult:
    """Train PASD as ``cfg`` says, writing checkpoints, logs and validation images to ``out_dir``.

    Args:
        cfg: The settings (``cfg.data`` must name the HQ folders).
        out_dir: The run folder (``checkpoint-N/``, ``train_log.csv``, ``train_config.json``, ...).
        resume: ``"latest"`` (the newest checkpoint, or a fresh start if none), a checkpoint
            folder, or None (a fresh start; refused if ``out_dir`` already has checkpoints).
        metrics: Extra validation metrics, name -> fn(output, HQ) (PSNR is always computed).
        cpu: Force the CPU even when a GPU is visible.
        progress: Show a tqdm bar on the main process.

    Returns:
        :class:`TrainResult`.

    Raises:
        ValueError / FileNotFoundError: Unusable data, config or checkpoint (before any step).
        FloatingPointError: A non-finite loss (the last checkpoint is kept).
    """
    import json

    from tqdm.auto import tqdm

    from pasd.degradation.config import load_config
    from pasd.training.data import EpochSampler, TrainCollate, TrainPairs, scan_hq_folders
    from pasd.training.models import build_models
    from pasd.training.step import compute_losses
    from pasd.training.tracking import CSVLog, tracker_config
    from pasd.utils.io import atomic_write_json

    out = Path(out_dir)
    config_path = out / CONFIG_FILE
    resume_path = resolve_resume(out, resume)
    if resume_path is None and latest_checkpoint(out) is not None:
        raise ValueError(f"{out} already holds checkpoints; pass --resume latest to continue, or a new --out")
    if resume_path is not None and config_path.is_file():
        check_resume_config(json.loads(config_path.read_text(encoding="utf-8")), cfg)
    if resume_path is not None and int(read_state(resume_path)["step"]) >= cfg.max_steps:
        done = int(read_state(resume_path)["step"])
        logger.info("%s is at step %d >= max_steps %d: nothing to train", resume_path, done, cfg.max_steps)
        return TrainResult(out, done, done, resume_path, main_process=_is_main_process())
    # every input problem surfaces here, before the models are loaded
    items, report = scan_hq_folders(cfg.data, cfg.resolution)
    degradation = load_config(cfg.degradation)

    acc = _accelerator(cfg, out, cpu)
    if acc.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        clean_partials(out)
        atomic_write_json(config_path, cfg.as_dict())
    if cfg.allow_tf32:
        torch.backends.cuda.matmul.allow_tf32 = True
    world = acc.num_processes
    if len(items) < cfg.batch_size * world:
        raise ValueError(
            f"{len(items)} usable HQ images cannot fill one batch of {cfg.batch_size} on each of {world} processes"
        )
    weight_dtype = _DTYPES[acc.mixed_precision]
    with acc.main_process_first():  # the tiny base is built once, by the main process
        models = build_models(cfg, frozen_dtype=weight_dtype)
    dataset = TrainPairs(
        items, degradation, cfg.resolution, cfg.seed, cfg.hflip, cfg.null_prompt_prob,
        models.latent_shape_for(cfg.resolution), models.noise_scheduler.config.num_train_timesteps,
    )  # fmt: skip
    sampler = EpochSampler(len(dataset), cfg.seed)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=cfg.batch_size, sampler=sampler, collate_fn=TrainCollate(degradation),
        num_workers=cfg.num_workers, drop_last=True,
    )  # fmt: skip
    optimizer, lr_scheduler = _build_optimizer(cfg, models.module, world)
    module, optimizer, loader, lr_scheduler = acc.prepare(models.module, optimizer, loader, lr_scheduler)
    vae, text_encoder = models.vae.to(acc.device), models.text_encoder.to(acc.device)
    ckpt = CheckpointManager(acc, out, keep=cfg.keep_checkpoints)

    step, micro = 0, 0
    if resume_path is not None:
        state = ckpt.load(resume_path)
        step = int(state["step"])
        same = (state.get("num_processes"), state.get("batch_size")) == (world, cfg.batch_size)
        micro = step * cfg.gradient_accumulation_steps if same else 0
        if not same:
            epoch = int(state.get("samples", 0)) // max(1, len(loader) * cfg.batch_size * world)
            micro = (epoch + 1) * len(loader)
            logger.warning(
                "resuming with %d processes x batch %d (checkpoint: %s x %s): data continues at the start of "
                "epoch %d, not at the exact sample", world, cfg.batch_size, state.get("num_processes"),
                state.get("batch_size"), epoch + 1,
            )  # fmt: skip
    start_step = step

    validator = None
    if cfg.val_every and acc.is_main_process:
        validator = _make_validator(cfg, items, degradation, out, metrics)
    log = CSVLog(out / LOG_FILE, resume_step=step if resume_path else None) if acc.is_main_process else None
    val_log = CSVLog(out / VAL_LOG_FILE, resume_step=step if resume_path else None) if validator else None
    if acc.is_main_process:
        logger.info("%s; %d process(es), batch %d x accumulation %d", report.summary(), world, cfg.batch_size,
                    cfg.gradient_accumulation_steps)  # fmt: skip
    acc.init_trackers("pasd-train", config=tracker_config(cfg.as_dict()))  # no-op without TensorBoard

    def save(at: int) -> Path:
        samples = at * cfg.gradient_accumulation_steps * cfg.batch_size * world
        return ckpt.save(at, {
            "num_processes": world, "batch_size": cfg.batch_size, "samples": samples, "config": cfg.name,
            "switches": {"dr": cfg.dr, "paca": cfg.paca, "paca_type": cfg.paca_type, "use_rrdb": cfg.use_rrdb},
            "base": str(models.base_dir),
        })  # fmt: skip

    result = TrainResult(out, start_step, step, resume_path, main_process=acc.is_main_process)
    bar = tqdm(
        total=cfg.max_steps,
        initial=step,
        desc="train",
        unit="step",
        disable=not (progress and acc.is_main_process),
    )
    per_epoch = len(loader)
    acc_loss, acc_df, acc_dr, n_micro, t0 = 0.0, 0.0, 0.0, 0, time.perf_counter()
    module.train()
    while step < cfg.max_steps:
        epoch, skip = divmod(micro, per_epoch)
        epoch_loader = acc.skip_first_batches(loader, skip) if skip else loader
        epoch_loader.set_epoch(epoch)
        for batch in epoch_loader:
            with acc.accumulate(module):
                losses = compute_losses(
                    module, vae, text_encoder, models.tokenizer, models.noise_scheduler, batch,
                    use_dr=cfg.dr, dr_weight=cfg.dr_weight,
                )  # fmt: skip
                acc.backward(losses.loss)
                grad_norm = None
                if acc.sync_gradients:
                    grad_norm = acc.clip_grad_norm_(module.parameters(), cfg.max_grad_norm)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            micro += 1
            acc_loss += losses.loss.detach().float()
            acc_df += losses.diffusion.float()
            acc_dr += losses.dr.float()
            n_micro += 1
            if not acc.sync_gradients:
                continue
            step += 1
            # the mean over this step's micro-batches and all processes: the loss of the global batch
            means = acc.reduce(torch.stack([acc_loss, acc_df, acc_dr]) / n_micro, reduction="mean").tolist()
            acc_loss, acc_df, acc_dr, n_micro = 0.0, 0.0, 0.0, 0
            if not math.isfinite(means[0]):
                raise FloatingPointError(
                    f"non-finite loss {means[0]} at step {step}; last checkpoint: {latest_checkpoint(out)}"
                )
            result.losses.append(means[0])
            bar.update(1)
            bar.set_postfix(loss=f"{means[0]:.4f}")
            if step % cfg.log_every == 0 or step == cfg.max_steps:
                elapsed, t0 = time.perf_counter() - t0, time.perf_counter()
                row = {
                    "step": step, "epoch": epoch, "loss": means[0], "loss_diffusion": means[1], "loss_dr": means[2],
                    "lr": lr_scheduler.get_last_lr()[0], "grad_norm": float(grad_norm) if grad_norm is not None else "",
                    "seconds": elapsed,
                }  # fmt: skip
                if log is not None:
                    log.log(row)
                acc.log({k: v for k, v in row.items() if k != "step" and v != ""}, step=step)
            if cfg.val_every and step % cfg.val_every == 0:
                if validator is not None:
                    _validate(
                        validator, step, acc, acc.unwrap_model(module), models, vae, text_encoder, val_log
                    )
                acc.wait_for_everyone()
            if step % cfg.checkpoint_every == 0 or step == cfg.max_steps:
                result.last_checkpoint = save(step)
            if step >= cfg.max_steps:
                break
    bar.close()
    result.step = step
    if result.last_checkpoint is None or not result.last_checkpoint.name.endswith(f"-{step}"):
        result.last_checkpoint = latest_checkpoint(out)
    acc.end_training()
    return result


def _is_main_process() -> bool:
    from accelerate import PartialState

    return PartialState().is_main_process


def _make_validator(cfg: TrainConfig, items, degradation, out: Path, metrics):
    from pasd.training.data import scan_hq_folders
    from pasd.training.validation import Validator, build_validation_set

    if cfg.val_data:
        val_items, _ = scan_hq_folders([cfg.val_data], cfg.resolution)
    else:
        val_items = items
        logger.warning("no val_data given: validating on the first %d training images", cfg.val_images)
    images = build_validation_set(val_items, cfg.val_images, cfg.resolution, degradation, cfg.seed)
    return Validator(images, out, steps=cfg.val_steps, metrics=metrics, use_paca=cfg.paca, seed=cfg.seed)


def _validate(validator, step: int, acc, module, models, vae, text_encoder, val_log) -> None:
    try:
        with acc.autocast():
            scores = validator(step, module.unet, module.controlnet, vae, text_encoder, models.tokenizer,
                               models.noise_scheduler.config)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - a failed validation must not end a long run
        logger.warning("validation at step %d failed: %s", step, exc)
        return
    val_log.log({"step": step, **scores})
    acc.log(scores, step=step)
    logger.info("validation at step %d: %s", step, ", ".join(f"{k}={v:.4f}" for k, v in scores.items()))
