"""Datasets, metric engine, runner, results store, tables, plots, user study and the CLI."""
