"""``pasd-bench drift record | check``: golden numbers for CI, with tolerance tiers.

Exit codes: 0 every cell within tolerance; 1 drift (values, images, protocol settings, protocol
package versions or weights changed); 2 unusable input (missing cells, files or runs). Bad input is
reported by :mod:`benchmarks.errors` like every command's (one line, never a traceback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from benchmarks.commands.options import results_option, run_option


def _pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, tier = v.partition("=")
        if not sep or not key.strip() or not tier.strip():
            raise click.BadParameter(f"{v!r}: expected NAME=TIER", param=param)
        out[key.strip()] = tier.strip()
    return out


def tier_options(f):
    """--tier / --metric-tier / --method-tier / --tiers / --allow-env-change / --json (shared with results diff)."""
    for opt in reversed([
        click.option("--tier", "floor", default=None, help="Hold every metric to at least this tier (e.g. cross-device)."),
        click.option("--metric-tier", multiple=True, callback=_pairs, metavar="METRIC=TIER", help="Pin one metric's tier."),
        click.option("--method-tier", multiple=True, callback=_pairs, metavar="METHOD=TIER",
                     help="Pin one method's tier (its values and output images)."),
        click.option("--tiers", "tiers_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Your own tier table (TOML, same layout as benchmarks/drift/tiers.toml)."),
        click.option("--allow-env-change", is_flag=True,
                     help="Report changed package versions / weights without failing on them (judge numbers only)."),
        click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Also write the report as JSON here ('-' for stdout, then no text)."),
        click.option("-a", "--all-cells", is_flag=True, help="List every compared cell, not only those that moved."),
    ]):  # fmt: skip
        f = opt(f)
    return f


def build_policy(floor, metric_tier, method_tier, tiers_file):
    """A TierPolicy from the shared options (an unknown tier or a bad tier file: exit 2).

    Raises:
        KeyError / ValueError / FileNotFoundError: classified as unusable input by the CLI.
    """
    from benchmarks.drift import TierPolicy, load_tiers

    return TierPolicy(load_tiers(tiers_file), floor, dict(metric_tier), dict(method_tier))


def emit(report, json_out: Path | None, title: str, all_cells: bool, labels=("golden", "now")) -> int:
    """Print the text report (and/or JSON) and return the report's exit code (the command exits with it)."""
    from benchmarks.drift import format_report
    from pasd.utils.io import atomic_write_json

    if json_out is not None and str(json_out) == "-":
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
        return report.exit_code
    click.echo(format_report(report, title, verbose=all_cells, labels=labels), nl=False)
    if json_out is not None:
        atomic_write_json(json_out, json.loads(json.dumps(report.as_dict(), default=str)))
    return report.exit_code


@click.group("drift")
def command() -> None:
    """Record golden numbers from a results folder and check later runs against them."""


@command.command("record")
@results_option
@run_option
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Golden JSON file."
)
def record_cmd(results_dir: Path, run_id: int | None, out: Path) -> None:
    """Write every cell's value (and per-image values), the protocol card, image hashes, env and weights."""
    from benchmarks.drift import record_golden

    snap = record_golden(results_dir, out, run_id)
    n_img = sum(len(o["images"]) for o in snap["outputs"].values())
    click.echo(
        f"golden: {len(snap['cells'])} cells, {n_img} output images, {len(snap['runs'])} run record(s) -> {out}"
    )


@command.command("check")
@results_option
@run_option
@click.option("--golden", "golden", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Golden JSON from `drift record`.")  # fmt: skip
@tier_options
@click.pass_context
def check_cmd(
    ctx: click.Context, results_dir: Path, run_id: int | None, golden: Path, floor: str | None, metric_tier: dict,
    method_tier: dict, tiers_file: Path | None, allow_env_change: bool, json_out: Path | None, all_cells: bool,
) -> None:  # fmt: skip
    """Exit 0 if every golden cell is within tolerance, 1 on drift, 2 if cells or files are missing."""
    from benchmarks.drift import check_golden

    policy = build_policy(floor, metric_tier, method_tier, tiers_file)
    report = check_golden(results_dir, golden, policy, run_id, allow_env_change)
    ctx.exit(emit(report, json_out, f"drift check {results_dir} vs {golden}", all_cells))


@command.command("sample")
@click.option("--out", "out_dir", default="runs/sample-golden", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Results folder for the sample run.")  # fmt: skip
@click.option("--golden", "golden", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Golden file [default: the suite's benchmarks/drift/golden/sample.json].")  # fmt: skip
@click.option("--record", is_flag=True, help="Rewrite the golden file from this run instead of checking.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def sample_cmd(
    ctx: click.Context, out_dir: Path, golden: Path | None, record: bool, json_out: Path | None
) -> None:
    """The suite's own drift check: run the `sample-golden` preset, compare with its golden numbers."""
    from benchmarks.drift import SAMPLE_GOLDEN, record_golden
    from benchmarks.drift.sample import check_sample, run_sample_preset

    results = run_sample_preset(out_dir)
    if record:
        target = golden or SAMPLE_GOLDEN
        snap = record_golden(results, target)
        click.echo(f"golden: {len(snap['cells'])} cells -> {target}")
        return
    report = check_sample(results, golden)
    ctx.exit(emit(report, json_out, f"sample drift check {results} vs {golden or SAMPLE_GOLDEN}", False))
