"""One cell per (method, dataset, metric) from the store's per-seed rows, for tables and charts.

The store keeps every seed's cell (``set_level`` rows carry their ``seed``). A paper table has one
number per cell, so with several seeds the table shows their mean; the per-seed values stay in
the store (``pasd-bench results show``) and in the cell's note. The interval of such a cell is the
95% Student-t interval of the mean over seeds (how far another set of seeds could move it), not a
seed's bootstrap interval over images, which says nothing about seed-to-seed spread.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

#: the coverage of the interval over seeds
SEED_CI_LEVEL = 0.95
_KEY = ["method", "dataset", "metric"]


def mean_over_seeds(df: pd.DataFrame) -> pd.DataFrame:
    """Collapse the per-seed rows of a set-level frame into one row per (method, dataset, metric).

    A cell with one seed is kept as it is. With several: ``value`` is the mean when every seed is
    ``ok`` (``n`` = the smallest seed's n, ``ci_low``/``ci_high`` = :func:`seed_interval`, the note
    lists each seed's value); otherwise the
    first seed that is not ``ok`` gives the status and note, so a pending or failed seed is never
    hidden behind an average of the others. An added column ``n_seeds`` says how many seeds.

    Args:
        df: ``ResultsStore.set_level()`` (columns ``SET_LEVEL_COLUMNS`` and ``run_status``).

    Returns:
        A frame with the same columns (``seed``: the lowest seed of the cell) plus ``n_seeds``.
    """
    if df.empty or "seed" not in df.columns:
        return df.assign(n_seeds=pd.Series(dtype="Int64")) if "n_seeds" not in df.columns else df
    rows = []
    for _, group in df.sort_values("seed").groupby(_KEY, sort=False):
        first = group.iloc[0].to_dict()
        first["n_seeds"] = len(group)
        if len(group) == 1:
            rows.append(first)
            continue
        seeds = [int(s) for s in group["seed"]]
        bad = group[group["status"] != "ok"]
        if bad.empty:
            values = [float(v) for v in group["value"]]
            per_seed = ", ".join(f"seed {s}: {v:.6g}" for s, v in zip(seeds, values))
            ns = [int(n) for n in group["n"] if not pd.isna(n)]
            lo, hi = seed_interval(values)
            first.update(
                value=sum(values) / len(values), ci_low=lo, ci_high=hi,
                n=min(ns) if ns else pd.NA, note=f"mean over seeds {seeds} ({per_seed})",
                run_id=int(group["run_id"].max()),
            )  # fmt: skip
        else:
            worst = bad.iloc[0]
            first.update(
                value=float("nan"), ci_low=float("nan"), ci_high=float("nan"), n=pd.NA,
                status=worst["status"], run_status=worst.get("run_status", first.get("run_status")),
                note=f"seed {int(worst['seed'])} of {seeds}: {worst['note'] or worst['status']}",
                run_id=int(worst["run_id"]),
            )  # fmt: skip
        rows.append(first)
    out = pd.DataFrame(rows, columns=[*df.columns, "n_seeds"])
    out["n"] = out["n"].astype("Int64")
    out["n_seeds"] = out["n_seeds"].astype("Int64")
    return out.reset_index(drop=True)


def seed_interval(values: list[float], level: float = SEED_CI_LEVEL) -> tuple[float, float]:
    """The Student-t ``level`` interval of the mean of ``values`` (one per seed; two or more)."""
    k = len(values)
    mean = sum(values) / k
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1))
    half = float(stats.t.ppf(0.5 + level / 2, k - 1)) * sd / math.sqrt(k)
    return mean - half, mean + half


def seed_count(rec: dict) -> int:
    """How many seeds a :func:`mean_over_seeds` row averages (0 for a frame without ``n_seeds``)."""
    n = rec.get("n_seeds")
    try:
        return 0 if n is None or pd.isna(n) else int(n)
    except (TypeError, ValueError):
        return 0


def first_seed(df: pd.DataFrame, by: tuple[str, ...] = ("method", "dataset")) -> pd.DataFrame:
    """The rows of the lowest seed of each ``by`` group (image grids and per-image distributions)."""
    if df.empty or "seed" not in df.columns:
        return df
    lowest = df.groupby(list(by), dropna=False)["seed"].transform("min")
    return df[df["seed"] == lowest].reset_index(drop=True)
