"""The results database's tables and the checks every write passes before it reaches SQLite.

One file per results directory (``results.sqlite``). Every table's primary key is the identity of
what it stores, so a resumed run that writes the same number again replaces it (``INSERT ... ON
CONFLICT DO UPDATE``) instead of duplicating it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

DB_NAME = "results.sqlite"
#: bump when a table changes; stored in ``PRAGMA user_version`` (older files are migrated on open)
SCHEMA_VERSION = 2

Status = Literal["ok", "weights-missing", "not-available", "failed", "data-missing", "pending"]
#: a set-level cell is a number only when its status is "ok"; the others are shown as words.
#: "pending": planned by a run that has not scored it (yet: running; never: interrupted).
STATUSES: tuple[str, ...] = ("ok", "weights-missing", "not-available", "failed", "data-missing", "pending")
#: a run's own status; "running" rows whose process is gone read as "interrupted"
RUN_STATUSES: tuple[str, ...] = ("running", "complete", "failed", "interrupted", "unknown")
#: what a dataset looked like to a run: all official items, fewer, or none
DATASET_STATES: tuple[str, ...] = ("ok", "partial", "missing")
#: what :func:`put_image_dir` accepts as ``role``
ROLES: tuple[str, ...] = ("output", "lq", "hq")

_SET_LEVEL = f"""
CREATE TABLE IF NOT EXISTS set_level (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  metric TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL, n INTEGER,
  status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})), note TEXT,
  updated_at TEXT NOT NULL, PRIMARY KEY (run_id, method, dataset, metric))"""

_V2_TABLES = """
CREATE TABLE IF NOT EXISTS jobs (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  seed INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT, method_key TEXT, version TEXT,
  options TEXT NOT NULL, weights TEXT NOT NULL, n_items INTEGER, inputs_digest TEXT,
  PRIMARY KEY (run_id, method, dataset, seed));
CREATE TABLE IF NOT EXISTS datasets (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), dataset TEXT NOT NULL, root TEXT,
  state TEXT NOT NULL, n_items INTEGER, n_official INTEGER, reason TEXT,
  PRIMARY KEY (run_id, dataset))"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT, preset TEXT NOT NULL, created_at TEXT NOT NULL,
  config TEXT NOT NULL, env TEXT NOT NULL, weights TEXT NOT NULL, git_revision TEXT,
  status TEXT NOT NULL DEFAULT 'complete', finished_at TEXT, pid INTEGER, host TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS per_image (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  image TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, method, dataset, image, metric));
{_SET_LEVEL};
CREATE TABLE IF NOT EXISTS failures (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  image TEXT NOT NULL, error TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, method, dataset, image));
CREATE TABLE IF NOT EXISTS image_dirs (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), dataset TEXT NOT NULL, role TEXT NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (run_id, dataset, role, method));
{_V2_TABLES};
"""

#: version -> statements that bring a file of that version to the next one
MIGRATIONS: dict[int, list[str]] = {
    1: [
        # runs recorded before run statuses existed: nobody knows whether they finished
        "ALTER TABLE runs ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown'",
        "ALTER TABLE runs ADD COLUMN finished_at TEXT",
        "ALTER TABLE runs ADD COLUMN pid INTEGER",
        "ALTER TABLE runs ADD COLUMN host TEXT",
        "ALTER TABLE runs ADD COLUMN error TEXT",
        # SQLite cannot change a CHECK constraint in place: copy the rows into the new table
        "ALTER TABLE set_level RENAME TO set_level_v1",
        _SET_LEVEL,
        "INSERT INTO set_level SELECT * FROM set_level_v1",
        "DROP TABLE set_level_v1",
        *filter(str.strip, _V2_TABLES.split(";")),
    ],
}


def resolve_db_path(path_or_dir: str | Path) -> Path:
    """``results.sqlite`` inside a results directory, or the file itself when given a ``.sqlite``/``.db`` path."""
    p = Path(path_or_dir)
    if p.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        return p
    return p / DB_NAME


def check_key(what: str, value: object) -> str:
    """A method/dataset/image/metric key must be a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def check_finite(what: str, value: object) -> float:
    """Numbers are stored only when finite: NaN/inf would silently poison every mean and ranking."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)  # numpy scalars, ints
    if not math.isfinite(v):
        raise ValueError(f"{what} is {v}; only finite numbers are stored (record a failure instead)")
    return v


def check_set_level(
    value: float | None, ci_low: float | None, ci_high: float | None, n: int | None, status: str
) -> tuple[float | None, float | None, float | None, int | None]:
    """Validate one set-level cell; returns the cleaned ``(value, ci_low, ci_high, n)``.

    Raises:
        ValueError: unknown status, a value with a non-"ok" status (or none with "ok"), NaN/inf,
            a CI that does not contain the value, or a negative ``n``.
    """
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {STATUSES}")
    if status != "ok":
        if value is not None or ci_low is not None or ci_high is not None:
            raise ValueError(f"status {status!r} must not carry a value or CI (got value={value!r})")
    elif value is None:
        raise ValueError("status 'ok' needs a value")
    v = None if value is None else check_finite("value", value)
    lo = None if ci_low is None else check_finite("ci_low", ci_low)
    hi = None if ci_high is None else check_finite("ci_high", ci_high)
    if (lo is None) != (hi is None):
        raise ValueError(f"give both ci_low and ci_high or neither (got {ci_low!r}, {ci_high!r})")
    # a tiny slack: percentile bootstrap limits can sit a rounding error inside a constant mean
    if (
        lo is not None
        and v is not None
        and not lo - 1e-9 * max(1.0, abs(v)) <= v <= hi + 1e-9 * max(1.0, abs(v))
    ):
        raise ValueError(f"CI [{lo}, {hi}] does not contain the value {v}")
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 0):
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return v, lo, hi, None if n is None else int(n)
