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


def simulate_pairwise(
    strengths: dict[str, float], n_raters: int, n_trials: int, *, tie_rate: float = 0.0, seed: int = 0
) -> pd.DataFrame:
    """2AFC votes under Bradley-Terry: method i beats j with probability ``p_i / (p_i + p_j)``.

    Each trial shows a uniformly random pair in random order; with probability ``tie_rate`` the
    rater answers "no visible difference" instead (ties carry no information about the order).
    """
    from benchmarks.study.spec import TIE

    rng = np.random.default_rng(seed)
    methods = list(strengths)
    rows = []
    for r in range(n_raters):
        for i in range(n_trials):
            a, b = rng.choice(len(methods), size=2, replace=False)
            order = [methods[a], methods[b]]
            if rng.random() < tie_rate:
                chosen, pos = TIE, None
            else:
                pa = strengths[order[0]] / (strengths[order[0]] + strengths[order[1]])
                pos = 1 if rng.random() < pa else 2
                chosen = order[pos - 1]
            rows.append({"participant": f"p{r:04d}", "trial_id": f"i{i:03d}", "kind": "main", "display_order": order,
                         "chosen_method": chosen, "chosen_position": pos, "completed": True})  # fmt: skip
    return pd.DataFrame(rows)


def simulate_mos(
    means: dict[str, float],
    n_raters: int,
    n_images: int,
    *,
    rater_sd: float = 0.5,
    noise_sd: float = 0.7,
    seed: int = 0,
) -> pd.DataFrame:
    """MOS ratings: ``round(mean_m + rater offset + noise)`` clipped to 1-5, every method on every image."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_raters):
        offset = rng.normal(0, rater_sd)
        for i in range(n_images):
            for m, mu in means.items():
                rating = int(np.clip(np.rint(mu + offset + rng.normal(0, noise_sd)), 1, 5))
                rows.append({"participant": f"p{r:04d}", "trial_id": f"i{i:03d}", "kind": "main", "display_order": [m],
                             "chosen_method": m, "chosen_position": 1, "rating": rating, "completed": True})  # fmt: skip
    return pd.DataFrame(rows)


def simulate_tastes(
    population: dict[str, float], n_raters: int, n_images: int, *, concentration: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """Best-of-N votes from raters with their own tastes: each rater's choice probabilities are drawn
    from a Dirichlet around ``population`` (smaller ``concentration``: raters disagree more), so the
    population share of a method is ``population[m] / sum(population)`` but votes are clustered by rater.
    """
    rng = np.random.default_rng(seed)
    methods = list(population)
    p = np.array([population[m] for m in methods], dtype=float)
    p /= p.sum()
    rows = []
    for r in range(n_raters):
        own = rng.dirichlet(concentration * len(methods) * p)
        for i in range(n_images):
            order = list(rng.permutation(methods))
            chosen = methods[rng.choice(len(methods), p=own)]
            rows.append({"participant": f"p{r:04d}", "trial_id": f"i{i:03d}", "kind": "main", "display_order": order,
                         "chosen_method": chosen, "chosen_position": order.index(chosen) + 1, "completed": True})  # fmt: skip
    return pd.DataFrame(rows)
