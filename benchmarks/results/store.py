"""The results store: one SQLite (WAL) file per results directory, written by the runner.

Every write is one transaction and an idempotent upsert keyed by what it describes, so a run that
is killed and resumed leaves exactly the rows an uninterrupted run leaves, and two processes
(e.g. ``torchrun`` shards) may write to the same file: SQLite's WAL lets readers run while one
writer holds the lock, and ``busy_timeout`` makes a second writer wait instead of failing.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from benchmarks.results.queries import QueryMixin
from benchmarks.results.schema import (
    MIGRATIONS,
    RUN_STATUSES,
    SCHEMA,
    SCHEMA_VERSION,
    check_key,
    resolve_db_path,
)
from benchmarks.results.writers import WriteMixin, utc_now


class ResultsStore(WriteMixin, QueryMixin):
    """Runs, per-image metrics, set-level metrics and failures of one results directory.

    Args:
        path_or_dir: a results directory (the file is ``<dir>/results.sqlite``) or a ``.sqlite`` file.
        create: make the directory and an empty database when missing; with ``False`` a missing
            file raises instead (what tables and reports want: they never create results).

    Raises:
        FileNotFoundError: ``create=False`` and there is no database.
        ValueError: the file was written by a newer schema.

    Example:
        >>> import tempfile
        >>> with ResultsStore(tempfile.mkdtemp()) as store:
        ...     rid = store.add_run("smoke", {"seed": 0}, {"torch": "2.1"})
        ...     store.put_set_level(rid, "bicubic", "sample", "psnr", 24.5, n=3)
        ...     float(store.set_level().loc[0, "value"])
        24.5
    """

    def __init__(self, path_or_dir: str | Path, *, create: bool = True) -> None:
        self.path = resolve_db_path(path_or_dir)
        if not self.path.exists():
            if not create:
                raise FileNotFoundError(f"no results database at {self.path} (run `pasd-bench run` first)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # autocommit mode: every transaction below is an explicit BEGIN IMMEDIATE
        self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across process crashes
        self._con.execute("PRAGMA busy_timeout=60000")
        self._con.execute("PRAGMA foreign_keys=ON")
        version = self._con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self._con.close()
            raise ValueError(f"{self.path} has schema {version}; this pasd-bench reads <= {SCHEMA_VERSION}")
        fresh = self._con.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0] == 0
        with self._transaction() as con:
            if fresh:
                for stmt in filter(str.strip, SCHEMA.split(";")):
                    con.execute(stmt)
            else:  # an older file: migrate in place, one version at a time, in this one transaction
                for v in range(max(version, 1), SCHEMA_VERSION):
                    for stmt in MIGRATIONS[v]:
                        con.execute(stmt)
            con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # ---- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._con is None:
                raise ValueError(f"results store {self.path} is closed")
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _require_run(self, con: sqlite3.Connection, run_id: int) -> None:
        if con.execute("SELECT 1 FROM runs WHERE run_id = ?", (int(run_id),)).fetchone() is None:
            raise KeyError(
                f"unknown run_id {run_id!r}; known: {[r[0] for r in con.execute('SELECT run_id FROM runs')]}"
            )

    # ---- runs (the other writes are in WriteMixin) -------------------------------------------
    def add_run(
        self,
        preset: str,
        config: Mapping[str, Any],
        env: Mapping[str, Any],
        weights: Mapping[str, Any] | None = None,
        git_revision: str | None = None,
        *,
        status: str = "complete",
    ) -> int:
        """Record a new run and return its id.

        Args:
            preset: preset name or config file the run came from.
            config: the resolved configuration (JSON-serialisable; other objects are stored as ``str``).
            env: :func:`benchmarks.env.collect_env` output.
            weights: artifact name -> identity of the weights the run used
                (:func:`pasd.hub.identify`: kind, value, path).
            git_revision: the code revision (``"<sha>-dirty"`` for a modified tree).
            status: ``"running"`` for a run that will call :meth:`finish_run` (the runner);
                ``"complete"`` (default) for a record written in one go.

        Raises:
            ValueError: unknown status.
        """
        check_key("preset", preset)
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {RUN_STATUSES}")
        row = (preset, utc_now(), _dumps(config), _dumps(env), _dumps(weights or {}), git_revision, status,
               os.getpid(), socket.gethostname())  # fmt: skip
        with self._transaction() as con:
            cur = con.execute(
                "INSERT INTO runs (preset, created_at, config, env, weights, git_revision, status, pid, host)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, error: str | None = None) -> None:
        """Mark a run ``"complete"``, ``"failed"`` or ``"interrupted"`` (with the error, if any).

        Raises:
            ValueError: unknown status. KeyError: unknown ``run_id``.
        """
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(
                f"a run finishes as one of {[s for s in RUN_STATUSES if s != 'running']}, got {status!r}"
            )
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.execute(
                "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE run_id = ?",
                (status, utc_now(), error, int(run_id)),
            )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)
