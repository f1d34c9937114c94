"""Turn a pass into results: a per-image table, set-level values with bootstrap CIs, and files."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.metrics.bootstrap import bootstrap_mean_ci
from benchmarks.metrics.configs import get_spec, weights_for
from pasd.utils.io import atomic_open, atomic_write_json

#: the value written in every output for a metric whose weights are missing (``--skip-missing``)
MISSING = "missing"


@dataclass
class EvaluationResult:
    """Per-image rows (column ``image`` + one column per per-image metric) and the JSON summary."""

    per_image: pd.DataFrame
    summary: dict[str, Any]

    def value(self, metric: str) -> float | None:
        """The headline number of ``metric``: the mean for per-image metrics, the value for set ones."""
        entry = self.summary["metrics"][metric]
        return entry.get("mean", entry.get("value"))


class UnreadableImagesError(ValueError):
    """Some files could not be decoded; lists them all and carries the result of the rest."""

    def __init__(
        self,
        unreadable: dict[str, str],
        result: EvaluationResult,
        results: dict[str, EvaluationResult] | None = None,
    ) -> None:
        self.unreadable = unreadable
        self.result = result
        #: every method's result when raised by ``engine.score_many`` (``result`` is the first affected)
        self.results = results or {}
        lines = "\n".join(f"  - {reason}" for reason in unreadable.values())
        super().__init__(f"{len(unreadable)} unreadable image file(s):\n{lines}")


def summarise(names, state, opts, pred_dir, gt_dir) -> EvaluationResult:
    """Build the :class:`EvaluationResult` of a finished pass (see ``multi_pass.run_many``)."""
    from benchmarks.metrics.engine import resolved_options

    rows = {n: i for i, n in enumerate(state.names)}
    table: dict[str, list] = {"image": [p.name for p in state.pairs]}
    bad = set(state.unreadable)
    table["status"] = [
        "unreadable" if str(p.pred) in bad or (p.gt is not None and str(p.gt) in bad) else "ok"
        for p in state.pairs
    ]
    metrics: dict[str, Any] = {}
    for name in names:
        spec = get_spec(name)
        entry: dict[str, Any] = {
            "mode": spec.mode, "lower_better": spec.lower_better, "title": spec.title,
            "weights": list(weights_for(name, resolved_options(name, opts))), "options": resolved_options(name, opts),
        }  # fmt: skip
        if name in state.missing:
            entry |= {"status": MISSING, "reason": state.missing[name]}
            if spec.mode != "set":
                table[name] = [MISSING] * len(state.pairs)
        elif spec.mode == "set":
            entry |= {"status": "ok", "value": state.set_values[name], "counts": state.set_counts[name]}
            entry["gt_feature_cache"] = state.cache.get(name, "off")
            entry["route"] = state.set_routes.get(name)
        else:
            scores = state.per_image[name]
            table[name] = [float(scores[rows[p.name]]) if p.name in rows else np.nan for p in state.pairs]
            ci = (
                bootstrap_mean_ci(scores, opts.confidence, opts.n_resamples, opts.seed)
                if len(scores)
                else None
            )
            entry |= {"status": "ok", "n": int(len(scores))}
            if name in state.cache:  # full-reference metrics whose GT side is cached (LPIPS, DISTS)
                entry["gt_feature_cache"] = state.cache[name]
            if ci is not None:
                entry |= {"mean": ci.mean, "ci_low": ci.low, "ci_high": ci.high}
        metrics[name] = entry
    summary = {
        "pred_dir": str(pred_dir),
        "gt_dir": str(gt_dir) if gt_dir is not None else None,
        "counts": {"pairs": len(state.pairs), "scored": len(state.names), "unreadable": len(state.unreadable)},
        "metrics": metrics,
        "missing": sorted(state.missing),
        "unreadable": state.unreadable,
        "input_notes": state.notes,
        "warnings": (
            [f"{len(state.gray_vs_colour)} pred image(s) grayscale vs colour GT: {state.gray_vs_colour}"]
            if state.gray_vs_colour
            else []
        ),
        "unpaired": state.unpaired,
        "options": dataclasses.asdict(opts),
        "protocol": opts.protocol,
        "bootstrap": {"method": "percentile", "confidence": opts.confidence, "n_resamples": opts.n_resamples,
                      "seed": opts.seed},
    }  # fmt: skip
    return EvaluationResult(pd.DataFrame(table), summary)


def write_outputs(result: EvaluationResult, out_csv: str | Path, env: dict[str, Any] | None = None) -> Path:
    """Write ``out_csv`` (per image) and its sibling ``.json`` (set level, configs, ``env``), atomically.

    Returns:
        The JSON path.
    """
    out_csv = Path(out_csv)
    with atomic_open(out_csv, "w", newline="", encoding="utf-8") as fh:
        result.per_image.to_csv(fh, index=False, float_format="%.10g")
    json_path = out_csv.with_suffix(".json")
    atomic_write_json(json_path, {**result.summary, "per_image_csv": out_csv.name, "env": env or {}})
    return json_path


def format_value(entry: dict[str, Any]) -> str:
    """A table cell: ``mean [low, high]``, a set-level value, or ``missing``."""
    if entry.get("status") == MISSING:
        return MISSING
    if "value" in entry:
        return f"{entry['value']:.4f}"
    if "mean" not in entry:
        return "-"
    ci = f" [{entry['ci_low']:.4f}, {entry['ci_high']:.4f}]" if entry.get("ci_low") is not None else ""
    return f"{entry['mean']:.4f}{ci}"
