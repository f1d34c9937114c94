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
#: bump when a table changes; stored in ``PRAGMA user_version``
SCHEMA_VERSION = 1

Status = Literal["ok", "weights-missing", "not-available", "failed"]
#: a set-level cell is a number only when its status is "ok"; the others are shown as words
STATUSES: tuple[str, ...] = ("ok", "weights-missing", "not-available", "failed")
#: what :func:`put_image_dir` accepts as ``role``
ROLES: tuple[str, ...] = ("output", "lq", "hq")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT, preset TEXT NOT NULL, created_at TEXT NOT NULL,
  config TEXT NOT NULL, env TEXT NOT NULL, weights TEXT NOT NULL, git_revision TEXT);
CREATE TABLE IF NOT EXISTS per_image (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  image TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, method, dataset, image, metric));
CREATE TABLE IF NOT EXISTS set_level (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  metric TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL, n INTEGER,
  status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})), note TEXT,
  updated_at TEXT NOT NULL, PRIMARY KEY (run_id, method, dataset, metric));
CREATE TABLE IF NOT EXISTS failures (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  image TEXT NOT NULL, error TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, method, dataset, image));
CREATE TABLE IF NOT EXISTS image_dirs (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), dataset TEXT NOT NULL, role TEXT NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (run_id, dataset, role, method));
"""


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
