"""Tables 1-3 in the paper's layout (Markdown, LaTeX, CSV, HTML), with the paper's numbers alongside."""

from benchmarks.tables.build import build_table
from benchmarks.tables.grid import Cell, Grid, Row
from benchmarks.tables.layouts import LAYOUTS, get_layout, select_rows
from benchmarks.tables.names import (
    dataset_label,
    higher_is_better,
    is_random_weights,
    method_label,
    metric_display,
    metric_label,
)
from benchmarks.tables.paper import load_paper_table
from benchmarks.tables.ranking import rank_marks
from benchmarks.tables.render import FORMATS, render, to_csv, to_html, to_latex, to_markdown
from benchmarks.tables.tables_io import make_table, write_table

__all__ = [
    "FORMATS",
    "LAYOUTS",
    "Cell",
    "Grid",
    "Row",
    "build_table",
    "dataset_label",
    "get_layout",
    "higher_is_better",
    "is_random_weights",
    "load_paper_table",
    "make_table",
    "method_label",
    "metric_display",
    "metric_label",
    "rank_marks",
    "render",
    "select_rows",
    "to_csv",
    "to_html",
    "to_latex",
    "to_markdown",
    "write_table",
]
