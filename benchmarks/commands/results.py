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

    return ResultsStore(results_dir, create=False)


def _one_line(value: object) -> object:
    """Multi-line text (error messages name every path searched) as one table cell, not a literal \\n."""
    if isinstance(value, str):
        return "; ".join(part.strip() for part in value.splitlines() if part.strip())
    return value


def _table(df) -> str:  # noqa: ANN001 - a DataFrame
    return df.map(_one_line).to_string(index=False)


@click.group("results")
def command() -> None:
    """List runs and show their recorded configuration, provenance and metrics."""


@command.command("ls")
@_RESULTS
def ls_cmd(results_dir: Path) -> None:
    """One line per run: id, preset, status (complete / failed / interrupted / running), times (UTC),
    git revision, row counts."""
    with _open(results_dir) as store:
        runs = store.runs()
    if runs.empty:
        click.echo(f"{results_dir}: no runs")
        return
    click.echo(_table(runs))


def _identity(value: object) -> str:
    if isinstance(value, dict):
        return f"{value.get('kind', '?')} {value.get('value', '?')}  ({value.get('path', '')})"
    return str(value)  # runs recorded before identities: a path or a digest


@command.command("show")
@_RESULTS
@click.argument("run_id", required=False, type=int)
@click.option("--per-image", is_flag=True, help="Also print every per-image score.")
@click.option(
    "--config/--no-config", default=False, show_default=True, help="Print the resolved config and env."
)
def show_cmd(results_dir: Path, run_id: int | None, per_image: bool, config: bool) -> None:
    """Status, datasets, provenance, set-level metrics and failures of RUN_ID (default: the latest run)."""
    from benchmarks.errors import UnusableInputError

    with _open(results_dir) as store:
        rid = run_id if run_id is not None else store.latest_run_id()
        if rid is None:
            raise UnusableInputError(f"{results_dir}: no runs")
        info = store.run(rid)
        sl, fails = store.set_level(rid), store.failures(rid)
        datasets, jobs = store.datasets(rid), store.jobs(rid)
        pi = store.per_image(rid) if per_image else None
    click.echo(
        f"run {rid}: preset {info['preset']}, {info['status']}, created {info['created_at']}"
        + (f", finished {info['finished_at']}" if info.get("finished_at") else "")
        + f", git {info['git_revision'] or 'unknown'}"
    )
    if info.get("error"):
        click.echo(f"  error: {_one_line(info['error'])}")
    for name, ident in sorted(info["weights"].items()):
        click.echo(f"  weights {name}: {_identity(ident)}")
    if not datasets.empty:
        click.echo(_table(datasets.drop(columns=["run_id"])))
    if not jobs.empty:
        shown = jobs[
            ["method", "dataset", "seed", "state", "method_key", "version", "n_items", "inputs_digest"]
        ]
        click.echo(
            _table(
                shown.assign(
                    inputs_digest=shown["inputs_digest"].map(lambda d: d[:16] if isinstance(d, str) else d)
                )
            )
        )
    if config:
        click.echo("config: " + json.dumps(info["config"], indent=2, sort_keys=True))
        click.echo("env: " + json.dumps(info["env"], indent=2, sort_keys=True))
    click.echo(_table(sl.drop(columns=["run_id"])) if not sl.empty else "no set-level metrics")
    if pi is not None:
        click.echo(_table(pi.drop(columns=["run_id"])) if not pi.empty else "no per-image scores")
    if not fails.empty:
        click.echo(f"{len(fails)} failure(s):")
        click.echo(_table(fails[["method", "dataset", "image", "error"]]))


def _add_diff() -> None:
    # `results diff` lives in its own module (it shares the drift machinery)
    from benchmarks.commands.results_diff import diff_cmd

    command.add_command(diff_cmd)


_add_diff()
