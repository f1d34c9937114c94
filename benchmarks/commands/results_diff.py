"""``pasd-bench results diff DIR_A DIR_B``: two results folders cell by cell, with env/protocol diff.

A plays the golden side: the same tiers, image hashes and record comparison as ``drift check``,
without a golden file. Exit codes as ``drift check``: 0 same within tolerance, 1 differences,
2 unusable input (a cell of A missing in B, unreadable folders).
"""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.commands.drift import build_policy, emit, tier_options


@click.command("diff")
@click.argument("dir_a", type=click.Path(path_type=Path))
@click.argument("dir_b", type=click.Path(path_type=Path))
@click.option("--run", "run_both", type=int, default=None, help="The same run id on both sides.")
@click.option("--run-a", type=int, default=None, help="Run of DIR_A [default: latest value per cell].")
@click.option("--run-b", type=int, default=None, help="Run of DIR_B [default: latest value per cell].")
@tier_options
@click.pass_context
def diff_cmd(
    ctx: click.Context, dir_a: Path, dir_b: Path, run_both: int | None, run_a: int | None, run_b: int | None,
    floor: str | None, metric_tier: dict, method_tier: dict, tiers_file: Path | None, allow_env_change: bool,
    json_out: Path | None, all_cells: bool,
) -> None:  # fmt: skip
    """Compare DIR_A (reference) with DIR_B: every cell, per-image value, image hash and run record."""
    from benchmarks.drift import diff_results

    if run_both is not None:
        run_a = run_b = run_both
    policy = build_policy(floor, metric_tier, method_tier, tiers_file)
    report = diff_results(dir_a, dir_b, policy, run_a, run_b, allow_env_change)  # bad input: exit 2 (cli.py)
    ctx.exit(emit(report, json_out, f"results diff A={dir_a} B={dir_b}", True, labels=("A", "B")))
