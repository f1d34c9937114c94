"""Read side of :class:`~benchmarks.results.ResultsStore`: every query returns a pandas DataFrame.

``run_id=None`` means "the latest": for each (method, dataset, metric, seed) the row of the
highest run id that has one. Runs are numbered in creation order, so a later run of a method
overrides an earlier one, while methods only an earlier run computed still show up. ``method`` is
the preset entry's id (:mod:`benchmarks.results.method_ids`); rows carry their ``seed``
(:func:`benchmarks.results.seeds.mean_over_seeds` makes one cell per method).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from typing import Any

import pandas as pd

SET_LEVEL_COLUMNS = [
    "run_id",
    "method",
    "dataset",
    "metric",
    "seed",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "status",
    "note",
]
PER_IMAGE_COLUMNS = ["run_id", "method", "dataset", "image", "metric", "seed", "value"]
RUN_COLUMNS = [
    "run_id", "preset", "status", "created_at", "finished_at", "git_revision", "n_per_image", "n_set_level",
    "n_failures",
]  # fmt: skip
JOB_COLUMNS = ["run_id", "method", "dataset", "seed", "state", "reason", "method_key", "version", "options",
               "weights", "n_items", "inputs_digest", "method_name", "label"]  # fmt: skip
DATASET_COLUMNS = ["run_id", "dataset", "root", "state", "n_items", "n_official", "reason"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def effective_status(status: str | None, pid: object = None, host: object = None) -> str:
    """A run's status as readers should show it: a "running" run whose process is gone was interrupted.

    Liveness can only be checked on the machine that started the run; elsewhere "running" stays.
    """
    if status != "running":
        return status or "unknown"
    if host == socket.gethostname() and pid is not None and not pd.isna(pid) and not _alive(int(pid)):
        return "interrupted"
    return "running"


class QueryMixin:
    """Queries shared by the store; expects ``self._con`` and ``self._lock``."""

    _con: sqlite3.Connection | None

    def _frame(self, sql: str, params: tuple = (), columns: list[str] | None = None) -> pd.DataFrame:
        with self._lock:
            if self._con is None:
                raise ValueError(f"results store {self.path} is closed")
            cur = self._con.execute(sql, params)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        df = pd.DataFrame(rows, columns=names)
        return df[columns] if columns else df

    def runs(self) -> pd.DataFrame:
        """One row per run: id, preset, status (running / complete / failed / interrupted), times
        (UTC), git revision and row counts."""
        df = self._frame(
            "SELECT r.run_id, r.preset, r.status, r.pid, r.host, r.created_at, r.finished_at, r.git_revision,"
            " (SELECT COUNT(*) FROM per_image p WHERE p.run_id = r.run_id) AS n_per_image,"
            " (SELECT COUNT(*) FROM set_level s WHERE s.run_id = r.run_id) AS n_set_level,"
            " (SELECT COUNT(*) FROM failures f WHERE f.run_id = r.run_id) AS n_failures"
            " FROM runs r ORDER BY r.run_id",
        )
        df["status"] = [effective_status(s, p, h) for s, p, h in zip(df["status"], df["pid"], df["host"])]
        return df[RUN_COLUMNS]

    def run_statuses(self) -> dict[int, str]:
        """run_id -> effective status (see :func:`effective_status`)."""
        runs = self.runs()
        return dict(zip(runs["run_id"].astype(int), runs["status"]))

    def latest_run_id(self) -> int | None:
        """The newest run's id, or ``None`` for an empty store."""
        df = self._frame("SELECT MAX(run_id) AS r FROM runs")
        return None if df.empty or pd.isna(df.loc[0, "r"]) else int(df.loc[0, "r"])

    def run(self, run_id: int) -> dict[str, Any]:
        """Everything recorded about one run: preset, created_at, config, env, weights, git_revision.

        Raises:
            KeyError: unknown ``run_id``.
        """
        df = self._frame("SELECT * FROM runs WHERE run_id = ?", (int(run_id),))
        if df.empty:
            known = self.runs()["run_id"].tolist()
            raise KeyError(f"unknown run_id {run_id!r}; known: {known}")
        rec = df.iloc[0].to_dict()
        out: dict[str, Any] = {"run_id": int(rec["run_id"])}
        for key in ("preset", "created_at", "git_revision", "finished_at", "error"):
            out[key] = None if pd.isna(rec[key]) else rec[key]
        out["status"] = effective_status(rec["status"], rec["pid"], rec["host"])
        for key in ("config", "env", "weights"):
            out[key] = json.loads(rec[key])
        return out

    def set_level(self, run_id: int | None = None) -> pd.DataFrame:
        """Set-level cells with columns ``SET_LEVEL_COLUMNS`` plus ``run_status`` (the effective status
        of the run each row comes from).

        Args:
            run_id: one run, or ``None`` for the latest row per (method, dataset, metric, seed) across
                runs. A "pending" cell (planned, never scored: its run was interrupted or still runs)
                is used only when no run scored that cell.
        """
        if run_id is not None:
            sql, params = "SELECT * FROM set_level WHERE run_id = ?", (int(run_id),)
        else:
            sql, params = (
                "SELECT s.* FROM set_level s JOIN (SELECT method, dataset, metric, seed,"
                " COALESCE(MAX(CASE WHEN status != 'pending' THEN run_id END), MAX(run_id)) AS run_id"
                " FROM set_level GROUP BY method, dataset, metric, seed) k"
                " USING (method, dataset, metric, seed, run_id)",
                (),
            )
        df = self._frame(sql + " ORDER BY dataset, metric, method, seed", params, SET_LEVEL_COLUMNS)
        statuses = self.run_statuses()
        df["run_status"] = [statuses.get(int(r), "unknown") for r in df["run_id"]]
        df["n"] = df["n"].astype("Int64")
        df["seed"] = df["seed"].astype(int)
        df["value"] = df["value"].astype(float)
        df["note"] = df["note"].astype(object).where(df["note"].notna(), None)
        return df.reset_index(drop=True)

    def per_image(
        self, run_id: int | None = None, method: str | None = None, dataset: str | None = None
    ) -> pd.DataFrame:
        """Per-image scores in long format (``PER_IMAGE_COLUMNS``).

        Args:
            run_id: one run, or ``None`` for, per (method, dataset, metric, seed), the scores of the
                latest run that has any.
            method, dataset: optional filters.
        """
        where, params = [], []
        for col, val in (("method", method), ("dataset", dataset)):
            if val is not None:
                where.append(f"p.{col} = ?")
                params.append(val)
        if run_id is not None:
            where.append("p.run_id = ?")
            params.append(int(run_id))
            sql = "SELECT p.* FROM per_image p"
        else:
            sql = (
                "SELECT p.* FROM per_image p JOIN (SELECT method, dataset, metric, seed, MAX(run_id) AS run_id"
                " FROM per_image GROUP BY method, dataset, metric, seed) k"
                " ON p.method = k.method AND p.dataset = k.dataset AND p.metric = k.metric AND p.seed = k.seed"
                " AND p.run_id = k.run_id"
            )
        if where:
            sql += " WHERE " + " AND ".join(where)
        df = self._frame(
            sql + " ORDER BY p.dataset, p.method, p.metric, p.seed, p.image", tuple(params), PER_IMAGE_COLUMNS
        )
        df["value"] = df["value"].astype(float)
        df["seed"] = df["seed"].astype(int)
        return df.reset_index(drop=True)

    def failures(self, run_id: int | None = None) -> pd.DataFrame:
        """Recorded failures (run_id, method, dataset, image, seed, error, updated_at); all runs when ``run_id`` is None."""
        sql, params = "SELECT * FROM failures", ()
        if run_id is not None:
            sql, params = sql + " WHERE run_id = ?", (int(run_id),)
        return self._frame(
            sql + " ORDER BY run_id, dataset, method, seed, image", params,
            ["run_id", "method", "dataset", "image", "seed", "error", "updated_at"],
        )  # fmt: skip

    def image_dirs(self, run_id: int | None = None) -> pd.DataFrame:
        """Recorded image folders (run_id, dataset, role, method, seed, path); latest per (dataset, role,
        method, seed) if None."""
        if run_id is not None:
            sql, params = "SELECT * FROM image_dirs WHERE run_id = ?", (int(run_id),)
        else:
            sql, params = (
                "SELECT d.* FROM image_dirs d JOIN (SELECT dataset, role, method, seed, MAX(run_id) AS run_id"
                " FROM image_dirs GROUP BY dataset, role, method, seed) k USING (dataset, role, method, seed, run_id)",
                (),
            )
        df = self._frame(
            sql + " ORDER BY dataset, role, method, seed", params,
            ["run_id", "dataset", "role", "method", "seed", "path"],
        )  # fmt: skip
        df["method"] = df["method"].astype(object).where(df["method"] != "", None)
        return df

    def jobs(self, run_id: int | None = None) -> pd.DataFrame:
        """Per-job provenance (``JOB_COLUMNS``; ``options`` and ``weights`` decoded from JSON)."""
        sql, params = "SELECT * FROM jobs", ()
        if run_id is not None:
            sql, params = sql + " WHERE run_id = ?", (int(run_id),)
        df = self._frame(sql + " ORDER BY run_id, dataset, method, seed", params, JOB_COLUMNS)
        for col in ("options", "weights"):
            df[col] = [json.loads(v) if isinstance(v, str) else {} for v in df[col]]
        return df

    def method_labels(self, run_id: int | None = None) -> dict[str, str]:
        """Entry id -> the display label its preset gave it (only labelled entries; newest run wins)."""
        sql, params = "SELECT method, label FROM jobs WHERE label IS NOT NULL", ()
        if run_id is not None:
            sql, params = sql + " AND run_id = ?", (int(run_id),)
        df = self._frame(sql + " ORDER BY run_id", params)
        return dict(zip(df["method"], df["label"]))

    def datasets(self, run_id: int | None = None) -> pd.DataFrame:
        """What runs found of each dataset (``DATASET_COLUMNS``); the latest run per dataset if ``None``."""
        if run_id is not None:
            sql, params = "SELECT * FROM datasets WHERE run_id = ?", (int(run_id),)
        else:
            sql, params = (
                "SELECT d.* FROM datasets d JOIN (SELECT dataset, MAX(run_id) AS run_id FROM datasets"
                " GROUP BY dataset) k USING (dataset, run_id)",
                (),
            )
        df = self._frame(sql + " ORDER BY dataset", params, DATASET_COLUMNS)
        for col in ("n_items", "n_official"):
            df[col] = df[col].astype("Int64")
        return df
