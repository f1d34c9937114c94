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
@click.option("--plan-only", is_flag=True, help="Print the plan and stop (exit 2 if it has problems).")
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Run even when datasets are missing or have fewer items than the official set "
    "(tables flag numbers computed on fewer images).",
)
@click.option("--no-progress", is_flag=True, help="No progress bars (CI logs), including model loading.")
@click.pass_context
def command(
    ctx: click.Context, preset: str, out_dir: str | None, data_root: str | None, only: tuple[str, ...],
    settings: tuple[str, ...], device: str, plan_only: bool, allow_partial: bool, no_progress: bool,
) -> None:  # fmt: skip
    """Run a preset (smoke, table1, table2, table3, or a TOML file): methods x datasets, then metrics.

    `--set style_model=PATH` swaps the personalized base model of every Table 2 method at once;
    `--set reference.folder=DIR` sets the FID/CLIP-FID reference set of sets without ground truth.
    Outputs are cached by method (name, resolved options, adapter version, weights identity),
    input pixels and seed: a rerun (or a killed run started again) recomputes nothing that is
    done. Under `torchrun`/`accelerate launch` images are sharded across processes and metrics
    are computed once on rank 0.

    Exit codes: 0 all good; 1 some images or metric cells failed (recorded; `results show`); 2 nothing was run
    (missing or partial datasets without --allow-partial, bad settings, impossible device).
    """
    from pathlib import Path

    from benchmarks.console import disable_progress_bars
    from benchmarks.errors import EXIT_UNUSABLE_INPUT, items_exit_code
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.plan import build_plan, format_plan
    from benchmarks.runner.preset import apply_only, load_preset
    from pasd.utils.devices import check_device

    check_device(device)  # before the plan: a missing GPU is known in a second
    if no_progress:
        disable_progress_bars()
    p = apply_only(load_preset(preset, data_root, overrides=list(settings)), list(only))
    out = Path(out_dir) if out_dir else Path("runs") / p.name
    if plan_only:
        plan = build_plan(p, out, device)
        click.echo(format_plan(plan, allow_partial))
        ctx.exit(EXIT_UNUSABLE_INPUT if plan.problems(allow_partial) else 0)
    summary = run_preset(
        p, out, device=device, progress=not no_progress, allow_partial=allow_partial,
        on_plan=lambda plan: click.echo(format_plan(plan, allow_partial, show_problems=False)),
    )  # fmt: skip
    if summary.run_id is None:
        return  # not rank 0
    click.echo(f"run {summary.run_id}: {summary.made} outputs made, {summary.reused} reused, "
               f"{len(summary.failures)} failed -> {out}")  # fmt: skip
    for method, dataset, image, err in summary.failures[:10]:
        click.echo(f"  failed: {method} / {dataset} / {image}: {err}", err=True)
    if len(summary.failures) > 10:
        click.echo(
            f"  ... {len(summary.failures) - 10} more: pasd-bench results show --results {out}", err=True
        )
    for method, dataset, metric, why in summary.score_failures:
        click.echo(f"  not scored: {method} / {dataset} / {metric}: {why}", err=True)
    partial = [*summary.plan.missing_datasets(), *summary.plan.partial_datasets()]
    if partial:
        click.echo("incomplete datasets (--allow-partial): "
                   + ", ".join(f"{d.entry.name} {d.counts}" for d in partial), err=True)  # fmt: skip
    ctx.exit(items_exit_code(len(summary.failures) + len(summary.score_failures)))
