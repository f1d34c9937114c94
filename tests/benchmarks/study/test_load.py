"""Concurrent simulated participants against `pasd-bench study serve` on loopback, with the server
killed (-9) and restarted mid-run: no acknowledged vote lost, none duplicated."""

from __future__ import annotations

import logging
import threading
import time

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
    # repeat ids allowed: a consent whose answer was lost in a kill is simply sent again
    create_study(
        lq, outs, tmp_path / "study", n_images=n_images, seed=0, min_view_ms=0, one_per_external_id=False
    )
    return tmp_path / "study"


def _check(base: str, n_participants: int, n_trials: int, concurrency: int, killer=None) -> None:
    report = run_participants(
        base,
        n_participants,
        concurrency=concurrency,
        repeat_rate=0.15,
        seed=1,
        retry_s=60.0 if killer else 0.0,
    )
    if killer:
        killer.join(timeout=120)
        assert killer.kills == killer.wanted, f"only {killer.kills} kills happened"
        assert report.retries > 0  # the kills landed while participants were voting
    rows = httpx.get(base + "/admin/export.json", headers={"X-Admin-Token": ADMIN}, timeout=60).json()
    assert report.votes == n_participants * n_trials and report.repeats > 0
    assert report.acknowledged == report.votes + report.repeats  # every post answered 303
    assert len(rows) == n_participants * n_trials  # nothing lost, repeats not stored twice
    assert len({(r["participant"], r["trial_pos"]) for r in rows}) == len(rows)
    got: dict[str, list[int]] = {}
    for r in sorted(rows, key=lambda r: (r["external_id"], r["trial_pos"])):
        got.setdefault(r["external_id"], []).append(r["chosen_position"])
    assert got == report.choices  # every participant's choices, in order, exactly as sent
    stats = httpx.get(base + "/admin/stats.json", headers={"X-Admin-Token": ADMIN}).json()
    assert stats["completed"] == n_participants
    msg = (
        f"load: {n_participants} participants x {n_trials} trials, concurrency {concurrency}, "
        f"{killer.kills if killer else 0} kill -9: {report.votes} votes ({report.repeats} repeats) acknowledged, "
        f"{len(rows)} exported, {report.retries} retried requests, in {report.seconds:.1f} s = "
        f"{report.votes_per_s:.0f} votes/s"
    )
    logger.warning(msg)
    print(msg)


class Killer(threading.Thread):
    """Kills the server with SIGKILL ``wanted`` times, restarting it each time.

    The kills are spaced by progress, not by the clock: kill ``i`` lands once the server has stored
    ``i / (wanted + 1)`` of the ``total`` votes, so every kill falls mid-run however fast the
    machine is (a timer fired after the run had finished on a quiet machine).
    """

    def __init__(self, server, wanted: int, total: int) -> None:
        super().__init__(daemon=True)
        self.server, self.wanted, self.total, self.kills = server, wanted, total, 0

    def _votes(self) -> int:
        try:
            r = httpx.get(self.server.base + "/admin/stats.json", headers={"X-Admin-Token": ADMIN}, timeout=5)
            return int(r.json()["votes"])
        except (httpx.HTTPError, ValueError, KeyError):
            return -1  # restarting, or busy: look again

    def run(self) -> None:
        for i in range(1, self.wanted + 1):
            while self._votes() < self.total * i // (self.wanted + 1):
                time.sleep(0.02)
            self.server.kill9()
            self.kills += 1
            self.server.start()


@pytest.mark.parametrize("study_dir", [6], indirect=True)
def test_load_short(live_server):
    _check(live_server, n_participants=10, n_trials=6, concurrency=10)


@pytest.mark.parametrize("study_dir", [8], indirect=True)
def test_kill_9_mid_run_loses_and_duplicates_nothing(serve, study_dir):
    base = serve(study_dir)
    killer = Killer(serve.servers[0], wanted=1, total=12 * 8)
    killer.start()
    _check(base, n_participants=12, n_trials=8, concurrency=12, killer=killer)


@pytest.mark.slow
@pytest.mark.parametrize("study_dir", [15], indirect=True)
def test_kill_9_three_times_40_raters_x_15_trials(serve, study_dir):
    base = serve(study_dir)
    killer = Killer(serve.servers[0], wanted=3, total=40 * 15)
    killer.start()
    _check(base, n_participants=40, n_trials=15, concurrency=20, killer=killer)


@pytest.mark.slow
@pytest.mark.parametrize("study_dir", [40], indirect=True)
def test_load_50_participants_x_40_trials(live_server):
    _check(live_server, n_participants=50, n_trials=40, concurrency=50)
