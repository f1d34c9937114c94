"""Random-weight metric artifacts for the tests (re-exported from :mod:`benchmarks.metrics.random_weights`)."""

from benchmarks.metrics.random_weights import FILES, build_weights, write_table

__all__ = ["FILES", "build_weights", "write_table"]
