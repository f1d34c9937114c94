"""``pasd-bench tables``: Tables 1-3 in the paper's layout, optionally next to the paper's numbers."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.commands.options import results_option, run_option


@click.command("tables")
@results_option
@click.option(
    "--table", "table", required=True, type=click.Choice(["1", "2", "3"]), help="Which paper table."
)
@click.option("--format", "fmt", default="md", show_default=True, type=click.Choice(["md", "tex", "csv"]))
@click.option(
    "--confidence-intervals",
    "--ci",
    "ci",
    is_flag=True,
    help="Show confidence intervals: x [lo, hi], bootstrap over images, or over seeds for a mean of several seeds "
    "(--ci: short alias; CSV always has ci_low/ci_high).",
)
@click.option(
    "--paper/--no-paper", default=False, show_default=True, help="Add the paper's value and ours - paper."
)
@run_option
@click.option(
    "--paper-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of table{1,2,3}.csv (default: reports/paper).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout.",
)
def command(results_dir, table, fmt, ci, paper, run_id, paper_dir, out) -> None:  # fmt: skip
    """Print or write Table 1, 2 or 3: best bold, second underlined, per the metric's arrow.

    Every table shows how many images each number is based on; a number computed on fewer images
    than the official set is flagged (†). ``--format csv`` is tidy: one row per number, with
    dataset, method, metric, source, value, ci_low, ci_high, n, n_official and status columns.
    """
    from benchmarks.tables import make_table, write_table

    grid = make_table(results_dir, int(table), run_id=run_id, ci=ci, paper=paper, paper_dir=paper_dir)
    text = write_table(grid, fmt, out)
    if out is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {out}", err=True)
