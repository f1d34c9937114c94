"""``pasd-bench results ls | show``: what a results directory holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

_RESULTS = click.option(
    "--results", "results_dir", required=True, type=click.Path(path_type=Path),
    help="Results directory (holds results.sqlite) or the .sqlite file.",
)  # fmt: skip


def _open(results_dir: Path):
    from benchmarks.results import ResultsStore

    try:
        return ResultsStore(results_dir, create=False)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.group("results")
def command() -> None:
    """List runs and show their recorded configuration and metrics."""


@command.command("ls")
@_RESULTS
def ls_cmd(results_dir: Path) -> None:
    """One line per run: id, preset, time (UTC), git revision, row counts."""
    with _open(results_dir) as store:
        runs = store.runs()
    if runs.empty:
        click.echo(f"{results_dir}: no runs")
        return
    click.echo(runs.to_string(index=False))


@command.command("show")
@_RESULTS
@click.argument("run_id", required=False, type=int)
@click.option("--per-image", is_flag=True, help="Also print every per-image score.")
@click.option(
    "--config/--no-config", default=False, show_default=True, help="Print the resolved config and env."
)
def show_cmd(results_dir: Path, run_id: int | None, per_image: bool, config: bool) -> None:
    """Set-level metrics (and failures) of RUN_ID (default: the latest run)."""
    with _open(results_dir) as store:
        rid = run_id if run_id is not None else store.latest_run_id()
        if rid is None:
            raise click.ClickException(f"{results_dir}: no runs")
        try:
            info = store.run(rid)
        except KeyError as exc:
            raise click.ClickException(str(exc.args[0])) from exc
        sl, fails = store.set_level(rid), store.failures(rid)
        pi = store.per_image(rid) if per_image else None
    click.echo(
        f"run {rid}: preset {info['preset']}, created {info['created_at']}, git {info['git_revision'] or 'unknown'}"
    )
    for name, digest in sorted(info["weights"].items()):
        click.echo(f"  weights {name}: {digest}")
    if config:
        click.echo("config: " + json.dumps(info["config"], indent=2, sort_keys=True))
        click.echo("env: " + json.dumps(info["env"], indent=2, sort_keys=True))
    click.echo(sl.drop(columns=["run_id"]).to_string(index=False) if not sl.empty else "no set-level metrics")
    if pi is not None:
        click.echo(
            pi.drop(columns=["run_id"]).to_string(index=False) if not pi.empty else "no per-image scores"
        )
    if not fails.empty:
        click.echo(f"{len(fails)} failure(s):")
        click.echo(fails[["method", "dataset", "image", "error"]].to_string(index=False))


def _add_diff() -> None:
    # `results diff` lives in its own module (it shares the drift machinery)
    from benchmarks.commands.results_diff import diff_cmd

    command.add_command(diff_cmd)


_add_diff()
