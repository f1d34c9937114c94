"""``pasd-bench run PRESET|FILE``: plan, make outputs (cached), score, store."""

from __future__ import annotations

import click


@click.command("run")
@click.argument("preset")
@click.option(
    "--out", "out_dir", default=None, type=click.Path(), help="Results folder (default: runs/PRESET)."
)
@click.option(
    "--data-root", default=None, type=click.Path(), help="Where dataset roots live ({data} in presets)."
)
@click.option(
    "--only", multiple=True, metavar="KEY=VAL", help="Restrict: method=..., dataset=..., metric=..., seed=..."
)
@click.option(
    "--set", "settings", multiple=True, metavar="KEY=VALUE",
    help="Override a [shared] preset param for every method that takes it (style_model=PATH), or reference.KEY=VALUE.",
)  # fmt: skip
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, ...")
@click.option("--plan-only", is_flag=True, help="Print the plan and stop.")
@click.option("--no-progress", is_flag=True, help="No progress bars (CI logs).")
def command(
    preset: str, out_dir: str | None, data_root: str | None, only: tuple[str, ...], settings: tuple[str, ...],
    device: str, plan_only: bool, no_progress: bool,
) -> None:  # fmt: skip
    """Run a preset (smoke, table1, table2, table3, or a TOML file): methods x datasets, then metrics.

    `--set style_model=PATH` swaps the personalized base model of every Table 2 method at once;
    `--set reference.folder=DIR` sets the FID/CLIP-FID reference set of sets without ground truth.
    Outputs are cached by method+params, input pixels and seed: a rerun (or a killed run started
    again) recomputes nothing that is done. Under `torchrun`/`accelerate launch` images are
    sharded across processes and metrics are computed once on rank 0.
    """
    from pathlib import Path

    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.plan import build_plan, format_plan
    from benchmarks.runner.preset import apply_only, load_preset

    try:
        p = apply_only(load_preset(preset, data_root, overrides=list(settings)), list(only))
    except (FileNotFoundError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    out = Path(out_dir) if out_dir else Path("runs") / p.name
    if plan_only:
        click.echo(format_plan(build_plan(p, out, device)))
        return
    summary = run_preset(
        p, out, device=device, progress=not no_progress, on_plan=lambda plan: click.echo(format_plan(plan))
    )
    if summary.run_id is None:
        return  # not rank 0
    click.echo(f"run {summary.run_id}: {summary.made} outputs made, {summary.reused} reused, "
               f"{len(summary.failures)} failed -> {out}")  # fmt: skip
    for method, dataset, image, err in summary.failures[:10]:
        click.echo(f"  failed: {method} / {dataset} / {image}: {err}", err=True)
