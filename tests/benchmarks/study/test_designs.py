"""Pairwise (2AFC with ties) and MOS designs, balanced subsets, repeats: assignment, server flow, analysis."""

from __future__ import annotations

import collections
import itertools

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from benchmarks.study.analyze import analyze_study, analyze_votes
from benchmarks.study.assign import make_assignment, method_pairs, rater_images
from benchmarks.study.server import create_app
from benchmarks.study.simulate import simulate_mos, simulate_pairwise, simulate_tastes
from benchmarks.study.spec import TIE, load_study
from benchmarks.study.stats import vote_shares

from .conftest import ADMIN, consent, current, export, make_sources, make_study, vote

STRENGTHS = {"a": 4.0, "b": 2.0, "c": 1.0, "d": 1.0}
TRUTH = np.array(list(STRENGTHS.values())) / sum(STRENGTHS.values())


@pytest.fixture(scope="module")
def sources8(tmp_path_factory):
    return make_sources(tmp_path_factory.mktemp("src8"), n_images=8, size=32)


def test_balanced_subsets_give_every_image_the_same_number_of_raters(tmp_path, sources8):
    spec = load_study(make_study(tmp_path, sources8, n_images=8, images_per_rater=3, raters_per_image=3))
    assert spec.max_participants == 8  # ceil(8 images * 3 raters / 3 per rater)
    seen = collections.Counter()
    for r in range(spec.max_participants):
        imgs = [im.id for _, _, im in rater_images(spec, r)]
        assert len(set(imgs)) == 3
        seen.update(imgs)
        assert (
            max(seen.values()) - min(seen.get(im.id, 0) for im in spec.images) <= 1
        )  # balanced at every step
    assert set(seen.values()) == {3}
    app = create_app(tmp_path / "study", ADMIN, new_participants=(0, 1.0))
    for _ in range(8):
        consent(TestClient(app))
    full = TestClient(app).post("/consent", data={"agree": "yes"})
    assert full.status_code == 410 and "all the participants it needs" in full.text


def test_pairwise_pairs_are_balanced_over_raters_images_and_sides(tmp_path, sources8):
    spec = load_study(make_study(tmp_path, sources8, n_images=8, design="pairwise", pairs_per_image=2))
    pairs = collections.Counter()
    left = collections.Counter()
    for r in range(6):  # 6 raters x 8 images x 2 pairs = 96 comparisons of 3 pairs
        trials = make_assignment(spec, f"pid{r}", r)
        assert len(trials) == spec.n_trials == 16 and all(t.tie for t in trials)
        for t in trials:
            a, b = (m for m, _ in t.options)
            pairs[tuple(sorted((a, b)))] += 1
            left[a] += 1
    assert sorted(pairs) == method_pairs(spec.methods) and set(pairs.values()) == {32}
    assert max(left.values()) - min(left.values()) <= 8  # each method on the left about as often


def test_repeats_come_later_with_another_order(tmp_path, sources8):
    spec = load_study(make_study(tmp_path, sources8, n_images=8, repeats=3, n_gold=1))
    trials = make_assignment(spec, "someone", 0)
    assert len(trials) == spec.n_trials == 8 + 1 + 3
    reps = [(k, t) for k, t in enumerate(trials) if t.kind == "repeat"]
    assert len(reps) == 3
    for k, t in reps:
        orig = trials[t.repeat_of]
        assert orig.kind == "main" and orig.trial_id == t.trial_id and t.repeat_of < k - 1
        assert sorted(orig.options) == sorted(t.options)


def _take(client, answer) -> list[dict]:
    """Answer every trial with ``answer(pos, options, tie_token, page_text)`` -> form data."""
    while True:
        page = client.get("/trial", follow_redirects=False)
        if page.status_code == 303:
            return export(client)
        pos, options, _ = current(client)
        tie = __import__("re").search(r'name="option" value="([^"]+)" class="pick tie"', page.text)
        data = answer(pos, options, tie[1] if tie else None, page.text)
        r = client.post("/vote", data={"pos": pos, **data}, follow_redirects=False)
        assert r.status_code == 303, r.text


