"""Simulated participants hammering a running study server: checks no vote is lost or duplicated.

Each simulated participant gives consent (with an external id), then for every trial loads the
trial page and its images (the server refuses answers to trials whose images were not served),
picks a random option and posts it, re-posting the same vote now and then to exercise idempotency.
Concurrency is bounded by a thread pool.

With ``retry_s`` a participant rides out a server that is killed and restarted: a request that
fails to connect (or loses its answer) is sent again until the deadline, so a test can
``kill -9`` the server mid-run and then check that every vote the server acknowledged (answered
303) is in the export exactly once.
"""

from __future__ import annotations

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pasd.utils.optional import require

_POS = re.compile(r'data-pos="(\d+)"')
_OPTION = re.compile(r'name="option" value="([A-Za-z0-9_-]+)"')
_IMAGE = re.compile(r'src="/img/([A-Za-z0-9_-]+)"')


@dataclass(frozen=True)
class LoadReport:
    """What the simulated participants sent and how long it took."""

    participants: int
    votes: int
    repeats: int
    requests: int
    seconds: float
    choices: dict[str, list[int]]  # external id -> chosen 1-based position per trial
    acknowledged: int = 0  # vote posts the server answered with 303 (first posts and repeats)
    retries: int = 0  # requests sent again after a connection failure

    @property
    def votes_per_s(self) -> float:
        return self.votes / self.seconds

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds


def _participant(
    base: str, ext: str, seed: int, repeat_rate: float, max_trials: int, retry_s: float = 0.0
) -> tuple[list[int], int, int, int, int]:
    httpx = require("httpx", "study")
    rng = random.Random(seed)
    chosen: list[int] = []
    requests = repeats = acked = retries = 0
    with httpx.Client(base_url=base, timeout=60.0, follow_redirects=False) as client:

        def send(method: str, url: str, **kw):
            nonlocal requests, retries
            deadline = time.monotonic() + retry_s
            while True:
                requests += 1
                try:
                    return client.request(method, url, **kw)
                except httpx.TransportError:
                    if time.monotonic() >= deadline:
                        raise
                    retries += 1
                    time.sleep(0.05)

        r = send("POST", "/consent", data={"agree": "yes", "ext": ext})
        if r.status_code != 303:
            raise RuntimeError(f"consent failed for {ext}: {r.status_code}")
        for _ in range(max_trials + 1):  # bounded: a study has at most max_trials trials
            page = send("GET", "/trial")
            if page.status_code == 303 and page.headers["location"] == "/done":
                return chosen, requests, repeats, acked, retries
            page.raise_for_status()
            pos = int(_POS.search(page.text)[1])
            options = _OPTION.findall(page.text)
            for tok in _IMAGE.findall(page.text):
                send("GET", f"/img/{tok}").raise_for_status()
            k = rng.randrange(len(options))
            form = {"pos": str(pos), "option": options[k], "client_ms": str(rng.randint(500, 9000))}
            posts = 2 if rng.random() < repeat_rate else 1
            for _ in range(posts):
                r = send("POST", "/vote", data=form)
                if r.status_code != 303:
                    raise RuntimeError(
                        f"vote rejected for {ext} at trial {pos}: {r.status_code} {r.text[:200]}"
                    )
                acked += 1
            repeats += posts - 1
            chosen.append(k + 1)
    raise RuntimeError(f"{ext}: study did not finish within {max_trials} trials")


def run_participants(
    base_url: str,
    n_participants: int,
    concurrency: int = 16,
    *,
    repeat_rate: float = 0.1,
    max_trials: int = 1000,
    seed: int = 0,
    retry_s: float = 0.0,
) -> LoadReport:
    """Run ``n_participants`` simulated participants, ``concurrency`` at a time, to completion.

    Args:
        base_url: e.g. ``http://127.0.0.1:8123``.
        n_participants: how many participants take the whole study.
        concurrency: participants in flight at once.
        repeat_rate: probability of posting a vote twice (double-click, retry).
        max_trials: safety bound on trials per participant.
        seed: seeds the random choices.
        retry_s: keep re-sending a request that fails to connect for this long (a restarting server).

    Returns:
        A :class:`LoadReport`; compare ``choices`` against the server's export.
    """
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = {
            f"sim-{i:04d}": pool.submit(
                _participant, base_url, f"sim-{i:04d}", seed * 100_003 + i, repeat_rate, max_trials, retry_s
            )
            for i in range(n_participants)
        }
        results = {ext: f.result() for ext, f in futures.items()}
    seconds = time.perf_counter() - t0
    return LoadReport(
        participants=n_participants,
        votes=sum(len(res[0]) for res in results.values()),
        repeats=sum(res[2] for res in results.values()),
        requests=sum(res[1] for res in results.values()),
        seconds=seconds,
        choices={ext: res[0] for ext, res in results.items()},
        acknowledged=sum(res[3] for res in results.values()),
        retries=sum(res[4] for res in results.values()),
    )
