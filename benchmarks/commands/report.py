"""``pasd-bench report``: a static HTML page with the tables, charts and comparison grids of a results dir."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.commands.options import results_option, run_option


@click.command("report")
@results_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Report folder (default: <results>/report).",
)
@run_option
@click.option(
    "--confidence-intervals/--no-confidence-intervals",
    "--ci/--no-ci",
    "ci",
    default=True,
    show_default=True,
    help="Bootstrap confidence intervals in the tables (--ci/--no-ci: older spelling).",
)
@click.option(
    "--paper/--no-paper", default=True, show_default=True, help="Ours vs paper tables where datasets overlap."
)
@click.option("--max-grid-images", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--title", default=None, help="Page title.")
def command(results_dir, out, run_id, ci, paper, max_grid_images, title) -> None:  # fmt: skip
    """Write index.html plus tables/ and figures/ (relative links; works offline)."""
    from benchmarks.report import build_report

    index = build_report(
        results_dir, out, run_id=run_id, ci=ci, paper=paper, max_grid_images=max_grid_images, title=title
    )
    click.echo(str(index))