def test_pairwise_study_end_to_end_with_ties_and_analysis(tmp_path, sources8):
    study = make_study(tmp_path, sources8, n_images=6, design="pairwise", n_gold=1, repeats=1)
    app = create_app(study, ADMIN)
    rows = []
    for rater in range(3):
        c = TestClient(app)
        consent(c)
        assert "No visible difference" in c.get("/trial").text
        # rater 0 always takes the tie, the others the left option
        rows = _take(c, lambda pos, opts, tie, _, r=rater: {"option": tie if r == 0 else opts[0]})
    assert len(rows) == 3 * load_study(study).n_trials
    ties = [r for r in rows if r["tie"] == "1"]
    assert ties and all(r["chosen_position"] == "" and r["chosen_method"] == TIE for r in ties)
    assert all(r["human_preference"] == "0|0" for r in ties)
    res = analyze_study(study, tmp_path / "out", n_boot=50)
    assert res.report["design"] == "pairwise" and 0.3 < res.report["tie_rate"] < 0.4
    assert set(res.summary.index) == {"bicubic", "sharp", "smooth"}
    assert res.summary["bt_strength"].sum() == pytest.approx(1.0)
    assert res.report["gold"]["trials"] == 3 and res.report["quality"]["repeat_agreement"] is not None
    long = export(c, "/admin/export-long.csv")
    assert len(long) == 2 * len(rows)  # two options per pairwise trial
    assert {r["score"] for r in long if r["tie"] == "1"} == {"0.5"}
    assert (tmp_path / "out" / "votes.png").stat().st_size > 5000


def test_mos_study_end_to_end_with_ratings_and_analysis(tmp_path, sources8):
    study = make_study(tmp_path, sources8, n_images=3, design="mos", n_gold=1)
    spec = load_study(study)
    app = create_app(study, ADMIN)
    grade = {"bicubic": 3, "sharp": 5, "smooth": 2}
    import sqlite3

    for _ in range(3):
        c = TestClient(app)
        consent(c)
        page = c.get("/trial").text
        assert (
            "5 Excellent" in page and "1 Bad" in page and 'data-ref="1"' not in page
        )  # no reference by default
        pos, options, _ = current(c)
        assert len(options) == 1
        assert vote(c, pos, options[0]) == 400  # a rating is required

        def answer(pos, opts, tie, text):
            con = sqlite3.connect(study / "votes.sqlite")
            method = con.execute("SELECT method FROM options WHERE token = ?", (opts[0],)).fetchone()[0]
            con.close()
            return {"option": opts[0], "rating": grade.get(method, 1)}

        rows = _take(c, answer)
    assert len(rows) == 3 * spec.n_trials and all(r["rating"] for r in rows)
    gold = [r for r in rows if r["kind"] == "gold"]
    assert gold and all(r["gold_passed"] == "1" for r in gold)  # decoys rated 1
    res = analyze_study(study, tmp_path / "out", n_boot=50)
    s = res.summary
    assert list(s.index) == ["sharp", "bicubic", "smooth"]
    assert s.loc["sharp", "mos"] == 5 and s.loc["smooth", "mos"] == 2 and s.loc["bicubic", "n"] == 9


def test_bradley_terry_with_ties_recovers_the_strengths():
    votes = simulate_pairwise(STRENGTHS, n_raters=30, n_trials=40, tie_rate=0.2, seed=1)
    res = analyze_votes(votes, list(STRENGTHS), design="pairwise", n_boot=200)
    s = res.summary.loc[list(STRENGTHS)]
    # 1200 comparisons, ties uninformative: strengths within a few points of the truth
    np.testing.assert_allclose(s["bt_strength"], TRUTH, atol=0.05)
    assert ((s["bt_low"] <= TRUTH) & (TRUTH <= s["bt_high"])).all()
    assert res.report["tie_rate"] == pytest.approx(0.2, abs=0.03) and res.report["winner"] == "a"
    assert res.report["position_bias"]["left_share"] == pytest.approx(0.5, abs=0.05)


