"""Concurrent simulated participants against `pasd-bench study serve` on loopback: no vote lost or duplicated."""

from __future__ import annotations

import logging

import httpx
import pytest

from benchmarks.study.create import create_study
from benchmarks.study.loadtest import run_participants

from .conftest import ADMIN, make_sources

logger = logging.getLogger(__name__)


@pytest.fixture
def study_dir(tmp_path, request):
    """A study with as many images as the parametrization asks for (overrides the 4-image one)."""
    n_images = request.param
    lq, outs = make_sources(tmp_path / "src", n_images=n_images, size=48)
    create_study(lq, outs, tmp_path / "study", n_images=n_images, seed=0)
    return tmp_path / "study"


def _check(base: str, n_participants: int, n_trials: int, concurrency: int) -> None:
    report = run_participants(base, n_participants, concurrency=concurrency, repeat_rate=0.15, seed=1)
    rows = httpx.get(base + "/admin/export.json", headers={"X-Admin-Token": ADMIN}, timeout=60).json()
    assert report.votes == n_participants * n_trials and report.repeats > 0
    assert len(rows) == n_participants * n_trials  # nothing lost, repeats not stored twice
    assert len({(r["participant"], r["trial_pos"]) for r in rows}) == len(rows)
    got: dict[str, list[int]] = {}
    for r in sorted(rows, key=lambda r: (r["external_id"], r["trial_pos"])):
        got.setdefault(r["external_id"], []).append(r["chosen_position"])
    assert got == report.choices  # every participant's choices, in order, exactly as sent
    stats = httpx.get(base + "/admin/stats.json", headers={"X-Admin-Token": ADMIN}).json()
    assert stats["completed"] == n_participants
    msg = (
        f"load: {n_participants} participants x {n_trials} trials, concurrency {concurrency}: "
        f"{report.votes} votes ({report.repeats} repeats) in {report.seconds:.1f} s = "
        f"{report.votes_per_s:.0f} votes/s, {report.requests_per_s:.0f} requests/s"
    )
    logger.warning(msg)
    print(msg)


@pytest.mark.parametrize("study_dir", [6], indirect=True)
def test_load_short(live_server):
    _check(live_server, n_participants=10, n_trials=6, concurrency=10)


@pytest.mark.slow
@pytest.mark.parametrize("study_dir", [40], indirect=True)
def test_load_50_participants_x_40_trials(live_server):
    _check(live_server, n_participants=50, n_trials=40, concurrency=50)
