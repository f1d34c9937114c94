"""``pasd-bench data synth``: drives :mod:`pasd.degradation.synth` (more ``data`` subcommands may join)."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.console import disable_progress_bars
from benchmarks.errors import items_exit_code
from pasd.utils.image_io import ALPHA_POLICIES, DEFAULT_ALPHA


class _CropType(click.ParamType):
    """``--crop`` takes a positive integer or ``none``."""

    name = "N|none"

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None
        try:
            n = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is neither a positive integer nor 'none'", param, ctx)
        if n <= 0:
            self.fail(f"{n} is not positive", param, ctx)
        return n


@click.group("data")
def command() -> None:
    """Synthesize degraded test sets (Real-ESRGAN pipeline) and check datasets."""


@command.command("synth")
@click.option(
    "--hq",
    "hq_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of HQ images.",
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder."
)
@click.option(
    "--scale", type=click.IntRange(min=1), default=None, help="Downscaling factor [default: the config's, 4]."
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed; with each image's id it fixes its degradation.",
)
@click.option(
    "--crop",
    type=_CropType(),
    default="none",
    show_default=True,
    help="Random square HQ crop size, or 'none'.",
)
@click.option(
    "--config",
    "config_name",
    default=None,
    help="Preset name (pasd_x4, realesrgan_x4plus) or YAML file [default: pasd_x4].",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option(
    "--alpha",
    type=click.Choice(ALPHA_POLICIES),
    default=DEFAULT_ALPHA,
    show_default=True,
    help="HQ images with a translucent alpha channel: skip them, ignore alpha, or composite onto white/black.",
)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.pass_context
def synth_cmd(
    ctx: click.Context,
    hq_dir: Path,
    out_dir: Path,
    scale: int | None,
    seed: int,
    crop: int | None,
    config_name: str | None,
    workers: int,
    alpha: str,
    progress: bool,
) -> None:
    """Degrade every image under --hq into --out/LQ (and --out/HQ when cropping), with manifest.json.

    The same settings give the same bytes, whatever --workers; a rerun skips finished images.
    Check the result with `pasd-bench data verify synth --root OUT`. Exit 1 if any image was skipped.
    """
    from pasd.degradation.config import load_config
    from pasd.degradation.synth import synthesize_folder

    if not progress:
        disable_progress_bars()
    config = load_config(config_name)
    if scale is not None:
        config = config.with_scale(scale)
    report = synthesize_folder(
        hq_dir, out_dir, config, seed=seed, crop=crop, workers=workers, progress=progress, alpha=alpha
    )
    # per-image skip reasons were logged as they happened and are in the manifest
    click.echo(
        f"{len(report.done)} degraded, {len(report.reused)} already done, {len(report.skipped)} skipped -> {out_dir}"
    )
    ctx.exit(items_exit_code(len(report.skipped)))


@command.command("verify")
@click.argument("name")
@click.option("--root", required=True, type=click.Path(), help="The dataset's root folder.")
@click.option("--seed", type=int, default=0, show_default=True, help="Synthesized sets: degradation seed.")
@click.pass_context
def verify_cmd(ctx: click.Context, name: str, root: str, seed: int) -> None:
    """Check a dataset's layout, counts, pairing and sizes; say exactly what is wrong.

    NAME is a registered dataset (realsr, drealsr, div2k-val, ...) or `synth` for a folder written
    by `pasd-bench data synth` (checked against its manifest.json). Exit 1 if anything is wrong,
    2 if NAME is unknown.
    """
    from benchmarks.datasets import DATASETS, create_dataset

    params = {"seed": seed} if hasattr(DATASETS.get(name), "prepare") else {}
    ds = create_dataset(name, root, **params)
    report = ds.verify()
    click.echo(
        f"{name} at {report.root}: {report.count} items"
        + (f" (official set: {ds.expected_count})" if ds.expected_count else "")
    )
    for note in report.notes:
        click.echo(f"  note: {note}")
    for problem in report.problems:
        click.echo(f"  problem: {problem}", err=True)
    if report.problems:
        click.echo(f"layout expected: {ds.layout}\nsource: {ds.source}", err=True)
        ctx.exit(1)
    click.echo("ok")


@command.command("prepare")
@click.argument("name")
@click.option("--root", required=True, type=click.Path(), help="The dataset's root folder.")
@click.option("--seed", type=int, default=0, show_default=True, help="Degradation seed.")
@click.option("--crop", type=int, default=None, help="HQ crop size (default: whole images).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.pass_context
def prepare_cmd(
    ctx: click.Context, name: str, root: str, seed: int, crop: int | None, workers: int, progress: bool
) -> None:
    """Synthesize the LQ side of a synthetic test set (div2k-val, sample); resumable. Exit 1 if any image was skipped."""
    from benchmarks.datasets import DATASETS, create_dataset

    if not hasattr(DATASETS.get(name), "prepare"):
        raise click.UsageError(f"{name} has real LQ images; nothing to prepare")
    ds = create_dataset(name, root, seed=seed, crop=crop)
    rep = ds.prepare(workers=workers, progress=progress)
    click.echo(
        f"{name}: {len(rep.done)} made, {len(rep.reused)} reused, {len(rep.skipped)} skipped -> {ds.synth_dir}"
    )
    for image, reason in rep.skipped.items():
        click.echo(f"  skipped {image}: {reason}", err=True)
    ctx.exit(items_exit_code(len(rep.skipped)))