def test_mos_means_and_both_intervals():
    means = {"a": 4.2, "b": 3.1, "c": 1.9}
    votes = simulate_mos(means, n_raters=25, n_images=8, rater_sd=0.6, seed=2)
    s = analyze_votes(votes, list(means), design="mos", n_boot=300).summary.loc[list(means)]
    # independent reference for the BT.500 interval: mean +- 1.96 s / sqrt(N) straight from the ratings
    for m in means:
        r = votes.loc[votes["chosen_method"] == m, "rating"].astype(float)
        half = 1.959964 * r.std(ddof=1) / np.sqrt(len(r))
        assert s.loc[m, "mos"] == pytest.approx(r.mean())
        assert s.loc[m, "bt500_low"] == pytest.approx(r.mean() - half, abs=1e-6)
    # rater offsets correlate a rater's ratings: the rater bootstrap is wider than BT.500's
    assert ((s["ci_high"] - s["ci_low"]) > 1.3 * (s["bt500_high"] - s["bt500_low"])).all()
    np.testing.assert_allclose(s["mos"], list(means.values()), atol=0.4)


def test_charted_intervals_are_rater_clustered_and_cover_the_population_share():
    """Defect 6: the chart's intervals treated votes as independent (Goodman)."""
    population = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}
    truth = 0.25
    hits_rater = hits_goodman = 0
    n_sim = 40
    for seed in range(n_sim):
        votes = simulate_tastes(population, n_raters=16, n_images=25, concentration=0.5, seed=seed)
        res = analyze_votes(votes, list(population), n_boot=300, seed=seed)
        s = res.summary.loc["a"]
        hits_rater += s["ci_low"] <= truth <= s["ci_high"]
        g = vote_shares(votes["chosen_method"].value_counts().reindex(list(population), fill_value=0)).loc[
            "a"
        ]
        hits_goodman += g["ci_low"] <= truth <= g["ci_high"]
        assert s["rater_low"] == s["ci_low"] and s["goodman_low"] == pytest.approx(g["ci_low"])
    assert hits_rater / n_sim >= 0.85  # nominal 95%, percentile bootstrap with 16 raters
    assert hits_goodman / n_sim < 0.75  # independent-vote intervals miss far too often
    assert "bootstrap over raters" in res.report["interval"]


def test_consistency_flags_raters_who_contradict_themselves():
    rows = []
    for r, flip in (("p1", False), ("p2", True)):
        for pos in range(6):
            rows.append(
                {
                    "participant": r,
                    "trial_id": f"i{pos}",
                    "trial_pos": pos,
                    "kind": "main",
                    "display_order": ["a", "b"],
                    "chosen_method": "a",
                    "chosen_position": 1,
                    "repeat_of": None,
                }
            )
        for k, pos in enumerate((6, 7)):
            rows.append({"participant": r, "trial_id": f"i{k}", "trial_pos": pos, "kind": "repeat",
                         "display_order": ["b", "a"], "chosen_method": "b" if flip else "a",
                         "chosen_position": 1 if flip else 2, "repeat_of": k})  # fmt: skip
    res = analyze_votes(pd.DataFrame(rows), ["a", "b"], design="pairwise", n_boot=0)
    assert res.raters.loc["p1", "consistency"] == 1.0 and res.raters.loc["p2", "consistency"] == 0.0
    assert res.report["quality"]["flagged_inconsistent"] == ["p2"]
    assert res.report["n_votes"] == 12  # repeats are not counted twice


def test_every_pair_appears_in_pairwise_wins():
    assert len(list(itertools.combinations(STRENGTHS, 2))) == len(method_pairs(list(STRENGTHS)))
