"""Click options shared by the commands that read a results folder (tables, report, results)."""

from __future__ import annotations

from pathlib import Path

import click

results_option = click.option(
    "--results",
    "results_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Results directory (holds results.sqlite) or the .sqlite file.",
)

run_option = click.option(
    "--run", "run_id", type=int, default=None, help="One run (default: latest value per cell across runs)."
)
