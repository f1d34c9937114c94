"""Tolerance tiers as data (``tiers.toml``) and the rules that pick one for each compared value.

Rules, strongest first: ``--metric-tier M=T`` for metric M; ``--method-tier X=T`` for every
value and output of method X; otherwise the looser of the metric's own tier (``[metrics]``,
else ``default``) and the ``--tier`` floor. "Looser" is judged at the golden value itself
(larger allowed difference), so a floor never tightens a metric. PSNR/SSIM computed with pyiqa
(float32 torch) are held to ``same-device`` instead of ``exact``: their rounding is float32's.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TIERS_FILE = Path(__file__).resolve().parent / "tiers.toml"
_ROW_KEYS = {"rel", "abs", "outputs", "reason"}


@dataclass(frozen=True)
class Tier:
    """One row of the tier table.

    Attributes:
        name: row name.
        rel: relative tolerance (of the golden value).
        abs: absolute tolerance.
        outputs: allowed thumbnail difference (grey levels) for images; 0 = pixel-identical.
        reason: why these numbers (shown in reports).
    """

    name: str
    rel: float
    abs: float
    outputs: float
    reason: str

    def tolerance(self, golden: float) -> float:
        """The allowed ``|now - golden|``."""
        return max(self.abs, self.rel * abs(golden))


@dataclass(frozen=True)
class TierTable:
    """All rows plus the per-metric defaults."""

    tiers: Mapping[str, Tier]
    metrics: Mapping[str, str]
    default: str
    outputs: str
    source: str = ""

    def get(self, name: str) -> Tier:
        """A row by name.

        Raises:
            KeyError: unknown tier (the known ones are listed).
        """
        if name not in self.tiers:
            raise KeyError(f"unknown tolerance tier {name!r}; known: {', '.join(sorted(self.tiers))}")
        return self.tiers[name]


def load_tiers(path: str | Path | None = None) -> TierTable:
    """Read a tier table (default: the shipped ``tiers.toml``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a malformed row, an unknown key, a negative tolerance, a row without a
            reason, or a default naming no row.
    """
    path = Path(path) if path is not None else TIERS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no tier table at {path}")
    with open(path, "rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    tiers = {}
    for name, row in dict(raw.get("tiers", {})).items():
        unknown = set(row) - _ROW_KEYS
        if unknown:
            raise ValueError(
                f"{path}: tier {name!r}: unknown keys {sorted(unknown)}; allowed: {sorted(_ROW_KEYS)}"
            )
        if not str(row.get("reason", "")).strip():
            raise ValueError(f"{path}: tier {name!r} has no reason (every row says why its numbers)")
        vals = {}
        for key in ("rel", "abs", "outputs"):
            v = row.get(key, 0.0)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"{path}: tier {name!r}: {key} must be a non-negative number, got {v!r}")
            vals[key] = float(v)
        tiers[name] = Tier(name, vals["rel"], vals["abs"], vals["outputs"], str(row["reason"]).strip())
    if not tiers:
        raise ValueError(f"{path}: no [tiers.*] rows")
    table = TierTable(
        tiers, {str(k): str(v) for k, v in dict(raw.get("metrics", {})).items()},
        str(raw.get("default", "same-device")), str(raw.get("outputs", "exact")), str(path),
    )  # fmt: skip
    for what, name in [("default", table.default), ("outputs", table.outputs), *table.metrics.items()]:
        if name not in tiers:
            raise ValueError(f"{path}: {what} names tier {name!r}; known: {sorted(tiers)}")
    return table


def _looser(a: Tier, b: Tier, golden: float | None) -> Tier:
    if golden is None:
        return a if a.outputs >= b.outputs else b
    return a if a.tolerance(golden) >= b.tolerance(golden) else b


@dataclass
class TierPolicy:
    """Which tier judges which value.

    Args:
        table: the tier table.
        floor: ``--tier``: every metric at least this loose.
        metric_tiers: metric -> tier, overriding everything else for that metric.
        method_tiers: method -> tier, for that method's values and outputs.
        input_tier: tier for dataset inputs (default: the floor, else the table's ``outputs``).
    """

    table: TierTable
    floor: str | None = None
    metric_tiers: dict[str, str] = field(default_factory=dict)
    method_tiers: dict[str, str] = field(default_factory=dict)
    input_tier: str | None = None

    def __post_init__(self) -> None:
        for name in [self.floor, self.input_tier, *self.metric_tiers.values(), *self.method_tiers.values()]:
            if name is not None:
                self.table.get(name)

    def for_value(self, metric: str, method: str, golden: float, implementation: str | None = None) -> Tier:
        """The tier for one metric value of ``method`` (``implementation``: its PSNR/SSIM backend)."""
        if metric in self.metric_tiers:
            return self.table.get(self.metric_tiers[metric])
        pinned = self._method_tier(method)
        if pinned is not None:
            return pinned
        own = self.table.metrics.get(metric, self.table.default)
        if implementation == "pyiqa" and own == "exact" and "same-device" in self.table.tiers:
            own = "same-device"
        tier = self.table.get(own)
        return _looser(tier, self.table.get(self.floor), golden) if self.floor else tier

    def for_outputs(self, method: str) -> Tier:
        """The tier for ``method``'s output images."""
        pinned = self._method_tier(method)
        if pinned is not None:
            return pinned
        tier = self.table.get(self.table.outputs)
        return _looser(tier, self.table.get(self.floor), None) if self.floor else tier

    def _method_tier(self, method: str) -> Tier | None:
        """A pinned tier for ``method``: by its entry id (``pasd[steps=50]``), else by its registry name."""
        from benchmarks.results.method_ids import base_method

        for key in (method, base_method(method)):
            if key in self.method_tiers:
                return self.table.get(self.method_tiers[key])
        return None

    def for_inputs(self) -> Tier:
        """The tier for the datasets' LQ/HQ images."""
        if self.input_tier:
            return self.table.get(self.input_tier)
        return self.for_outputs("")

    def describe(self) -> dict[str, Any]:
        """What the policy was (stored in the JSON report)."""
        return {
            "table": self.table.source, "floor": self.floor, "metric_tiers": dict(self.metric_tiers),
            "method_tiers": dict(self.method_tiers), "input_tier": self.input_tier,
        }  # fmt: skip
