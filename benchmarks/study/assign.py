"""Per-participant trial order and option order, decided on the server.

The order is a pure function of the study seed and the participant's secret id, so it is
reproducible for an audit (given the database) yet unpredictable to the participant.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from benchmarks.study.spec import StudySpec


@dataclass(frozen=True)
class AssignedTrial:
    """One trial as a participant sees it: the reference and the options in display order."""

    trial_id: str
    kind: str  # "main" or "gold"
    lq: str
    options: list[tuple[str, str]]  # (method or gold pseudo-method, path), display order


def participant_rng(spec: StudySpec, pid: str) -> random.Random:
    """A generator seeded from (study id, study seed, participant id)."""
    digest = hashlib.sha256(f"{spec.study_id}:{spec.seed}:{pid}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def make_assignment(spec: StudySpec, pid: str) -> list[AssignedTrial]:
    """Shuffle the trials and each trial's options for participant ``pid``.

    Gold trials are inserted at random positions after the first trial, so they are
    indistinguishable from real ones and never the very first thing a rater sees.

    Args:
        spec: the study.
        pid: the participant's secret id.

    Returns:
        ``spec.n_trials`` trials in the order this participant will see them.
    """
    rng = participant_rng(spec, pid)
    trials = []
    for im in spec.images:
        opts = [(m, im.outputs[m]) for m in spec.methods]
        rng.shuffle(opts)
        trials.append(AssignedTrial(im.id, "main", im.lq, opts))
    rng.shuffle(trials)
    for g in spec.gold:
        opts = sorted(g.options.items())
        rng.shuffle(opts)
        trials.insert(rng.randint(1, len(trials)), AssignedTrial(g.id, "gold", g.lq, opts))
    return trials
