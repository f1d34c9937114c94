"""The results database's tables and the checks every write passes before it reaches SQLite.

One file per results directory (``results.sqlite``). Every table's primary key is the identity of
what it stores, so a resumed run that writes the same number again replaces it (``INSERT ... ON
CONFLICT DO UPDATE``) instead of duplicating it. ``method`` is the preset entry's id
(:mod:`benchmarks.results.method_ids`: the method name, or ``name[label]`` when a preset lists a
method twice), and every row produced by a job carries its ``seed``: two entries of one method, or
several seeds, never overwrite each other.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

DB_NAME = "results.sqlite"
#: bump when a table changes; stored in ``PRAGMA user_version`` (older files are migrated on open)
SCHEMA_VERSION = 3

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

_STATUS_CHECK = f"status TEXT NOT NULL CHECK (status IN ({', '.join(repr(s) for s in STATUSES)}))"

# -- version 3 (current) -------------------------------------------------------------------------
_SET_LEVEL = f"""
CREATE TABLE IF NOT EXISTS set_level (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  metric TEXT NOT NULL, seed INTEGER NOT NULL, value REAL, ci_low REAL, ci_high REAL, n INTEGER,
  {_STATUS_CHECK}, note TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (run_id, method, dataset, metric, seed))"""
_PER_IMAGE = """
CREATE TABLE IF NOT EXISTS per_image (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  image TEXT NOT NULL, metric TEXT NOT NULL, seed INTEGER NOT NULL, value REAL NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY (run_id, method, dataset, image, metric, seed))"""
_FAILURES = """
CREATE TABLE IF NOT EXISTS failures (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  image TEXT NOT NULL, seed INTEGER NOT NULL, error TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, method, dataset, image, seed))"""
# inputs (role lq/hq) are recorded with seed 0: they do not depend on it
_IMAGE_DIRS = """
CREATE TABLE IF NOT EXISTS image_dirs (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), dataset TEXT NOT NULL, role TEXT NOT NULL,
  method TEXT NOT NULL, seed INTEGER NOT NULL, path TEXT NOT NULL,
  PRIMARY KEY (run_id, dataset, role, method, seed))"""
# method: the entry id; method_name: the registry name; label: the entry's display label, if any
_JOBS = """
CREATE TABLE IF NOT EXISTS jobs (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  seed INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT, method_key TEXT, version TEXT,
  options TEXT NOT NULL, weights TEXT NOT NULL, n_items INTEGER, inputs_digest TEXT,
  method_name TEXT, label TEXT, PRIMARY KEY (run_id, method, dataset, seed))"""
_DATASETS = """
CREATE TABLE IF NOT EXISTS datasets (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), dataset TEXT NOT NULL, root TEXT,
  state TEXT NOT NULL, n_items INTEGER, n_official INTEGER, reason TEXT,
  PRIMARY KEY (run_id, dataset))"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT, preset TEXT NOT NULL, created_at TEXT NOT NULL,
  config TEXT NOT NULL, env TEXT NOT NULL, weights TEXT NOT NULL, git_revision TEXT,
  status TEXT NOT NULL DEFAULT 'complete', finished_at TEXT, pid INTEGER, host TEXT, error TEXT);
{_PER_IMAGE};
{_SET_LEVEL};
{_FAILURES};
{_IMAGE_DIRS};
{_JOBS};
{_DATASETS};
"""

# -- version 2 (what the v1 -> v2 step creates; v2 -> v3 rebuilds from it) ------------------------
_SET_LEVEL_V2 = f"""
CREATE TABLE IF NOT EXISTS set_level (
  run_id INTEGER NOT NULL REFERENCES runs(run_id), method TEXT NOT NULL, dataset TEXT NOT NULL,
  metric TEXT NOT NULL, value REAL, ci_low REAL, ci_high REAL, n INTEGER,
  {_STATUS_CHECK}, note TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (run_id, method, dataset, metric))"""
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

#: the seed a v2 row came from: v2 kept one row per cell, the last seed of its run's preset wrote it
#: (jobs run seed by seed, in preset order), so that is the seed the stored numbers belong to
_V2_SEED = (
    "(SELECT CASE WHEN json_valid(r.config) THEN COALESCE(json_extract(r.config, '$.seeds[#-1]'), 0) "
    "ELSE 0 END FROM runs r WHERE r.run_id = {t}.run_id)"
)


def _rebuild(table: str, create: str, columns: str, select: str) -> list[str]:
    """Statements that copy ``table`` into its new definition (SQLite cannot change a primary key)."""
    return [
        f"ALTER TABLE {table} RENAME TO {table}_old",
        create,
        f"INSERT INTO {table} ({columns}) SELECT {select} FROM {table}_old",
        f"DROP TABLE {table}_old",
    ]


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
        _SET_LEVEL_V2,
        "INSERT INTO set_level SELECT * FROM set_level_v1",
        "DROP TABLE set_level_v1",
        *filter(str.strip, _V2_TABLES.split(";")),
    ],
    2: [
        # a seed column in every table a job writes, and in the primary keys
        *_rebuild("set_level", _SET_LEVEL,
                  "run_id, method, dataset, metric, seed, value, ci_low, ci_high, n, status, note, updated_at",
                  f"run_id, method, dataset, metric, {_V2_SEED.format(t='set_level_old')}, value, ci_low, "
                  "ci_high, n, status, note, updated_at"),
        *_rebuild("per_image", _PER_IMAGE, "run_id, method, dataset, image, metric, seed, value, updated_at",
                  f"run_id, method, dataset, image, metric, {_V2_SEED.format(t='per_image_old')}, value, updated_at"),
        *_rebuild("failures", _FAILURES, "run_id, method, dataset, image, seed, error, updated_at",
                  f"run_id, method, dataset, image, {_V2_SEED.format(t='failures_old')}, error, updated_at"),
        *_rebuild("image_dirs", _IMAGE_DIRS, "run_id, dataset, role, method, seed, path",
                  f"run_id, dataset, role, method, CASE WHEN role = 'output' THEN "
                  f"{_V2_SEED.format(t='image_dirs_old')} ELSE 0 END, path"),
        # v2 keyed jobs by method name already (= the entry id of a method listed once)
        "ALTER TABLE jobs ADD COLUMN method_name TEXT",
        "ALTER TABLE jobs ADD COLUMN label TEXT",
        "UPDATE jobs SET method_name = method",
    ],
}  # fmt: skip


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


def check_seed(seed: object) -> int:
    """A seed must be an integer (what presets allow)."""
    if isinstance(seed, bool) or not isinstance(seed, int) and not (hasattr(seed, "__index__")):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return int(seed)  # numpy integers too


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
