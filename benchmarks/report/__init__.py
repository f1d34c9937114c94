"""Static HTML report (Jinja2) of a results directory: tables, charts, distributions, comparison grids."""

from benchmarks.report.build import build_report

__all__ = ["build_report"]
