"""Statistics of `study analyze`, checked on simulated votes with a known truth and against references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import fleiss_kappa

from benchmarks.study.analyze import analyze_votes
from benchmarks.study.bradley_terry import fit_bradley_terry, pairwise_wins
from benchmarks.study.simulate import simulate_votes
from benchmarks.study.stats import fleiss, position_bias, vote_shares

STRENGTHS = {"pasd": 4.0, "stablesr": 2.0, "realesrgan": 1.5, "bsrgan": 1.0, "ldl": 0.5}
TRUTH = np.array(list(STRENGTHS.values())) / sum(STRENGTHS.values())


def test_known_winner_and_strengths_are_recovered():
    votes = simulate_votes(STRENGTHS, n_raters=20, n_images=40, seed=0)  # the paper's design: 20 x 40
    res = analyze_votes(votes, list(STRENGTHS), n_boot=300)
    assert res.report["winner"] == "pasd"
    s = res.summary.loc[list(STRENGTHS)]
    # 800 votes: shares within ~3 standard errors of the truth
    np.testing.assert_allclose(s["share"], TRUTH, atol=0.05)
    np.testing.assert_allclose(s["bt_strength"], TRUTH, atol=0.05)
    assert (s["ci_low"] <= s["share"]).all() and (s["share"] <= s["ci_high"]).all()
    assert res.report["chi_square_uniform"]["p_value"] < 1e-10
    assert res.report["position_bias"]["p_value"] > 0.001  # positions were randomized
    assert s["votes"].sum() == 800 and res.report["n_raters"] == 20


def test_goodman_intervals_cover_at_roughly_the_nominal_rate():
    rng = np.random.default_rng(0)
    n_sim, hits = 400, 0
    for _ in range(n_sim):
        counts = pd.Series(rng.multinomial(400, TRUTH), index=list(STRENGTHS))
        ci = vote_shares(counts, alpha=0.05).loc[list(STRENGTHS)]
        hits += bool(((ci["ci_low"] <= TRUTH) & (TRUTH <= ci["ci_high"])).all())
    coverage = hits / n_sim
    # simultaneous 95% intervals; Goodman is slightly conservative for 5 categories
    assert 0.92 <= coverage <= 1.0, coverage


def test_bradley_terry_bootstrap_covers_the_truth():
    hits = 0
    n_sim = 20  # 100 intervals; observed coverage 0.93 at these seeds
    for seed in range(n_sim):
        votes = simulate_votes(STRENGTHS, n_raters=20, n_images=20, seed=100 + seed)
        s = analyze_votes(votes, list(STRENGTHS), n_boot=200, seed=seed).summary.loc[list(STRENGTHS)]
        hits += int(((s["bt_low"] <= TRUTH) & (TRUTH <= s["bt_high"])).sum())
    coverage = hits / (n_sim * len(TRUTH))  # marginal 95% percentile intervals
    assert 0.85 <= coverage <= 1.0, coverage


def test_bradley_terry_matches_the_closed_form_for_two_methods():
    wins = np.array([[0, 30], [10, 0]])
    p = fit_bradley_terry(wins, prior=0.0)
    np.testing.assert_allclose(p, [0.75, 0.25], atol=1e-8)  # MLE: p_a / (p_a + p_b) = 30 / 40
    batch = fit_bradley_terry(np.stack([wins, wins.T]), prior=0.0)
    np.testing.assert_allclose(batch, [[0.75, 0.25], [0.25, 0.75]], atol=1e-8)


def test_pairwise_wins_are_implied_by_the_choice():
    votes = pd.DataFrame({"chosen_method": ["a", "c"], "display_order": [["b", "a", "c"], ["a", "c"]]})
    np.testing.assert_array_equal(pairwise_wins(votes, ["a", "b", "c"]), [[0, 1, 1], [0, 0, 0], [1, 0, 0]])


def test_fleiss_matches_statsmodels_and_drops_unequal_rows():
    votes = pd.DataFrame(
        {
            "trial_id": ["i1"] * 3 + ["i2"] * 3 + ["i3"] * 3 + ["i4"] * 2,
            "chosen_method": ["a", "a", "a", "b", "b", "a", "b", "b", "b", "a", "b"],
        }
    )
    got = fleiss(votes, ["a", "b"])
    expected = fleiss_kappa(np.array([[3, 0], [1, 2], [0, 3]]))
    assert got == {"kappa": pytest.approx(expected), "n_images": 3, "n_raters": 3}


def test_position_bias_is_detected():
    rng = np.random.default_rng(0)
    lazy = pd.Series(rng.choice([1, 2, 3, 4], size=400, p=[0.55, 0.15, 0.15, 0.15]))
    fair = pd.Series(rng.integers(1, 5, size=400))
    assert position_bias(lazy, 4)["p_value"] < 1e-6
    assert position_bias(fair, 4)["p_value"] > 0.001
    assert position_bias(lazy, 4)["counts"][1] > 150


def test_gold_failures_are_flagged_and_excluded_on_request():
    votes = simulate_votes(STRENGTHS, n_raters=10, n_images=20, n_gold=4, careless_raters=4, seed=3)
    kept = analyze_votes(votes, list(STRENGTHS), n_boot=0)
    flagged = kept.report["gold"]["flagged_raters"]
    assert flagged and all(r.startswith("c") for r in flagged)  # only careless raters fail gold
    assert kept.report["n_raters"] == 14
    excl = analyze_votes(votes, list(STRENGTHS), n_boot=0, exclude_gold_failures=True)
    assert excl.report["excluded"] == flagged
    assert excl.report["n_votes"] == 20 * (14 - len(flagged))
    assert not excl.raters.loc[flagged, "included"].any()


def test_analysis_rejects_unknown_methods_and_empty_input():
    votes = simulate_votes({"a": 1.0, "b": 1.0}, 2, 3, seed=0)
    with pytest.raises(ValueError, match=r"not in the study \['a', 'x'\]"):
        analyze_votes(votes, ["a", "x"])
    votes["kind"] = "gold"
    with pytest.raises(ValueError, match="no main-trial votes"):
        analyze_votes(votes, ["a", "b"])


def test_rater_table_exposes_position_clickers():
    votes = simulate_votes(STRENGTHS, n_raters=3, n_images=20, seed=5)
    lazy = votes["participant"] == "p0002"
    votes.loc[lazy, "chosen_method"] = votes.loc[lazy, "display_order"].str[0]  # always the first option
    votes.loc[lazy, "chosen_position"] = 1
    votes["rt_server_ms"] = np.where(lazy, 300.0, 4000.0)
    raters = analyze_votes(votes, list(STRENGTHS), n_boot=0).raters
    assert raters.loc["p0002", "top_position_share"] == 1.0
    assert raters.loc[["p0000", "p0001"], "top_position_share"].max() < 0.6
    assert raters.loc["p0002", "median_rt_ms"] == 300.0


def test_speed_flags_use_the_server_clock_not_the_page_s_claim():
    """Defect 5: bots posting client_ms=1500 looked careful while the server saw 178 ms."""
    votes = simulate_votes(STRENGTHS, n_raters=4, n_images=10, seed=6)
    bot = votes["participant"] == "p0003"
    votes["rt_client_ms"] = 1500.0
    votes["rt_server_ms"] = np.where(bot, 178.0, 5200.0)
    res = analyze_votes(votes, list(STRENGTHS), n_boot=0)
    assert res.raters.loc["p0003", "median_rt_ms"] == 178.0 and res.raters.loc["p0003", "fast_share"] == 1.0
    assert res.report["quality"]["flagged_too_fast"] == ["p0003"]
    excl = analyze_votes(votes, list(STRENGTHS), n_boot=0, exclude_too_fast=True)
    assert excl.report["excluded"] == ["p0003"] and excl.report["n_votes"] == 30
