"""``pasd-bench data synth``: drives :mod:`pasd.degradation.synth` (more ``data`` subcommands may join)."""

from __future__ import annotations

from pathlib import Path

import click


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
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def synth_cmd(
    hq_dir: Path,
    out_dir: Path,
    scale: int | None,
    seed: int,
    crop: int | None,
    config_name: str | None,
    workers: int,
    progress: bool,
) -> None:
    """Degrade every image under --hq into --out/LQ (and --out/HQ when cropping), with manifest.json.

    The same settings give the same bytes, whatever --workers; a rerun skips finished images.
    """
    from pasd.degradation.config import load_config
    from pasd.degradation.synth import synthesize_folder

    try:
        config = load_config(config_name)
        if scale is not None:
            config = config.with_scale(scale)
        report = synthesize_folder(
            hq_dir, out_dir, config, seed=seed, crop=crop, workers=workers, progress=progress
        )
    except (KeyError, ValueError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise click.ClickException(str(msg)) from None
    # per-image skip reasons were logged as they happened and are in the manifest
    click.echo(
        f"{len(report.done)} degraded, {len(report.reused)} already done, {len(report.skipped)} skipped -> {out_dir}"
    )


@command.command("verify")
@click.argument("name")
@click.option("--root", required=True, type=click.Path(), help="The dataset's root folder.")
@click.option("--seed", type=int, default=0, show_default=True, help="Synthesized sets: degradation seed.")
@click.pass_context
def verify_cmd(ctx: click.Context, name: str, root: str, seed: int) -> None:
    """Check a dataset's layout, counts, pairing and sizes; say exactly what is wrong (exit 1 if anything)."""
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
def prepare_cmd(name: str, root: str, seed: int, crop: int | None, workers: int) -> None:
    """Synthesize the LQ side of a synthetic test set (div2k-val, sample); resumable."""
    from benchmarks.datasets import create_dataset

    ds = create_dataset(name, root, seed=seed, crop=crop)
    if not hasattr(ds, "prepare"):
        raise click.UsageError(f"{name} has real LQ images; nothing to prepare")
    rep = ds.prepare(workers=workers)
    click.echo(
        f"{name}: {len(rep.done)} made, {len(rep.reused)} reused, {len(rep.skipped)} skipped -> {ds.synth_dir}"
    )
