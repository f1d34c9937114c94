"""Bradley-Terry scores from pairwise wins (2AFC answers, or those implied by rank-1 choices), with a
rater bootstrap.

In the pairwise design each decided answer is one comparison. "No visible difference" answers
are left out of the fit: under Davidson's (1970) tie model, P(i beats j | not a tie) is still
``p_i / (p_i + p_j)``, so the decided answers alone estimate the strengths without bias, whereas
counting a tie as half a win each way pulls every strength toward equality. Ties are reported
separately (tie rate, per pair). Picking method *i* out of a displayed set implies *i*
beat every other method shown. If raters
follow Luce's choice rule with strengths ``p``, the Bradley-Terry MLE on these implied wins is
``p`` again (in expectation), so the scores are comparable across studies with different method
sets. The fit is Hunter's (2004) MM algorithm, run for many bootstrap replicates at once.
Intervals resample raters (not votes), because one rater's votes are correlated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.study.spec import TIE

#: virtual wins added in both directions of every pair, so a method with zero wins keeps a
#: finite (small) score instead of diverging to 0
PRIOR_WINS = 0.1


def pairwise_wins(votes: pd.DataFrame, methods: list[str]) -> np.ndarray:
    """``W[i, j]`` = times method i was chosen while j was shown (ties are skipped).

    Args:
        votes: columns ``chosen_method`` (a method or :data:`~benchmarks.study.spec.TIE`) and
            ``display_order`` (list of methods shown).
        methods: row/column order.
    """
    idx = {m: k for k, m in enumerate(methods)}
    wins = np.zeros((len(methods), len(methods)))
    for chosen, shown in zip(votes["chosen_method"], votes["display_order"]):
        if chosen == TIE:  # no information on the order (see the module docstring)
            continue
        i = idx[chosen]
        for m in shown:
            if m != chosen:
                wins[i, idx[m]] += 1
    return wins


def fit_bradley_terry(
    wins: np.ndarray, prior: float = PRIOR_WINS, max_iter: int = 5000, tol: float = 1e-10
) -> np.ndarray:
    """Bradley-Terry strengths (summing to 1) for one or a batch of win matrices.

    Args:
        wins: ``(M, M)`` or ``(B, M, M)`` win counts.
        prior: virtual wins added to every off-diagonal cell.
        max_iter: MM iteration cap.
        tol: stop when no strength moves more than this.

    Returns:
        ``(M,)`` or ``(B, M)`` strengths.
    """
    w = np.asarray(wins, dtype=float)
    single = w.ndim == 2
    if single:
        w = w[None]
    m = w.shape[-1]
    off = 1.0 - np.eye(m)
    w = w * off + prior * off
    n = w + np.swapaxes(w, 1, 2)  # comparisons per pair
    total_wins = w.sum(axis=2)
    p = np.full(w.shape[:2], 1.0 / m)
    for _ in range(max_iter):
        denom = (n / (p[:, :, None] + p[:, None, :])).sum(axis=2)
        new = total_wins / denom
        new /= new.sum(axis=1, keepdims=True)
        done = np.abs(new - p).max() < tol
        p = new
        if done:
            break
    return p[0] if single else p


def bradley_terry_table(
    votes: pd.DataFrame, methods: list[str], n_boot: int = 1000, alpha: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """BT strengths with percentile intervals from a bootstrap over raters.

    Args:
        votes: columns ``participant``, ``chosen_method``, ``display_order``.
        methods: the methods to score.
        n_boot: bootstrap replicates (0: no intervals).
        alpha: 1 - interval coverage.
        seed: bootstrap seed.

    Returns:
        DataFrame indexed by method: ``bt_strength`` (sums to 1), ``bt_low``, ``bt_high``,
        ``bt_log`` (log strength, mean zero).
    """
    raters = sorted(votes["participant"].unique())
    per_rater = np.stack([pairwise_wins(votes[votes["participant"] == r], methods) for r in raters])
    p = fit_bradley_terry(per_rater.sum(axis=0))
    out = pd.DataFrame({"bt_strength": p, "bt_log": np.log(p) - np.log(p).mean()}, index=methods)
    out["bt_low"] = out["bt_high"] = np.nan
    if n_boot > 0 and len(raters) > 1:
        rng = np.random.default_rng(seed)
        # replicate b draws raters with replacement: weights = multinomial counts per rater
        weights = rng.multinomial(len(raters), np.full(len(raters), 1 / len(raters)), size=n_boot)
        boot = fit_bradley_terry(np.einsum("br,rij->bij", weights, per_rater))
        out["bt_low"] = np.quantile(boot, alpha / 2, axis=0)
        out["bt_high"] = np.quantile(boot, 1 - alpha / 2, axis=0)
    out.index.name = "method"
    return out
