"""``study analyze``: load votes, apply exclusions, run the design's statistics, write CSV/JSON and the chart.

- best-of-N: rank-1 vote shares with rater-bootstrap intervals (the chart default) and Goodman
  simultaneous intervals (which treat votes as independent), chi-square, Bradley-Terry on implied
  wins, Fleiss' kappa, position bias.
- pairwise (2AFC with ties): Bradley-Terry strengths (fitted on decided answers) with rater-bootstrap
  intervals, win rates per method and per pair, tie rate, left/right bias.
- MOS: mean opinion score per method with rater-bootstrap and BT.500 intervals.

Every design gets the per-rater quality table of :mod:`benchmarks.study.qc` (gold, repeats,
server-timed speed) and optional exclusions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.study.bradley_terry import bradley_terry_table, pairwise_wins
from benchmarks.study.export import csv_unescape
from benchmarks.study.mos import mos_table
from benchmarks.study.qc import MIN_CONSISTENCY, TOO_FAST_MS, rater_table
from benchmarks.study.spec import TIE, VOTES_DB, load_study
from benchmarks.study.stats import (
    chi_square_uniform,
    fleiss,
    position_bias,
    rater_clustered_shares,
    vote_shares,
)
from pasd.utils.io import atomic_write_json, atomic_write_text

logger = logging.getLogger(__name__)

REQUIRED = ("participant", "trial_id", "kind", "display_order", "chosen_method", "chosen_position")
NUMERIC = ("chosen_position", "rating", "repeat_of", "trial_pos", "rt_server_ms", "rt_client_ms", "screen_w",
           "screen_h", "dpr")  # fmt: skip


@dataclass
class AnalysisResult:
    """``summary``: one row per method; ``raters``: one row per rater; ``report``: everything else."""

    summary: pd.DataFrame
    raters: pd.DataFrame
    report: dict
    files: list[Path] = field(default_factory=list)


def load_votes(study_dir: str | Path, votes_csv: str | Path | None = None) -> pd.DataFrame:
    """Votes as a DataFrame (``display_order`` as lists), from a CSV export or the study database.

    Raises:
        FileNotFoundError: no CSV given and the study has no ``votes.sqlite`` yet.
        ValueError: the CSV lacks required columns.
    """
    if votes_csv is not None:
        df = pd.read_csv(votes_csv, dtype=str, keep_default_na=False)
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            raise ValueError(f"{votes_csv} lacks columns {missing}")
        for col in ("participant", "image", "external_id"):
            if col in df:
                df[col] = df[col].map(csv_unescape)
        df["display_order"] = df["display_order"].str.split("|")
        for col in NUMERIC:
            if col in df:
                df[col] = pd.to_numeric(df[col], errors="coerce")
        df["completed"] = df["completed"].astype(int).astype(bool) if "completed" in df else True
        return df
    from benchmarks.study.export import vote_records
    from benchmarks.study.store import VoteStore

    db = Path(study_dir) / VOTES_DB
    if not db.is_file():
        raise FileNotFoundError(f"no votes yet: {db} does not exist (serve the study first)")
    return pd.DataFrame(vote_records(VoteStore(db, load_study(study_dir))))


def analyze_votes(
    votes: pd.DataFrame,
    methods: list[str],
    *,
    design: str = "best-of-n",
    exclude_gold_failures: bool = False,
    exclude_too_fast: bool = False,
    exclude_inconsistent: bool = False,
    complete_only: bool = False,
    too_fast_ms: float = TOO_FAST_MS,
    min_consistency: float = MIN_CONSISTENCY,
    alpha: float = 0.05,
    n_boot: int = 1000,
    seed: int = 0,
) -> AnalysisResult:
    """Run the design's statistics on a vote table (see :data:`REQUIRED` for its columns).

    Args:
        votes: one row per answer: main, gold and repeat trials.
        methods: all methods of the study (a method with no votes still gets a row).
        design: ``"best-of-n"``, ``"pairwise"`` or ``"mos"``.
        exclude_gold_failures: drop raters who failed any gold trial.
        exclude_too_fast: drop raters whose median server-measured response time is below ``too_fast_ms``.
        exclude_inconsistent: drop raters agreeing with themselves on fewer than ``min_consistency``
            of their repeated trials.
        complete_only: drop raters who did not finish.
        too_fast_ms: the "too fast" threshold.
        min_consistency: the consistency threshold.
        alpha: 1 - coverage of all intervals.
        n_boot: bootstrap replicates (rater-level intervals).
        seed: bootstrap seed.

    Raises:
        ValueError: unknown design, a vote names a method not in ``methods``, or no main votes remain.
    """
    if design not in ("best-of-n", "pairwise", "mos"):
        raise ValueError(f"design {design!r}; allowed: 'best-of-n', 'pairwise', 'mos'")
    raters = rater_table(votes, design, too_fast_ms, min_consistency)
    keep = pd.Series(True, index=raters.index)
    for flag, col in ((exclude_gold_failures, "flagged_gold"), (exclude_too_fast, "flagged_too_fast"),
                      (exclude_inconsistent, "flagged_inconsistent")):  # fmt: skip
        if flag:
            keep &= ~raters[col].fillna(False).astype(bool)
    if complete_only:
        keep &= raters["completed"]
    raters["included"] = keep
    main = votes[(votes["kind"] == "main") & votes["participant"].isin(keep[keep].index)]
    shown = {m for order in main["display_order"] for m in order}
    unknown = sorted((set(main["chosen_method"]) | shown) - set(methods) - {TIE})
    if unknown:
        raise ValueError(f"votes name methods {unknown} that are not in the study {methods}")
    if main.empty:
        raise ValueError("no main-trial votes left to analyze (after exclusions)")
    report = {
        "design": design,
        "alpha": alpha,
        "n_raters": int(keep.sum()),
        "n_raters_excluded": int((~keep).sum()),
        "excluded": sorted(keep[~keep].index),
        "n_votes": len(main),
        "n_images": int(main["trial_id"].nunique()),
        "raters_per_image": {
            k: int(v)
            for k, v in main.groupby("trial_id")["participant"].nunique().describe()[["min", "max"]].items()
        },
        "gold": {
            "trials": int(raters["gold_trials"].sum()),
            "failed": int(raters["gold_failed"].sum()),
            "flagged_raters": sorted(raters.index[raters["flagged_gold"]]),
        },
        "quality": {
            "too_fast_ms": too_fast_ms,
            "flagged_too_fast": sorted(raters.index[raters["flagged_too_fast"].fillna(False).astype(bool)]),
            "flagged_inconsistent": sorted(
                raters.index[raters["flagged_inconsistent"].fillna(False).astype(bool)]
            ),
            "repeat_agreement": _mean_or_none(raters["consistency"]),
        },
    }
    interval = f"{100 * (1 - alpha):g}% percentile bootstrap over raters ({n_boot} resamples)"
    if design == "mos":
        summary = mos_table(main, methods, n_boot, alpha, seed)
        report["interval"] = interval
        report["note"] = "bt500_low/high: BT.500 mean +- z*s/sqrt(N), which treats ratings as independent"
    elif design == "pairwise":
        summary, extra = _pairwise(main, methods, n_boot, alpha, seed)
        report.update(extra)
        report["interval"] = interval
    else:
        summary, extra = _best_of_n(main, methods, n_boot, alpha, seed)
        report.update(extra)
        report["interval"] = interval
    report["winner"] = str(summary.index[0])
    return AnalysisResult(summary=summary, raters=raters, report=report)


def _min_max(s: pd.Series) -> dict[str, int]:
    return {"min": int(s.min()), "max": int(s.max())}


def _mean_or_none(s: pd.Series) -> float | None:
    s = pd.to_numeric(s, errors="coerce").dropna()
    return None if s.empty else float(s.mean())


def _best_of_n(main: pd.DataFrame, methods: list[str], n_boot: int, alpha: float, seed: int):
    counts = main["chosen_method"].value_counts().reindex(methods, fill_value=0)
    goodman = vote_shares(counts, alpha=alpha).rename(
        columns={"ci_low": "goodman_low", "ci_high": "goodman_high"}
    )
    rater = rater_clustered_shares(main, methods, n_boot, alpha, seed)
    summary = goodman.join(rater[["rater_low", "rater_high"]])
    # the chart's interval: the rater bootstrap; Goodman only when there are too few raters to resample
    summary["ci_low"] = summary["rater_low"].fillna(summary["goodman_low"])
    summary["ci_high"] = summary["rater_high"].fillna(summary["goodman_high"])
    summary = summary.join(bradley_terry_table(main, methods, n_boot, alpha, seed))
    n_opt = int(main["display_order"].map(len).max())
    wins = pairwise_wins(main, methods)
    extra = {
        "chi_square_uniform": chi_square_uniform(counts),
        "position_bias": position_bias(pd.to_numeric(main["chosen_position"]).astype(int), n_opt),
        "fleiss": fleiss(main, methods),
        "pairwise_wins": {m: dict(zip(methods, map(float, row))) for m, row in zip(methods, wins)},
        "note": "chi-square p-values and Goodman intervals assume independent votes; ci_low/ci_high and "
        "BT intervals resample raters",
    }
    return summary, extra


def _pairwise(main: pd.DataFrame, methods: list[str], n_boot: int, alpha: float, seed: int):
    bt = bradley_terry_table(main, methods, n_boot, alpha, seed)
    wins = pairwise_wins(main, methods)  # decided answers only
    ties = np.zeros_like(wins)
    idx = {m: k for k, m in enumerate(methods)}
    for chosen, shown in zip(main["chosen_method"], main["display_order"]):
        if chosen == TIE and len(shown) == 2:
            a, b = idx[shown[0]], idx[shown[1]]
            ties[a, b] += 1
            ties[b, a] += 1
    comparisons = wins + wins.T + ties
    n_cmp = comparisons.sum(axis=1)
    score = wins.sum(axis=1) + ties.sum(axis=1) / 2
    summary = pd.DataFrame(
        {
            "comparisons": n_cmp.astype(int),
            "wins": wins.sum(axis=1).astype(int),
            "ties": ties.sum(axis=1).astype(int),
            # descriptive: (wins + ties / 2) / comparisons
            "win_rate": np.divide(score, n_cmp, out=np.full(len(methods), np.nan), where=n_cmp > 0),
        },
        index=pd.Index(methods, name="method"),
    ).join(bt)
    summary["share"] = summary["bt_strength"]
    summary["ci_low"], summary["ci_high"] = summary["bt_low"], summary["bt_high"]
    summary = summary.sort_values("bt_strength", ascending=False, kind="stable")
    decided = main[main["chosen_method"] != TIE]
    left = (pd.to_numeric(decided["chosen_position"]) == 1).sum()
    pairs = {
        f"{a} vs {b}": {"n": int(comparisons[i, j]), "wins_a": int(wins[i, j]), "wins_b": int(wins[j, i]),
                        "ties": int(ties[i, j])}
        for i, a in enumerate(methods) for j, b in enumerate(methods) if i < j and comparisons[i, j] > 0
    }  # fmt: skip
    extra = {
        "tie_rate": float((main["chosen_method"] == TIE).mean()),
        "pairs": pairs,
        "position_bias": {
            "left_share": float(left / max(1, len(decided))),
            **chi_square_uniform([left, len(decided) - left]),
        },
        "note": "BT strengths are fitted on decided answers (ties carry no order under Davidson's tie model); "
        "BT intervals resample raters",
    }
    return summary, extra


def analyze_study(
    study_dir: str | Path,
    out: str | Path,
    *,
    votes_csv: str | Path | None = None,
    highlight: str | None = None,
    **kwargs,
) -> AnalysisResult:
    """Analyze a study's votes and write ``summary.csv``, ``raters.csv``, ``analysis.json``, ``votes.png/svg``.

    Args:
        study_dir: the study folder (its ``study.json`` gives the methods and the design).
        out: output folder.
        votes_csv: analyze this CSV export instead of the live database.
        highlight: method drawn in the accent colour (default: the winner).
        **kwargs: passed to :func:`analyze_votes`.

    Raises:
        ValueError: unknown ``highlight``, or :func:`analyze_votes` refuses the votes.
        FileNotFoundError: no votes yet.
    """
    spec = load_study(study_dir)
    if highlight is not None and highlight not in spec.methods:
        raise ValueError(
            f"--highlight {highlight!r} is not a method of the study; choose from {spec.methods}"
        )
    result = analyze_votes(load_votes(study_dir, votes_csv), spec.methods, design=spec.design, **kwargs)
    result.report["study_id"] = spec.study_id
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "summary.csv", result.summary.to_csv(float_format="%.6g"))
    atomic_write_text(out / "raters.csv", result.raters.to_csv())
    atomic_write_json(out / "analysis.json", result.report)
    from benchmarks.study.plot import study_chart

    r = result.report
    what = {
        "best-of-n": "rank-1 votes",
        "pairwise": "pairwise preference (Bradley-Terry)",
        "mos": "mean opinion score",
    }
    title = f"{spec.title}: {what[spec.design]} ({r['n_raters']} raters, {r['n_votes']} answers)"
    charts = study_chart(result.summary, out / "votes", spec.design, title=title, highlight=highlight,
                         ci_label=f"error bars: {r['interval']}")  # fmt: skip
    result.files = [out / "summary.csv", out / "raters.csv", out / "analysis.json", *charts]
    logger.info("analysis of %s written to %s", spec.study_id, out)
    return result
