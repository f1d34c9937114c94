"""The results store (SQLite per results directory): runs, per-image and set-level metrics, failures."""

from benchmarks.results.queries import PER_IMAGE_COLUMNS, SET_LEVEL_COLUMNS
from benchmarks.results.schema import DB_NAME, STATUSES, resolve_db_path
from benchmarks.results.store import ResultsStore

__all__ = ["DB_NAME", "PER_IMAGE_COLUMNS", "SET_LEVEL_COLUMNS", "STATUSES", "ResultsStore", "resolve_db_path"]
