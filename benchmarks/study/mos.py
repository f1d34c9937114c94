"""Mean opinion scores (ITU-R BT.500 five-grade scale) per method, with two kinds of interval.

BT.500 reports each condition's mean score with ``mean +- 1.96 * s / sqrt(N)`` over all N ratings.
That treats every rating as independent; ratings by one observer are not (some rate everything
high), so the default interval here resamples observers (a cluster bootstrap) and the BT.500 one
is kept alongside for comparison with published numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.study.stats import rater_bootstrap_weights


def mos_table(
    votes: pd.DataFrame, methods: list[str], n_boot: int = 1000, alpha: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """Per method: ratings, mean opinion score, SD, BT.500 interval and rater-bootstrap interval.

    Args:
        votes: columns ``participant``, ``chosen_method`` (the rated method) and ``rating`` (1-5).
        methods: the methods (rows of the result).
        n_boot: bootstrap replicates (0: no rater intervals).
        alpha: 1 - coverage of each interval.
        seed: bootstrap seed.

    Returns:
        DataFrame indexed by method, sorted by MOS (descending): ``n``, ``mos``, ``sd``,
        ``bt500_low``, ``bt500_high``, ``ci_low``, ``ci_high`` (the rater bootstrap).
    """
    from scipy import stats as sps

    rating = pd.to_numeric(votes["rating"], errors="coerce")
    df = pd.DataFrame(
        {"participant": votes["participant"], "method": votes["chosen_method"], "rating": rating}
    )
    df = df.dropna(subset=["rating"])
    g = df.groupby("method")["rating"]
    out = pd.DataFrame({"n": g.size(), "mos": g.mean(), "sd": g.std(ddof=1)}).reindex(methods)
    out["n"] = out["n"].fillna(0).astype(int)
    z = sps.norm.ppf(1 - alpha / 2)
    half = z * out["sd"] / np.sqrt(out["n"].where(out["n"] > 0))
    out["bt500_low"], out["bt500_high"] = out["mos"] - half, out["mos"] + half
    out["ci_low"] = out["ci_high"] = np.nan
    raters = sorted(df["participant"].unique())
    if n_boot > 0 and len(raters) > 1:
        sums = df.pivot_table(index="participant", columns="method", values="rating", aggfunc="sum")
        cnts = df.pivot_table(index="participant", columns="method", values="rating", aggfunc="count")
        sums = sums.reindex(index=raters, columns=methods).fillna(0).to_numpy()
        cnts = cnts.reindex(index=raters, columns=methods).fillna(0).to_numpy()
        w = rater_bootstrap_weights(len(raters), n_boot, seed)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (w @ sums) / (w @ cnts)
        out["ci_low"] = np.nanquantile(boot, alpha / 2, axis=0)
        out["ci_high"] = np.nanquantile(boot, 1 - alpha / 2, axis=0)
    out.index.name = "method"
    return out.sort_values("mos", ascending=False, kind="stable")
