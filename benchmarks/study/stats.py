"""Statistics on rank-1 votes: shares with simultaneous CIs, uniformity and position tests, Fleiss kappa.

The chi-square tests treat votes as independent; votes by one rater are not, so read their
p-values as optimistic and prefer the rater-level bootstrap of :mod:`benchmarks.study.bradley_terry`
for claims about method differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from pasd.utils.optional import require


def vote_shares(counts: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Rank-1 vote shares with Goodman (1965) simultaneous confidence intervals.

    All intervals hold together with probability ~``1 - alpha``, so "method A's interval lies
    above method B's" is a valid multiple comparison, unlike per-method binomial intervals.

    Args:
        counts: votes per method (index = method name), at least two methods.
        alpha: 1 - simultaneous coverage.

    Returns:
        DataFrame indexed by method with ``votes``, ``share``, ``ci_low``, ``ci_high``,
        sorted by votes (descending).

    Raises:
        ValueError: fewer than two methods or no votes at all.
    """
    sm = require("statsmodels.stats.proportion", "study", package="statsmodels")
    counts = counts.astype(int)
    if len(counts) < 2 or counts.sum() <= 0:
        raise ValueError(f"need votes for at least two methods, got {counts.to_dict()}")
    ci = sm.multinomial_proportions_confint(counts.to_numpy(), alpha=alpha, method="goodman")
    out = pd.DataFrame(
        {"votes": counts, "share": counts / counts.sum(), "ci_low": ci[:, 0], "ci_high": ci[:, 1]},
        index=counts.index,
    )
    out.index.name = "method"
    return out.sort_values("votes", ascending=False, kind="stable")


def chi_square_uniform(counts: pd.Series | np.ndarray) -> dict[str, float]:
    """Pearson chi-square test of ``counts`` against equal expected counts."""
    arr = np.asarray(counts, dtype=float)
    res = sps.chisquare(arr)
    return {"chi2": float(res.statistic), "dof": int(arr.size - 1), "p_value": float(res.pvalue)}


def position_bias(positions: pd.Series, n_options: int) -> dict:
    """Are raters drawn to a screen position? Chi-square of chosen positions vs uniform.

    Orders are randomized per trial, so position bias does not bias method shares; it flags
    raters clicking without looking (see also gold trials).

    Args:
        positions: 1-based chosen positions.
        n_options: options per trial.

    Returns:
        Counts and shares per position plus the chi-square test.
    """
    counts = positions.value_counts().reindex(range(1, n_options + 1), fill_value=0)
    out = chi_square_uniform(counts.to_numpy())
    out["counts"] = {int(k): int(v) for k, v in counts.items()}
    out["shares"] = {int(k): float(v / max(1, counts.sum())) for k, v in counts.items()}
    return out


def fleiss(votes: pd.DataFrame, methods: list[str]) -> dict:
    """Fleiss' kappa over images (subjects) x methods (categories).

    Fleiss' kappa assumes the same number of raters per subject, so only images with the most
    common rater count are used (all of them when every rater finished).

    Args:
        votes: columns ``trial_id`` and ``chosen_method`` (main trials only).
        methods: the categories.

    Returns:
        ``kappa`` (NaN when fewer than 2 raters or 1 image), ``n_images``, ``n_raters``.
    """
    ir = require("statsmodels.stats.inter_rater", "study", package="statsmodels")
    table = pd.crosstab(votes["trial_id"], votes["chosen_method"]).reindex(columns=methods, fill_value=0)
    n = table.sum(axis=1)
    if table.empty:
        return {"kappa": float("nan"), "n_images": 0, "n_raters": 0}
    mode = int(n.mode().max())
    table = table[n == mode]
    if mode < 2 or len(table) < 2:
        return {"kappa": float("nan"), "n_images": int(len(table)), "n_raters": mode}
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = float(ir.fleiss_kappa(table.to_numpy(), method="fleiss"))
    return {"kappa": kappa, "n_images": int(len(table)), "n_raters": mode}


def rater_bootstrap_weights(n_raters: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_raters)`` multinomial counts: replicate b draws raters with replacement."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_raters, np.full(n_raters, 1 / n_raters), size=n_boot)


def rater_clustered_shares(
    votes: pd.DataFrame, methods: list[str], n_boot: int = 1000, alpha: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """Vote shares with percentile intervals from a bootstrap over raters (the chart default).

    One rater's votes are correlated (raters have tastes), so treating votes as independent, as
    :func:`vote_shares` does, makes intervals far too narrow when raters disagree. Resampling whole
    raters keeps that correlation (a cluster bootstrap; marginal percentile intervals).

    Args:
        votes: columns ``participant`` and ``chosen_method``.
        methods: the methods (rows of the result).
        n_boot: replicates (0: no intervals).
        alpha: 1 - coverage of each interval.
        seed: bootstrap seed.

    Returns:
        DataFrame indexed by method with ``share``, ``rater_low``, ``rater_high``.
    """
    table = pd.crosstab(votes["participant"], votes["chosen_method"]).reindex(columns=methods, fill_value=0)
    counts = table.to_numpy(dtype=float)  # raters x methods
    total = counts.sum()
    out = pd.DataFrame({"share": counts.sum(axis=0) / max(total, 1)}, index=methods)
    out["rater_low"] = out["rater_high"] = np.nan
    if n_boot > 0 and len(counts) > 1:
        boot = rater_bootstrap_weights(len(counts), n_boot, seed) @ counts
        shares = boot / np.maximum(boot.sum(axis=1, keepdims=True), 1)
        out["rater_low"] = np.quantile(shares, alpha / 2, axis=0)
        out["rater_high"] = np.quantile(shares, 1 - alpha / 2, axis=0)
    out.index.name = "method"
    return out
