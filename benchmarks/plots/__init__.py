"""Figures (matplotlib, Agg): metric bar charts, per-image distributions, comparison grids with zoomed crops."""

from benchmarks.plots.bars import metric_bar_chart
from benchmarks.plots.distributions import per_image_distribution
from benchmarks.plots.grids import GridLayout, comparison_grid

__all__ = ["GridLayout", "comparison_grid", "metric_bar_chart", "per_image_distribution"]
