"""``pasd-bench train``: train PASD (or a Table 3 variant) with accelerate; resumable.

Single process: ``pasd-bench train tiny --data DIR --out runs/tiny --max-steps 20``. Many GPUs or
nodes: the same command under ``accelerate launch -m benchmarks.cli train ...`` or
``torchrun --nproc_per_node 8 -m benchmarks.cli train ...``.
"""

from __future__ import annotations

from pathlib import Path

import click


def _overrides(
    data, val_data, max_steps, checkpoint_every, validate_every, mixed_precision, batch_size, sets
):
    from pasd.training import parse_override
    from pasd.training.data import parse_data_spec

    out = {}
    for item in sets:
        key, value = parse_override(item)
        out[key] = value
    if data:
        # absolute paths: the saved config must name the same folders when resumed from elsewhere
        specs = []
        for spec in data:
            folder, limit = parse_data_spec(spec)
            specs.append(str(folder.resolve()) + (f":{limit}" if limit is not None else ""))
        out["data"] = specs
    named = {"val_data": str(val_data.resolve()) if val_data else None, "max_steps": max_steps,
             "checkpoint_every": checkpoint_every, "val_every": validate_every,
             "mixed_precision": mixed_precision, "batch_size": batch_size}  # fmt: skip
    out.update({k: v for k, v in named.items() if v is not None})
    return out


def _validation_metrics(device: str) -> dict:
    """LPIPS for validation when its weights are on disk (PSNR is always computed by the trainer)."""
    import logging

    import numpy as np
    import torch

    from pasd.hub.errors import MissingWeightsError

    try:
        from benchmarks.metrics import create_metric

        lpips = create_metric("lpips", device=device)
    except (MissingWeightsError, ImportError) as exc:
        logging.getLogger(__name__).info("validation without LPIPS: %s", str(exc).splitlines()[0])
        return {}

    def score(out: np.ndarray, hq: np.ndarray) -> float:
        to = lambda a: torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float() / 255.0  # noqa: E731
        lpips.reset()
        lpips.update(to(out), to(hq))
        return float(lpips.compute()[0])

    return {"lpips": score}


@click.command("train")
@click.argument("config")
@click.option("--data", multiple=True, help="HQ image folder (repeatable); DIR:N uses its first N images.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder: checkpoint-N/, train_log.csv, train_config.json, validation/.")  # fmt: skip
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Optimizer steps in total.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=None, help="Save every N steps.")
@click.option("--resume", default=None, help="'latest' (or a fresh start if none) or a checkpoint folder.")
@click.option("--val-data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="HQ folder for validation [default: the first training images].")  # fmt: skip
@click.option(
    "--validate-every", type=click.IntRange(min=0), default=None, help="Validate every N steps (0: off)."
)
@click.option("--mixed-precision", type=click.Choice(("no", "fp16", "bf16")), default=None)
@click.option("--batch-size", type=click.IntRange(min=1), default=None, help="Per process.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override any config setting, e.g. --set dr=false --set learning_rate=1e-5.")  # fmt: skip
@click.option("--cpu", is_flag=True, help="Train on the CPU even when a GPU is visible.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def command(config, data, out_dir, max_steps, checkpoint_every, resume, val_data, validate_every, mixed_precision,
            batch_size, sets, cpu, no_progress) -> None:  # fmt: skip
    """Train PASD from CONFIG (a shipped name: pasd, pasd-light, pasd-rrdb, pasd-abl-a, pasd-no-paca,
    pasd-no-null-prompt, tiny; or a TOML file). Checkpoints are released-layout folders
    (OUT/checkpoint-N/{unet,controlnet}) that `pasd-bench infer --pasd` and the `pasd` methods load.
    """
    from benchmarks.errors import ItemsFailedError, UnusableInputError
    from pasd.training import load_train_config
    from pasd.training.trainer import train

    # unusable config, data, checkpoint or weights: exit 2 with one line (benchmarks.errors via cli.py)
    if no_progress:
        from benchmarks.console import disable_progress_bars

        disable_progress_bars()
    try:
        overrides = _overrides(data, val_data, max_steps, checkpoint_every, validate_every, mixed_precision,
                               batch_size, sets)  # fmt: skip
        cfg = load_train_config(config, overrides)
    except TypeError as exc:  # a setting of the wrong type (the config's own checks say which)
        raise UnusableInputError(str(exc)) from exc
    metrics = _validation_metrics("cpu" if cpu else "cuda" if _cuda() else "cpu") if cfg.val_every else {}
    try:
        result = train(cfg, out_dir, resume=resume, metrics=metrics, cpu=cpu, progress=not no_progress)
    except FloatingPointError as exc:  # a non-finite loss: the run stopped, its checkpoints are kept
        raise ItemsFailedError(str(exc)) from exc
    if not result.main_process:
        return
    if result.step == result.start_step:
        click.echo(f"nothing to do: {out_dir} is already at step {result.step} (max_steps {cfg.max_steps})")
    else:
        click.echo(f"trained steps {result.start_step + 1}-{result.step} -> {result.last_checkpoint}")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
