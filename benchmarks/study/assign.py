"""Per-participant trials, decided on the server: image subsets, method pairs, gold, repeats, order.

Two things decide a participant's trials:

- their **arrival index** ``r`` (0 for the first participant, 1 for the next, ...), which picks a
  *balanced* share of the work: with ``K`` images per rater out of ``N``, rater ``r`` gets the
  ``K`` images at positions ``rK .. rK+K-1`` (cyclically) of one fixed shuffle of the images, so
  after any number of raters every image has been given to the same number of raters, give or
  take one. In the pairwise design the ``v``-th visit of image ``g`` shows pair
  ``(g + v) mod P`` of the ``P`` method pairs, so each image cycles through all pairs and the pairs
  are spread evenly over images and raters; the sides swap every cycle.
- their **secret id**, which seeds the order of trials and of options within a trial (and which
  trials are repeated), so the order is reproducible for an audit yet unpredictable to them.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from dataclasses import dataclass

from benchmarks.study.spec import GOLD_CLEAN, ImageItem, StudySpec


@dataclass(frozen=True)
class AssignedTrial:
    """One trial as a participant sees it.

    ``options`` are (method or gold pseudo-method, path) in display order; ``lq`` is the reference
    (None when the study shows none); ``tie`` offers a "no visible difference" answer;
    ``repeat_of`` is the position of the trial this one repeats.
    """

    trial_id: str
    kind: str  # "main", "gold" or "repeat"
    lq: str | None
    options: list[tuple[str, str]]
    tie: bool = False
    repeat_of: int | None = None


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def participant_rng(spec: StudySpec, pid: str) -> random.Random:
    """A generator seeded from (study id, study seed, participant id)."""
    return _rng(spec.study_id, spec.seed, pid)


def image_order(spec: StudySpec) -> list[ImageItem]:
    """The study's fixed shuffle of its images, which rater subsets are cut from."""
    images = list(spec.images)
    _rng(spec.study_id, spec.seed, "images").shuffle(images)
    return images


def rater_images(spec: StudySpec, index: int) -> list[tuple[int, int, ImageItem]]:
    """The images of the rater with arrival ``index``: (position in :func:`image_order`, visit, image).

    ``visit`` counts how many raters before this one were given the same image.
    """
    order = image_order(spec)
    n, k = len(order), spec.n_images_per_rater
    return [((index * k + j) % n, (index * k + j) // n, order[(index * k + j) % n]) for j in range(k)]


def method_pairs(methods: list[str]) -> list[tuple[str, str]]:
    """All unordered method pairs, in a fixed order."""
    return list(itertools.combinations(sorted(methods), 2))


def make_assignment(spec: StudySpec, pid: str, index: int = 0) -> list[AssignedTrial]:
    """The trials of participant ``pid``, the ``index``-th to arrive, in the order they will see them.

    Gold trials are inserted at random positions after the first trial, so they are
    indistinguishable from real ones and never the very first thing a rater sees; repeats come
    at least two trials after their original.

    Args:
        spec: the study.
        pid: the participant's secret id.
        index: the participant's arrival index (0-based), which picks their balanced share.

    Returns:
        ``spec.n_trials`` trials.
    """
    rng = participant_rng(spec, pid)
    ref = (lambda path: path) if spec.show_reference else (lambda path: None)
    trials: list[AssignedTrial] = []
    pairs = method_pairs(spec.methods)
    for g, visit, im in rater_images(spec, index):
        if spec.design == "pairwise":
            for t in range(spec.pairs_per_image):
                k = visit * spec.pairs_per_image + t
                a, b = pairs[(g + k) % len(pairs)]
                if (k // len(pairs) + g + t) % 2:
                    a, b = b, a
                trials.append(
                    AssignedTrial(
                        im.id, "main", ref(im.lq), [(a, im.outputs[a]), (b, im.outputs[b])], tie=True
                    )
                )
        elif spec.design == "mos":
            trials += [AssignedTrial(im.id, "main", ref(im.lq), [(m, im.outputs[m])]) for m in spec.methods]
        else:
            opts = [(m, im.outputs[m]) for m in spec.methods]
            rng.shuffle(opts)
            trials.append(AssignedTrial(im.id, "main", ref(im.lq), opts))
    rng.shuffle(trials)
    for j, gt in enumerate(spec.gold):
        decoys = sorted((k, p) for k, p in gt.options.items() if k != GOLD_CLEAN)
        if spec.design == "pairwise":
            opts = [(GOLD_CLEAN, gt.options[GOLD_CLEAN]), decoys[(index + j) % len(decoys)]]
        elif spec.design == "mos":
            opts = [decoys[(index + j) % len(decoys)]]
        else:
            opts = sorted(gt.options.items())
        rng.shuffle(opts)
        gold = AssignedTrial(gt.id, "gold", ref(gt.lq), opts, tie=spec.design == "pairwise")
        trials.insert(rng.randint(1, len(trials)), gold)
    return _add_repeats(spec, trials, rng)


def _add_repeats(spec: StudySpec, trials: list[AssignedTrial], rng: random.Random) -> list[AssignedTrial]:
    if spec.repeats == 0:
        return trials
    main = [k for k, t in enumerate(trials) if t.kind == "main"]
    early = main[: max(spec.repeats, (2 * len(main)) // 3)]  # leave room after the originals
    originals = [trials[k] for k in sorted(rng.sample(early, spec.repeats))]
    seq: list[tuple[AssignedTrial, AssignedTrial | None]] = [(t, None) for t in trials]
    for orig in originals:
        at = next(k for k, (t, _) in enumerate(seq) if t is orig)
        opts = list(orig.options)
        if len(opts) == 2:
            opts.reverse()  # the other side this time
        else:
            rng.shuffle(opts)
        copy = AssignedTrial(orig.trial_id, "repeat", orig.lq, opts, tie=orig.tie)
        seq.insert(rng.randint(min(at + 3, len(seq)), len(seq)), (copy, orig))
    where = {id(t): k for k, (t, _) in enumerate(seq)}
    return [
        t if o is None else AssignedTrial(t.trial_id, t.kind, t.lq, t.options, t.tie, where[id(o)])
        for t, o in seq
    ]
