"""``study analyze``: load votes, apply exclusions, run every statistic, write CSV/JSON and the chart."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from benchmarks.study.bradley_terry import bradley_terry_table, pairwise_wins
from benchmarks.study.spec import VOTES_DB, load_study
from benchmarks.study.stats import chi_square_uniform, fleiss, position_bias, vote_shares
from pasd.utils.io import atomic_write_json, atomic_write_text

logger = logging.getLogger(__name__)

REQUIRED = ("participant", "trial_id", "kind", "display_order", "chosen_method", "chosen_position")


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
        df = pd.read_csv(votes_csv, dtype={"participant": str, "trial_id": str}, keep_default_na=False)
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            raise ValueError(f"{votes_csv} lacks columns {missing}")
        df["display_order"] = df["display_order"].str.split("|")
        df["completed"] = df["completed"].astype(int).astype(bool) if "completed" in df else True
        return df
    from benchmarks.study.export import vote_records
    from benchmarks.study.store import VoteStore

    db = Path(study_dir) / VOTES_DB
    if not db.is_file():
        raise FileNotFoundError(f"no votes yet: {db} does not exist (serve the study first)")
    return pd.DataFrame(vote_records(VoteStore(db, load_study(study_dir))), columns=None)


def rater_table(votes: pd.DataFrame) -> pd.DataFrame:
    """Per rater: votes, gold trials seen and failed, completion, whether gold flags them, and two
    careless-rating signals for review: the share of votes at their favourite screen position
    (near 1.0: always clicking the same place) and their median response time."""
    gold = votes[votes["kind"] == "gold"]
    failed = gold["chosen_method"] != "__gold_clean__"
    table = pd.DataFrame(
        {
            "votes": votes.groupby("participant").size(),
            "main_votes": votes[votes["kind"] == "main"].groupby("participant").size(),
            "gold_trials": gold.groupby("participant").size(),
            "gold_failed": failed.groupby(gold["participant"]).sum(),
            "completed": votes.groupby("participant")["completed"].max() if "completed" in votes else True,
        }
    ).fillna(0)
    for col in ("votes", "main_votes", "gold_trials", "gold_failed"):
        table[col] = table[col].astype(int)
    table["completed"] = table["completed"].astype(bool)
    table["flagged_gold"] = table["gold_failed"] > 0
    main = votes[votes["kind"] == "main"]
    per_pos = main.groupby("participant")["chosen_position"].agg(
        lambda s: s.value_counts(normalize=True).max()
    )
    table["top_position_share"] = per_pos.reindex(table.index)
    if "rt_client_ms" in votes:
        rt = pd.to_numeric(votes["rt_client_ms"], errors="coerce")
        table["median_rt_ms"] = rt.groupby(votes["participant"]).median().reindex(table.index)
    table.index.name = "participant"
    return table


def analyze_votes(
    votes: pd.DataFrame,
    methods: list[str],
    *,
    exclude_gold_failures: bool = False,
    complete_only: bool = False,
    alpha: float = 0.05,
    n_boot: int = 1000,
    seed: int = 0,
) -> AnalysisResult:
    """Run every statistic on a vote table (see :data:`REQUIRED` for its columns).

    Args:
        votes: one row per vote, main and gold trials.
        methods: all methods of the study (a method with no votes still gets a row).
        exclude_gold_failures: drop raters who failed any gold trial.
        complete_only: drop raters who did not finish.
        alpha: 1 - coverage of all intervals.
        n_boot: bootstrap replicates for Bradley-Terry intervals.
        seed: bootstrap seed.

    Raises:
        ValueError: a vote names a method not in ``methods``, or no main votes remain.
    """
    raters = rater_table(votes)
    keep = pd.Series(True, index=raters.index)
    if exclude_gold_failures:
        keep &= ~raters["flagged_gold"]
    if complete_only:
        keep &= raters["completed"]
    raters["included"] = keep
    main = votes[(votes["kind"] == "main") & votes["participant"].isin(keep[keep].index)]
    unknown = sorted(set(main["chosen_method"]) - set(methods))
    if unknown:
        raise ValueError(f"votes name methods {unknown} that are not in the study {methods}")
    if main.empty:
        raise ValueError("no main-trial votes left to analyze (after exclusions)")
    counts = main["chosen_method"].value_counts().reindex(methods, fill_value=0)
    summary = vote_shares(counts, alpha=alpha).join(bradley_terry_table(main, methods, n_boot, alpha, seed))
    n_opt = int(main["display_order"].map(len).max())
    wins = pairwise_wins(main, methods)
    report = {
        "alpha": alpha,
        "n_raters": int(keep.sum()),
        "n_raters_excluded": int((~keep).sum()),
        "excluded": sorted(keep[~keep].index),
        "n_votes": len(main),
        "n_images": int(main["trial_id"].nunique()),
        "chi_square_uniform": chi_square_uniform(counts),
        "position_bias": position_bias(main["chosen_position"].astype(int), n_opt),
        "fleiss": fleiss(main, methods),
        "gold": {
            "trials": int(raters["gold_trials"].sum()),
            "failed": int(raters["gold_failed"].sum()),
            "flagged_raters": sorted(raters.index[raters["flagged_gold"]]),
        },
        "pairwise_wins": {m: dict(zip(methods, map(float, row))) for m, row in zip(methods, wins)},
        "winner": str(summary.index[0]),
        "note": "chi-square p-values assume independent votes; BT intervals resample raters",
    }
    return AnalysisResult(summary=summary, raters=raters, report=report)


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
        study_dir: the study folder (its ``study.json`` gives the method list).
        out: output folder.
        votes_csv: analyze this CSV export instead of the live database.
        highlight: method drawn in the accent colour (default: the winner).
        **kwargs: passed to :func:`analyze_votes`.
    """
    spec = load_study(study_dir)
    if highlight is not None and highlight not in spec.methods:
        raise ValueError(
            f"--highlight {highlight!r} is not a method of the study; choose from {spec.methods}"
        )
    result = analyze_votes(load_votes(study_dir, votes_csv), spec.methods, **kwargs)
    result.report["study_id"] = spec.study_id
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "summary.csv", result.summary.to_csv(float_format="%.6g"))
    atomic_write_text(out / "raters.csv", result.raters.to_csv())
    atomic_write_json(out / "analysis.json", result.report)
    from benchmarks.study.plot import vote_share_chart

    title = (
        f"{spec.title}: rank-1 votes ({result.report['n_raters']} raters, {result.report['n_votes']} votes)"
    )
    ci = f"error bars: {100 * (1 - result.report['alpha']):g}% simultaneous CI (Goodman)"
    charts = vote_share_chart(result.summary, out / "votes", title=title, highlight=highlight, ci_label=ci)
    result.files = [out / "summary.csv", out / "raters.csv", out / "analysis.json", *charts]
    logger.info("analysis of %s written to %s", spec.study_id, out)
    return result
