"""Protocol spread: the same outputs scored under every protocol card, and why the numbers differ.

For each (method, dataset, metric) the table holds one value per card and the range. For the
two cards that span the range, the difference is decomposed into steps: starting from the low
card, the differing settings are switched to the high card's values one at a time, in a fixed
order (:data:`STEP_ORDER`), re-scoring after each; a setting that is not valid on its own
(e.g. pyiqa's SSIM always rounds Y) is switched together with the next one. The steps add up
to the whole difference, and the largest says which setting made it.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.protocols.card import ProtocolCard, diff_settings
from benchmarks.protocols.views import ScoredSet, scored_sets, write_view

logger = logging.getLogger(__name__)

#: the order in which differing settings are switched (earlier = applied first). The luma
#: settings go before ``colour`` so that switching RGB -> Y lands on the high card's own Y.
STEP_ORDER = ("images", "crop_border", "color_space", "round_y", "colour", "implementation", "mode", "net",
              "version", "variant", "model", "reference")  # fmt: skip
_LUMA = ("color_space", "round_y")


@dataclass
class Step:
    settings: list[tuple[str, Any, Any]]  # key, from, to
    delta: float | None
    note: str = ""


@dataclass
class SpreadRow:
    method: str
    dataset: str
    metric: str
    values: dict[str, float | None]  # card -> value (None: not available)
    notes: dict[str, str] = field(default_factory=dict)  # card -> why there is no value
    low: str | None = None
    high: str | None = None
    range: float | None = None
    differing: list[tuple[str, Any, Any]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def made_the_difference(self) -> Step | None:
        valued = [s for s in self.steps if s.delta is not None]
        return max(valued, key=lambda s: abs(s.delta)) if valued else None


def _order(key: str) -> int:
    scope, name = key.split(".", 1)
    setting = "images" if scope == "images" else name
    return STEP_ORDER.index(setting) if setting in STEP_ORDER else len(STEP_ORDER)


def _score(pred: Path, gt: Path | None, metrics: list[str], card: ProtocolCard, device: str, cache: str):
    """{metric: value or None}, {metric: why there is no value} for one card."""
    from benchmarks.metrics.engine import EngineOptions

    opts = EngineOptions(
        device=device, skip_missing=True, cache_dir=cache, n_resamples=10, **card.engine_fields()
    )
    # the table says "weights missing" per cell; the engine's warning would repeat it per card and step
    engine_log = logging.getLogger("benchmarks.metrics.engine")
    level = engine_log.level
    engine_log.setLevel(logging.ERROR)
    try:
        return _evaluate(pred, gt, list(metrics), opts)
    finally:
        engine_log.setLevel(level)


def _evaluate(pred: Path, gt: Path | None, metrics: list[str], opts):
    from benchmarks.metrics.engine import evaluate
    from benchmarks.metrics.results import MISSING
    from pasd.hub import MissingWeightsError

    errors = (ValueError, KeyError, TypeError, MissingWeightsError)
    values: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    # one pass for all metrics; if a card setting is unavailable for one metric, score each alone
    try:
        runs = [(metrics, evaluate(pred, gt, metrics, opts))]
    except errors:
        runs = []
        for m in metrics:
            try:
                runs.append(([m], evaluate(pred, gt, [m], opts)))
            except errors as exc:
                values[m], notes[m] = (
                    None,
                    str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc),
                )
    for group, result in runs:
        for m in group:
            entry = result.summary["metrics"][m]
            if entry.get("status") == MISSING:
                values[m], notes[m] = None, "weights missing"
            else:
                values[m] = entry.get("mean", entry.get("value"))
    return values, notes


def _luma_idle(pending: list[tuple[str, Any, Any]], trial: dict[str, Any]) -> bool:
    """True if every pending change is a luma setting of a metric still scored on RGB (no effect yet)."""
    return all(
        k.split(".", 1)[1] in _LUMA and trial.get(k.split(".", 1)[0] + ".colour") == "rgb"
        for k, _, _ in pending
    )


def _steps(
    low: ProtocolCard, high: ProtocolCard, metric: str, start: float, pred, gt, device, cache
) -> list[Step]:
    # switch only what is in effect in the high card (its luma settings are moot if it scores RGB),
    # from the low card's actual value (which may be moot on the low side)
    target = high.settings_for(metric)
    diffs = sorted(
        [(k, low.settings.get(k), v) for k, v in target.items() if low.settings.get(k) != v],
        key=lambda t: _order(t[0]),
    )
    steps, pending, current, prev = [], [], dict(low.settings), start
    for k, a, b in diffs:
        pending.append((k, a, b))
        trial = {**current, **{key: to for key, _, to in pending}}
        if _luma_idle(pending, trial):
            continue  # no effect while the metric is on RGB: switch it with the colour change
        try:
            card = ProtocolCard(low.name, low.title, low.summary, trial, low.sources, low.packages)
            values, _ = _score(pred, gt, [metric], card, device, cache)
        except (KeyError, ValueError):  # pragma: no cover - _score catches what metric construction raises
            values = {metric: None}
        if values.get(metric) is None:
            continue  # not valid alone: switch it together with the next setting
        steps.append(Step(list(pending), values[metric] - prev))
        current, prev, pending = trial, values[metric], []
    if pending:
        steps.append(Step(list(pending), None, "could not be scored with these settings"))
    return steps


def protocol_spread(
    results_dir: str | Path, cards: Sequence[ProtocolCard], metrics: Sequence[str] | None = None,
    run_id: int | None = None, device: str = "cpu", explain: bool = True, progress: bool = False,
) -> list[SpreadRow]:  # fmt: skip
    """Score every recorded (method, dataset) under each card.

    Args:
        results_dir: a results folder written by the runner.
        cards: the protocol cards to compare (at least two).
        metrics: metric names; default: those the results hold.
        run_id: one run; default: the latest output folders.
        device: where network metrics run.
        explain: decompose each range into per-setting steps (extra scoring passes).

    Raises:
        ValueError: fewer than two cards, or nothing recorded.
    """
    from tqdm.auto import tqdm

    from benchmarks.results import ResultsStore

    if len(cards) < 2:
        raise ValueError(f"a spread needs at least two protocol cards, got {[c.name for c in cards]}")
    sets = scored_sets(results_dir, run_id)
    if metrics is None:
        with ResultsStore(results_dir, create=False) as store:
            metrics = sorted(set(store.set_level(run_id).metric))
    rows: list[SpreadRow] = []
    cache = str(Path(results_dir) / "feature-cache")
    with tempfile.TemporaryDirectory(prefix="pasd-spread-") as tmp:
        for k, scored in enumerate(tqdm(sets, desc="spread", disable=not progress)):
            rows += _spread_one(scored, Path(tmp) / str(k), list(metrics), cards, device, cache, explain)
    return rows


def _spread_one(scored: ScoredSet, root: Path, metrics, cards, device, cache, explain) -> list[SpreadRow]:
    from benchmarks.metrics.configs import get_spec

    if not scored.pred:
        return []
    pred, gt = write_view(scored, root)
    usable = [m for m in metrics if gt is not None or get_spec(m).mode == "NR"]
    per_card = {c.name: _score(pred, gt, usable, c, device, cache) for c in cards}
    by_name = {c.name: c for c in cards}
    rows = []
    for m in usable:
        row = SpreadRow(scored.name, scored.dataset, m, {c: per_card[c][0].get(m) for c in by_name},
                        {c: per_card[c][1][m] for c in by_name if m in per_card[c][1]})  # fmt: skip
        valued = {c: v for c, v in row.values.items() if v is not None}
        if len(valued) >= 2:
            row.low, row.high = min(valued, key=valued.get), max(valued, key=valued.get)
            row.range = valued[row.high] - valued[row.low]
            names = list(valued)
            seen: dict[str, tuple[str, Any, Any]] = {}
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    for key, va, vb in diff_settings(by_name[a].settings_for(m), by_name[b].settings_for(m)):
                        seen.setdefault(key, (key, va, vb))
            row.differing = [seen[k] for k in sorted(seen)]
            if explain and row.range:
                row.steps = _steps(
                    by_name[row.low], by_name[row.high], m, valued[row.low], pred, gt, device, cache
                )
        rows.append(row)
    return rows


def spread_as_dicts(rows: list[SpreadRow]) -> list[dict[str, Any]]:
    """JSON form of the rows."""
    return [asdict(r) | {"made_the_difference": asdict(r.made_the_difference) if r.made_the_difference else None}
            for r in rows]  # fmt: skip
