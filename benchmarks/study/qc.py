"""Per-rater quality control: gold trials, repeated-trial consistency, server-timed speed, position habits.

Speed is judged on ``rt_server_ms`` (from serving the trial to receiving the answer, measured by
the server), never on the page's own ``rt_client_ms``, which a script can set to anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.study.spec import GOLD_CLEAN, MOS_GOLD_MAX

#: a rater whose median server-measured response time is below this is flagged "too fast"
TOO_FAST_MS = 1000.0
#: a rater agreeing with themselves on fewer repeated trials than this share is flagged
MIN_CONSISTENCY = 0.5


def gold_passed(votes: pd.DataFrame, design: str) -> pd.Series:
    """Per gold vote: did the rater pass (chose the clean option; MOS: rated the decoy low)?"""
    if design == "mos":
        return pd.to_numeric(votes["rating"], errors="coerce") <= MOS_GOLD_MAX
    return votes["chosen_method"] == GOLD_CLEAN


def repeat_agreement(votes: pd.DataFrame, design: str) -> pd.DataFrame:
    """One row per repeated trial with the rater's two answers and whether they agree.

    Agreement: the same method (or both "no difference") for choices; ratings within one grade for MOS.
    """
    if "repeat_of" not in votes or "trial_pos" not in votes:
        return pd.DataFrame(columns=["participant", "agree"])
    rep = votes[votes["kind"] == "repeat"].copy()
    rep["repeat_of"] = pd.to_numeric(rep["repeat_of"], errors="coerce")
    orig = votes.assign(trial_pos=pd.to_numeric(votes["trial_pos"], errors="coerce"))
    merged = rep.merge(
        orig[["participant", "trial_pos", "chosen_method", *(["rating"] if "rating" in votes else [])]],
        left_on=["participant", "repeat_of"], right_on=["participant", "trial_pos"], suffixes=("", "_first"),
    )  # fmt: skip
    if design == "mos":
        a = pd.to_numeric(merged["rating"], errors="coerce")
        b = pd.to_numeric(merged["rating_first"], errors="coerce")
        merged["agree"] = (a - b).abs() <= 1
    else:
        merged["agree"] = merged["chosen_method"] == merged["chosen_method_first"]
    return merged[["participant", "agree"]]


def rater_table(
    votes: pd.DataFrame,
    design: str = "best-of-n",
    too_fast_ms: float = TOO_FAST_MS,
    min_consistency: float = MIN_CONSISTENCY,
) -> pd.DataFrame:
    """Per rater: answers, gold, consistency, speed, position habit, completion and display, with flags.

    Args:
        votes: one row per answer (see :data:`benchmarks.study.analyze.REQUIRED`).
        design: the study design (decides how gold and consistency are scored).
        too_fast_ms: ``flagged_too_fast`` when the median server-measured time is below this.
        min_consistency: ``flagged_inconsistent`` when the repeat agreement share is below this.

    Returns:
        DataFrame indexed by participant label.
    """
    by = votes.groupby("participant")
    gold = votes[votes["kind"] == "gold"]
    failed = ~gold_passed(gold, design)
    main = votes[votes["kind"] == "main"]
    table = pd.DataFrame(
        {
            "votes": by.size(),
            "main_votes": main.groupby("participant").size(),
            "gold_trials": gold.groupby("participant").size(),
            "gold_failed": failed.groupby(gold["participant"]).sum(),
        }
    ).fillna(0)
    for col in ("votes", "main_votes", "gold_trials", "gold_failed"):
        table[col] = table[col].astype(int)
    completed = by["completed"].max() if "completed" in votes else pd.Series(True, index=table.index)
    table["completed"] = completed.reindex(table.index).fillna(False).astype(bool)
    table["flagged_gold"] = table["gold_failed"] > 0
    agree = repeat_agreement(votes, design)
    table["repeats"] = agree.groupby("participant").size().reindex(table.index).fillna(0).astype(int)
    table["consistency"] = agree.groupby("participant")["agree"].mean().reindex(table.index)
    table["flagged_inconsistent"] = table["consistency"] < min_consistency
    rt = pd.to_numeric(votes["rt_server_ms"], errors="coerce") if "rt_server_ms" in votes else None
    if rt is not None and rt.notna().any():
        table["median_rt_ms"] = rt.groupby(votes["participant"]).median().reindex(table.index)
        table["fast_share"] = (rt < too_fast_ms).groupby(votes["participant"]).mean().reindex(table.index)
        table["flagged_too_fast"] = table["median_rt_ms"] < too_fast_ms
    else:
        table["median_rt_ms"] = table["fast_share"] = np.nan
        table["flagged_too_fast"] = False
    if design != "mos" and len(main):
        pos = pd.to_numeric(main["chosen_position"], errors="coerce")
        per_pos = pos.groupby(main["participant"]).agg(lambda s: s.value_counts(normalize=True).max())
        table["top_position_share"] = per_pos.reindex(table.index)
    for col in ("screen_w", "screen_h", "dpr"):
        if col in votes:
            table[col] = (
                pd.to_numeric(votes[col], errors="coerce")
                .groupby(votes["participant"])
                .last()
                .reindex(table.index)
            )
    table.index.name = "participant"
    return table
