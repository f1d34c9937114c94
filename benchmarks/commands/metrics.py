"""``pasd-bench metrics``: score a pred folder (against a GT folder) and write CSV + JSON."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.metrics.configs import DEFAULT_CONFIGS, TABLE1_METRICS, get_spec


def _metric_list(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    if not names:
        raise click.BadParameter(f"no metric given; allowed: {', '.join(sorted(DEFAULT_CONFIGS))}")
    for name in names:
        try:
            get_spec(name)
        except KeyError as exc:  # names the close matches and the allowed set
            raise click.BadParameter(str(exc.args[0])) from None
    return names


def _list_metrics(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--list``: every preset with its mode, direction and weights, then exit."""
    if not value or ctx.resilient_parsing:
        return
    from benchmarks.metrics.registry import list_metrics

    for spec in list_metrics():
        arrow = "lower" if spec.lower_better else "higher"
        weights = ", ".join(spec.weights) or "-"
        click.echo(f"{spec.name:<14} {spec.mode:<4} {arrow:<7} {spec.title:<18} weights: {weights}")
    ctx.exit(0)


@click.command("metrics")
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_list_metrics,
    help="List the metric presets (name, FR/NR/set, direction, weights) and exit.",
)
@click.option(
    "--pred",
    "pred_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of predicted images.",
)
@click.option(
    "--gt",
    "gt_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of ground-truth images (paired by file stem). Not needed for no-reference metrics.",
)
@click.option(
    "--metrics",
    "metric_names",
    default=",".join(TABLE1_METRICS),
    show_default=True,
    callback=_metric_list,
    help="Comma-separated metric presets.",
)
@click.option(
    "--crop-border",
    type=click.IntRange(min=0),
    default=None,
    help="Pixels cropped from each side for PSNR/SSIM [default: the protocol's; 4 for pasd].",
)
@click.option(
    "--protocol",
    default="pasd",
    show_default=True,
    help="Evaluation protocol card (pasd, basicsr, pyiqa-default, stablesr, osediff) or a card .toml; "
    "explicit options here override it. `pasd-bench protocols show NAME` lists its settings.",
)
@click.option("--device", default="cpu", show_default=True, help="torch device, e.g. cuda or cuda:1.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True)
@click.option(
    "--out",
    "out_csv",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Per-image CSV; set-level results go to the same name with .json.",
)
@click.option(
    "--pairs",
    "pairs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Explicit pred -> GT stem map (JSON object, or CSV with columns pred,gt).",
)
@click.option(
    "--resize-pred",
    is_flag=True,
    help="Resize a pred whose size differs from its GT to the GT size (PIL bicubic) instead of failing.",
)
@click.option(
    "--alpha",
    type=click.Choice(["error", "drop", "white", "black"]),
    default=None,
    help="Translucent alpha channels: fail, ignore alpha, or composite onto white/black [default: the protocol's].",
)
@click.option(
    "--skip-missing", is_flag=True, help="Compute the metrics whose weights exist; mark the others missing."
)
@click.option(
    "--skip-unreadable", is_flag=True, help="List unreadable files in the outputs instead of failing."
)
@click.option(
    "--skip-unpaired",
    is_flag=True,
    help="Score the pairs that exist when some pred/GT files have no partner (listed in the JSON) "
    "instead of failing; FID/CLIP-FID then compare the paired subsets.",
)
@click.option("--progress/--no-progress", default=True, help="Progress bar.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="GT feature cache for FID/CLIP-FID [default: $PASD_BENCH_HOME/feature-cache].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed for the 95% CIs.")
@click.option("--n-resamples", type=click.IntRange(min=1), default=2000, show_default=True)
@click.pass_context
def command(
    ctx: click.Context, pred_dir: Path, gt_dir: Path | None, metric_names: list[str], crop_border: int | None,
    protocol: str, device: str, batch_size: int, out_csv: Path, pairs_file: Path | None, resize_pred: bool,
    alpha: str | None, skip_missing: bool, skip_unreadable: bool, skip_unpaired: bool, progress: bool,
    cache_dir: Path | None, seed: int, n_resamples: int,
) -> None:  # fmt: skip
    """PSNR/SSIM (Y), LPIPS, DISTS, MUSIQ, FID, CLIP-FID and the modern IQA set (NIQE, MANIQA, CLIPIQA,
    TOPIQ, LIQE, KID, pFID; see --list) in one pass.

    Exit codes: 0 all scored (files skipped by --skip-* options are listed in the JSON); 1 some
    files unreadable (the rest is scored and written); 2 nothing could be scored (missing weights,
    unpaired folders, bad options, unknown protocol, impossible device).
    """
    from benchmarks.console import disable_progress_bars
    from benchmarks.env import collect_env
    from benchmarks.errors import ItemsFailedError
    from benchmarks.metrics import EngineOptions, UnreadableImagesError, evaluate, load_mapping, write_outputs
    from pasd.hub import bench_home
    from pasd.utils.devices import check_device

    check_device(device)
    if not progress:
        disable_progress_bars()
    card = _card(protocol, crop_border, alpha, resize_pred)
    opts = EngineOptions(
        crop_border=crop_border, device=device, batch_size=batch_size, skip_missing=skip_missing,
        skip_unreadable=skip_unreadable, skip_unpaired=skip_unpaired,
        cache_dir=str(cache_dir or bench_home() / "feature-cache"), n_resamples=n_resamples, seed=seed,
        **card.engine_fields(),
    )  # fmt: skip
    mapping = load_mapping(pairs_file) if pairs_file else None
    failure: UnreadableImagesError | None = None
    try:
        result = evaluate(pred_dir, gt_dir, metric_names, opts, mapping=mapping, progress=progress)
    except UnreadableImagesError as exc:
        result, failure = exc.result, exc
    result.summary["protocol_card"] = card.as_dict()
    json_path = write_outputs(result, out_csv, env=collect_env())
    _print_summary(result, out_csv, json_path)
    for warning in result.summary.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    if failure is not None:
        raise ItemsFailedError(
            f"{failure} (results for the rest are in {out_csv}; --skip-unreadable to accept)"
        )


def _card(protocol: str, crop_border: int | None, alpha: str | None, resize_pred: bool):
    """The protocol card with this command's explicit options applied on top (recorded as overrides)."""
    from benchmarks.protocols import get_card

    overrides: dict = {}
    if crop_border is not None:
        overrides |= {"psnr.crop_border": crop_border, "ssim.crop_border": crop_border}
    if alpha is not None:
        overrides["images.alpha"] = alpha
    if resize_pred:
        overrides["images.resize"] = "resize-pred"
    try:
        return get_card(protocol, overrides)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise click.BadParameter(str(msg), param_hint="--protocol") from exc


def _print_summary(result, out_csv: Path, json_path: Path) -> None:
    from rich.table import Table

    from benchmarks.console import rich_console
    from benchmarks.metrics.results import format_value

    table = Table(title=f"metrics ({result.summary['counts']['scored']} images)")
    table.add_column("metric")
    table.add_column("better")
    table.add_column("value [95% CI]")
    for entry in result.summary["metrics"].values():
        table.add_row(entry["title"], "lower" if entry["lower_better"] else "higher", format_value(entry))
    console = rich_console()
    console.print(table)
    console.print(f"per-image: {out_csv}\nset-level: {json_path}")
