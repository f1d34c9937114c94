"""Write side of :class:`~benchmarks.results.ResultsStore`: idempotent upserts, one transaction each.

Each primary key is the identity of what the row describes, so ``INSERT ... ON CONFLICT DO
UPDATE`` makes a repeated write (a resumed run) replace the row instead of adding one. Every
value is checked before the transaction starts; a rejected call writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.results.schema import (
    DATASET_STATES,
    ROLES,
    check_finite,
    check_key,
    check_seed,
    check_set_level,
)


def utc_now() -> str:
    """ISO-8601 UTC timestamp with microseconds, e.g. ``2026-11-26T08:15:00.000000Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WriteMixin:
    """Per-image scores, set-level cells, failures, image folders; uses ``_transaction``, ``_require_run``."""

    def put_per_image(
        self,
        run_id: int,
        method: str,
        dataset: str,
        image: str,
        metrics: Mapping[str, float],
        *,
        seed: int = 0,
    ) -> None:
        """Store (or replace) one image's scores; all metrics or none are written.

        Args:
            method: the preset entry's id (:mod:`benchmarks.results.method_ids`).
            seed: the job's seed.

        Raises:
            ValueError: an empty key or a non-finite score. KeyError: unknown ``run_id``.
        """
        rows = [(m, check_finite(f"{method}/{dataset}/{image}/{m}", v)) for m, v in metrics.items()]
        self._put_per_image_rows(
            run_id, method, dataset, [(check_key("image", image), m, v) for m, v in rows], seed
        )

    def put_per_image_frame(
        self, run_id: int, method: str, dataset: str, df: pd.DataFrame, *, seed: int = 0
    ) -> None:
        """Store a frame with an ``image`` column and one column per metric, in one transaction.

        Raises:
            ValueError: no ``image`` column, duplicate images, or a NaN/inf cell (named by image and metric).
        """
        if "image" not in df.columns:
            raise ValueError(f"frame needs an 'image' column; got columns {list(df.columns)}")
        if df["image"].duplicated().any():
            raise ValueError(
                f"duplicate images in frame: {sorted(set(df.loc[df['image'].duplicated(), 'image']))}"
            )
        metrics = [c for c in df.columns if c != "image"]
        rows = []
        for rec in df.to_dict("records"):
            image = check_key("image", str(rec["image"]))
            rows += [(image, m, check_finite(f"{method}/{dataset}/{image}/{m}", rec[m])) for m in metrics]
        self._put_per_image_rows(run_id, method, dataset, rows, seed)

    def _put_per_image_rows(
        self, run_id: int, method: str, dataset: str, rows: list[tuple[str, str, float]], seed: int
    ) -> None:
        check_key("method", method)
        check_key("dataset", dataset)
        seed = check_seed(seed)
        for _, m, _ in rows:
            check_key("metric", m)
        now = utc_now()
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.executemany(
                "INSERT INTO per_image (run_id, method, dataset, image, metric, seed, value, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, method, dataset, image, metric, seed)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [(int(run_id), method, dataset, img, m, seed, v, now) for img, m, v in rows],
            )

    def put_set_level(
        self,
        run_id: int,
        method: str,
        dataset: str,
        metric: str,
        value: float | None,
        *,
        ci_low: float | None = None,
        ci_high: float | None = None,
        n: int | None = None,
        status: str = "ok",
        note: str | None = None,
        seed: int = 0,
    ) -> None:
        """Store (or replace) one set-level cell: a mean/FID with its CI, or why there is no number.

        Args:
            method: the preset entry's id (:mod:`benchmarks.results.method_ids`).
            value: the number; must be ``None`` unless ``status == "ok"``.
            ci_low, ci_high: bootstrap confidence limits (both or neither).
            n: images the value was computed on.
            status: ``"ok"``, ``"weights-missing"``, ``"not-available"`` or ``"failed"``.
            note: free text shown next to the cell (e.g. which weights are missing).
            seed: the job's seed.

        Raises:
            ValueError: see :func:`benchmarks.results.schema.check_set_level`. KeyError: unknown ``run_id``.
        """
        for what, key in (("method", method), ("dataset", dataset), ("metric", metric)):
            check_key(what, key)
        seed = check_seed(seed)
        v, lo, hi, n = check_set_level(value, ci_low, ci_high, n, status)
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.execute(
                "INSERT INTO set_level (run_id, method, dataset, metric, seed, value, ci_low, ci_high, n, status,"
                " note, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, method, dataset, metric, seed)"
                " DO UPDATE SET value = excluded.value, ci_low = excluded.ci_low, ci_high = excluded.ci_high,"
                " n = excluded.n, status = excluded.status, note = excluded.note, updated_at = excluded.updated_at",
                (int(run_id), method, dataset, metric, seed, v, lo, hi, n, status, note, utc_now()),
            )

    def put_failure(
        self, run_id: int, method: str, dataset: str, image: str, error: str, *, seed: int = 0
    ) -> None:
        """Record that ``method`` failed on ``image`` (the latest error per image and seed is kept)."""
        for what, key in (("method", method), ("dataset", dataset), ("image", image)):
            check_key(what, key)
        seed = check_seed(seed)
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.execute(
                "INSERT INTO failures (run_id, method, dataset, image, seed, error, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, method, dataset, image, seed)"
                " DO UPDATE SET error = excluded.error, updated_at = excluded.updated_at",
                (int(run_id), method, dataset, image, seed, str(error), utc_now()),
            )

    def clear_failure(self, run_id: int, method: str, dataset: str, image: str, *, seed: int = 0) -> None:
        """Forget a failure once a resumed run succeeded on that image."""
        with self._transaction() as con:
            con.execute(
                "DELETE FROM failures WHERE run_id = ? AND method = ? AND dataset = ? AND image = ? AND seed = ?",
                (int(run_id), method, dataset, image, int(seed)),
            )

    def put_image_dir(
        self,
        run_id: int,
        dataset: str,
        path: str | Path,
        *,
        method: str | None = None,
        role: str = "output",
        seed: int = 0,
    ) -> None:
        """Remember where images live, so reports can draw comparison grids without re-running.

        Args:
            role: ``"output"`` (a method's outputs; ``method`` required), ``"lq"`` or ``"hq"`` (the dataset's inputs).
            seed: the outputs' seed (inputs are recorded with seed 0).
        """
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {ROLES}")
        if (role == "output") != (method is not None):
            raise ValueError(f"role {role!r}: method is required for 'output' and not allowed otherwise")
        check_key("dataset", dataset)
        seed = check_seed(seed) if role == "output" else 0
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.execute(
                "INSERT INTO image_dirs (run_id, dataset, role, method, seed, path) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, dataset, role, method, seed) DO UPDATE SET path = excluded.path",
                (int(run_id), dataset, role, method or "", seed, str(Path(path).resolve())),
            )

    def put_job(
        self,
        run_id: int,
        method: str,
        dataset: str,
        seed: int,
        *,
        state: str,
        reason: str | None = None,
        method_key: str | None = None,
        version: str | None = None,
        options: Mapping[str, Any] | None = None,
        weights: Mapping[str, Any] | None = None,
        n_items: int | None = None,
        inputs_digest: str | None = None,
        method_name: str | None = None,
        label: str | None = None,
    ) -> None:
        """Record (or update) the provenance of one job: what ran, with which settings and weights.

        Args:
            method: the preset entry's id (:mod:`benchmarks.results.method_ids`).
            state: the plan's state (``ready``, ``cached``, ``weights-missing``, ...).
            method_key: the output-cache key (:meth:`baselines.base.Method.cache_key`).
            version: the adapter's version.
            options: every effective setting of the method (``Method.options``).
            weights: artifact -> identity (sha256 / HF commit / fingerprint) of the weights used.
            n_items: images the job had.
            inputs_digest: SHA-256 over the (image id, input-pixel digest) pairs it processed.
            method_name: the registry name (default: the name part of ``method``).
            label: the entry's display label, if the preset gave one (tables show it).
        """
        from benchmarks.results.method_ids import base_method

        for what, key in (("method", method), ("dataset", dataset), ("state", state)):
            check_key(what, key)
        row = (int(run_id), method, dataset, check_seed(seed), state, reason, method_key, version,
               json.dumps(options or {}, sort_keys=True, default=str), json.dumps(weights or {}, sort_keys=True, default=str),
               n_items, inputs_digest, method_name or base_method(method), label)  # fmt: skip
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.execute(
                "INSERT INTO jobs (run_id, method, dataset, seed, state, reason, method_key, version, options, weights,"
                " n_items, inputs_digest, method_name, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, method, dataset, seed)"
                " DO UPDATE SET state = excluded.state, reason = excluded.reason, method_key = excluded.method_key,"
                " version = excluded.version, options = excluded.options, weights = excluded.weights,"
                " n_items = COALESCE(excluded.n_items, n_items),"
                " inputs_digest = COALESCE(excluded.inputs_digest, inputs_digest),"
                " method_name = excluded.method_name, label = COALESCE(excluded.label, label)",
                row,
            )

    def put_dataset(
        self,
        run_id: int,
        dataset: str,
        *,
        state: str,
        n_items: int | None,
        n_official: int | None,
        root: str | Path | None = None,
        reason: str | None = None,
    ) -> None:
        """Record what a run found of a dataset: ``ok`` (the official count), ``partial`` or ``missing``.

        Raises:
            ValueError: unknown state, or a negative count.
        """
        check_key("dataset", dataset)
        if state not in DATASET_STATES:
            raise ValueError(f"dataset state {state!r} is not one of {DATASET_STATES}")
        for what, n in (("n_items", n_items), ("n_official", n_official)):
            if n is not None and (isinstance(n, bool) or int(n) != n or n < 0):
                raise ValueError(f"{what} must be a non-negative integer, got {n!r}")
        with self._transaction() as con:
            self._require_run(con, run_id)
            con.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, dataset)"
                " DO UPDATE SET root = excluded.root, state = excluded.state, n_items = excluded.n_items,"
                " n_official = excluded.n_official, reason = excluded.reason",
                (
                    int(run_id),
                    dataset,
                    None if root is None else str(root),
                    state,
                    n_items,
                    n_official,
                    reason,
                ),
            )
