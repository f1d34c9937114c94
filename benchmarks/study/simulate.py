"""Synthetic vote tables under Luce's choice rule: for testing the analysis and planning sample sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_votes(
    strengths: dict[str, float],
    n_raters: int,
    n_images: int,
    *,
    n_gold: int = 0,
    careless_raters: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """Votes where each rater picks method i with probability ``strengths[i] / sum(strengths)``.

    Careless raters pick a uniformly random position, including in gold trials, so they fail
    gold trials at rate ``1 - 1/M``; attentive raters always pass them.

    Args:
        strengths: method -> positive Luce strength.
        n_raters: attentive raters, each voting on every image.
        n_images: main trials per rater.
        n_gold: gold trials per rater.
        careless_raters: extra raters voting at random.
        seed: random seed.

    Returns:
        A vote table with the columns :func:`benchmarks.study.analyze.analyze_votes` needs.
    """
    rng = np.random.default_rng(seed)
    methods = list(strengths)
    p = np.array([strengths[m] for m in methods], dtype=float)
    if (p <= 0).any():
        raise ValueError(f"strengths must be positive, got {strengths}")
    p /= p.sum()
    rows = []
    for r in range(n_raters + careless_raters):
        careless = r >= n_raters
        label = f"{'c' if careless else 'p'}{r:04d}"
        for i in range(n_images + n_gold):
            gold = i >= n_images
            order = list(rng.permutation(methods))
            if gold:
                shown = ["__gold_clean__"] + [f"__gold_decoy_{k}__" for k in range(len(methods) - 1)]
                order = list(rng.permutation(shown))
                chosen = order[rng.integers(len(order))] if careless else "__gold_clean__"
            elif careless:
                chosen = order[rng.integers(len(order))]
            else:
                chosen = methods[rng.choice(len(methods), p=p)]
            rows.append(
                {
                    "participant": label,
                    "trial_id": f"g{i:03d}" if gold else f"i{i:03d}",
                    "kind": "gold" if gold else "main",
                    "display_order": order,
                    "chosen_method": chosen,
                    "chosen_position": order.index(chosen) + 1,
                    "completed": True,
                }
            )
    return pd.DataFrame(rows)
