"""Metric-drift checks: golden numbers, tolerance tiers, environment and protocol diffs.

``record_golden`` writes a snapshot of a results folder (:mod:`.snapshot`); ``check_golden``
compares a results folder with one, ``diff_results`` compares two results folders; both
return a :class:`~.compare.DriftReport` whose ``exit_code`` is 0 (ok), 1 (drift) or 2
(unusable input). Tolerances come from ``tiers.toml`` (:mod:`.tiers`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.drift.compare import DriftReport, compare_snapshots
from benchmarks.drift.records import RunRecord, read_run
from benchmarks.drift.report import format_report
from benchmarks.drift.snapshot import load_snapshot, take_snapshot
from benchmarks.drift.tiers import Tier, TierPolicy, TierTable, load_tiers
from pasd.utils.io import atomic_write_json

#: the suite's own golden file: the `sample` dataset, bicubic / lanczos / pasd-tiny
SAMPLE_GOLDEN = Path(__file__).resolve().parent / "golden" / "sample.json"


def record_golden(results_dir: str | Path, out: str | Path, run_id: int | None = None) -> dict[str, Any]:
    """Snapshot ``results_dir`` into the golden file ``out`` (written atomically).

    Returns:
        The snapshot.

    Raises:
        FileNotFoundError / KeyError / ValueError: see :func:`take_snapshot`.
    """
    snap = take_snapshot(results_dir, run_id)
    atomic_write_json(out, snap)
    return snap


def check_golden(
    results_dir: str | Path, golden: str | Path | dict[str, Any], policy: TierPolicy | None = None,
    run_id: int | None = None, allow_env_change: bool = False,
) -> DriftReport:  # fmt: skip
    """Compare ``results_dir`` with a golden file (or an already loaded snapshot)."""
    ref = golden if isinstance(golden, dict) else load_snapshot(golden)
    return compare_snapshots(
        ref, take_snapshot(results_dir, run_id), policy or TierPolicy(load_tiers()), allow_env_change
    )


def diff_results(
    dir_a: str | Path, dir_b: str | Path, policy: TierPolicy | None = None, run_a: int | None = None,
    run_b: int | None = None, allow_env_change: bool = False,
) -> DriftReport:  # fmt: skip
    """Compare two results folders cell by cell (A plays the golden side)."""
    a, b = take_snapshot(dir_a, run_a), take_snapshot(dir_b, run_b)
    return compare_snapshots(a, b, policy or TierPolicy(load_tiers()), allow_env_change)


__all__ = [
    "SAMPLE_GOLDEN", "DriftReport", "RunRecord", "Tier", "TierPolicy", "TierTable", "check_golden",
    "compare_snapshots", "diff_results", "format_report", "load_snapshot", "load_tiers", "read_run",
    "record_golden", "take_snapshot",
]  # fmt: skip
