"""Compare two snapshots (golden vs now, or results A vs B): cells, images, protocol, environment.

Exit codes (:attr:`DriftReport.exit_code`): 0 everything within tolerance; 1 drift (a value,
an image, a protocol setting, or a protocol package / weights file changed); 2 unusable input
(a golden cell has no usable value now). Missing cells are always listed, never passed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from benchmarks.drift.snapshot import cell_key, split_key
from benchmarks.drift.tiers import Tier, TierPolicy
from benchmarks.protocols.card import diff_settings
from benchmarks.protocols.schema import settings_for

#: environment fields compared besides package versions
_ENV_FIELDS = ("python", "platform", "machine")


@dataclass
class ImageMove:
    image: str
    golden: float
    now: float
    delta: float


@dataclass
class CellDiff:
    """One compared cell (method / dataset / metric)."""

    key: str
    golden: float | None
    now: float | None
    delta: float | None
    tolerance: float
    tier: str
    moved: bool
    direction: str = ""
    n_golden: int | None = None
    n_now: int | None = None
    images_moved: int = 0
    top_images: list[ImageMove] = field(default_factory=list)
    settings_changed: list[tuple[str, Any, Any]] = field(default_factory=list)
    note: str = ""


@dataclass
class ImageChange:
    """One image whose pixels differ between the two sides."""

    where: str  # "method / dataset" or "dataset / lq"
    image: str
    tier: str
    thumb_diff: float | None  # max |thumbnail difference| in grey levels (None: sizes differ / unreadable)
    within_tolerance: bool
    detail: str = ""


@dataclass
class DriftReport:
    """The outcome of a comparison (see module docstring for the exit codes)."""

    cells: list[CellDiff] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # key, why
    new: list[str] = field(default_factory=list)
    images: list[ImageChange] = field(default_factory=list)
    missing_images: list[tuple[str, str]] = field(default_factory=list)
    protocol: list[tuple[str, Any, Any, list[str]]] = field(
        default_factory=list
    )  # setting, golden, now, cells
    packages: list[tuple[str, str | None, str | None, bool]] = field(
        default_factory=list
    )  # name, a, b, pinned
    env: list[tuple[str, Any, Any]] = field(default_factory=list)
    weights: list[tuple[str, dict, dict, bool]] = field(
        default_factory=list
    )  # artifact, a, b, content changed
    allow_env_change: bool = False
    policy: dict[str, Any] = field(default_factory=dict)

    @property
    def moved(self) -> list[CellDiff]:
        return [c for c in self.cells if c.moved]

    @property
    def failing_images(self) -> list[ImageChange]:
        return [i for i in self.images if not i.within_tolerance]

    @property
    def failing_packages(self) -> list[tuple[str, str | None, str | None, bool]]:
        return [] if self.allow_env_change else [p for p in self.packages if p[3]]

    @property
    def failing_weights(self) -> list[tuple[str, dict, dict, bool]]:
        return [] if self.allow_env_change else [w for w in self.weights if w[3]]

    @property
    def exit_code(self) -> int:
        if self.missing or self.missing_images or not (self.cells or self.images):
            return 2
        drift = (
            self.moved
            or self.failing_images
            or self.protocol
            or self.failing_packages
            or self.failing_weights
        )
        return 1 if drift else 0

    def as_dict(self) -> dict[str, Any]:
        """JSON form (``--json``)."""
        out = asdict(self)
        out["exit_code"] = self.exit_code
        out["summary"] = {
            "cells_compared": len(self.cells), "cells_moved": len(self.moved), "cells_missing": len(self.missing),
            "cells_new": len(self.new), "images_changed": len(self.images),
            "images_beyond_tolerance": len(self.failing_images), "protocol_changes": len(self.protocol),
            "package_changes": len(self.packages), "weights_changes": len(self.weights),
        }  # fmt: skip
        return out


def _lower_better(metric: str) -> bool | None:
    from benchmarks.metrics.configs import DEFAULT_CONFIGS

    spec = DEFAULT_CONFIGS.get(metric)
    return None if spec is None else spec.lower_better


def _direction(metric: str, delta: float) -> str:
    lower = _lower_better(metric)
    if delta == 0 or lower is None:
        return "up" if delta > 0 else ("down" if delta < 0 else "")
    better = (delta < 0) if lower else (delta > 0)
    return ("up" if delta > 0 else "down") + (" (better)" if better else " (worse)")


def _run(snap: dict[str, Any], rid: Any) -> dict[str, Any]:
    return snap["runs"].get(str(rid), {})


def _settings(run: dict[str, Any]) -> dict[str, Any] | None:
    card = run.get("protocol")
    return None if card is None else dict(card.get("settings", {}))


def _implementation(settings: dict[str, Any] | None, metric: str) -> str | None:
    return None if not settings else settings.get(f"{metric}.implementation")


def _compare_cell(
    key: str, g: dict[str, Any], n: dict[str, Any], golden: dict, now: dict, policy: TierPolicy
) -> CellDiff:
    method, _dataset, metric = split_key(key)[:3]  # a 4th part is the seed (seeds other than 0)
    gs, ns = _settings(_run(golden, g["run"])), _settings(_run(now, n["run"]))
    tier = policy.for_value(metric, method, g["value"], _implementation(gs, metric))
    tol = tier.tolerance(g["value"])
    delta = n["value"] - g["value"]
    diff = CellDiff(
        key, g["value"], n["value"], delta, tol, tier.name, abs(delta) > tol, _direction(metric, delta),
        g.get("n"), n.get("n"),
    )  # fmt: skip
    if g.get("n") != n.get("n"):
        diff.moved = True
        diff.note = f"images scored: {g.get('n')} -> {n.get('n')}"
    moves = []
    gi, ni = g.get("per_image", {}), n.get("per_image", {})
    for img in sorted(set(gi) | set(ni)):
        if img not in gi or img not in ni:
            diff.moved = True
            diff.note = (
                diff.note + "; " if diff.note else ""
            ) + f"image {img!r} only in {'golden' if img in gi else 'now'}"
            continue
        d = ni[img] - gi[img]
        if abs(d) > tier.tolerance(gi[img]):
            diff.images_moved += 1
        if d != 0:
            moves.append(ImageMove(img, gi[img], ni[img], d))
    if diff.images_moved:
        diff.moved = True
    diff.top_images = sorted(moves, key=lambda m: -abs(m.delta))[:5]
    if gs is None or ns is None:
        if (gs is None) != (ns is None):
            diff.settings_changed = [
                ("protocol", "recorded" if gs else "not recorded", "recorded" if ns else "not recorded")
            ]
    else:
        diff.settings_changed = diff_settings(settings_for(gs, metric), settings_for(ns, metric))
    return diff


def _thumb_diff(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    if a.get("size") != b.get("size") or "thumb" not in a or "thumb" not in b:
        return None
    ta, tb = (np.asarray(str(t["thumb"]).split(), dtype=np.float64) for t in (a, b))
    return None if ta.shape != tb.shape else float(np.max(np.abs(ta - tb)))


def _compare_images(where: str, g: dict, n: dict, tier: Tier, report: DriftReport) -> None:
    for img, grec in sorted(g.items()):
        nrec = n.get(img)
        if nrec is None:
            report.missing_images.append((f"{where} / {img}", "image not found now"))
            continue
        if "error" in nrec or "error" in grec:
            report.images.append(
                ImageChange(where, img, tier.name, None, False, nrec.get("error") or grec["error"])
            )
            continue
        if nrec["pixels"] == grec["pixels"]:
            continue
        td = _thumb_diff(grec, nrec)
        ok = tier.outputs > 0 and td is not None and td <= tier.outputs
        detail = "size changed" if td is None else f"pixels differ; thumbnail max diff {td:.3f} levels"
        report.images.append(ImageChange(where, img, tier.name, td, ok, detail))


def _compare_runs(golden: dict, now: dict, report: DriftReport) -> None:
    """Packages, platform and weights: newest golden run vs newest current run."""
    if not golden["runs"] or not now["runs"]:
        return
    g = golden["runs"][max(golden["runs"], key=int)]
    n = now["runs"][max(now["runs"], key=int)]
    pinned: set[str] = set()
    for run in (g, n):
        pinned.update((run.get("protocol") or {}).get("packages", []))
    gp, np_ = g.get("env", {}).get("packages", {}), n.get("env", {}).get("packages", {})
    for name in sorted(set(gp) | set(np_)):
        if gp.get(name) != np_.get(name) and name != "pasd-bench":
            report.packages.append((name, gp.get(name), np_.get(name), name in pinned))
    for key in _ENV_FIELDS:
        if g.get("env", {}).get(key) != n.get("env", {}).get(key):
            report.env.append((key, g.get("env", {}).get(key), n.get("env", {}).get(key)))
    if g.get("device") != n.get("device"):
        report.env.append(("device", g.get("device"), n.get("device")))
    gt, nt = g.get("env", {}).get("torch", {}), n.get("env", {}).get("torch", {})
    for key in ("cuda_version", "cudnn_version"):
        if gt.get(key) != nt.get(key):
            report.env.append((f"torch.{key}", gt.get(key), nt.get(key)))
    gw, nw = g.get("weights", {}), n.get("weights", {})
    for art in sorted(set(gw) | set(nw)):
        a, b = gw.get(art, {}), nw.get(art, {})
        if a == b:
            continue
        # only a different hash / revision of the same artifact is a different model; a file that is
        # now found (or no longer found) changes which cells have numbers, which the cells report
        content = any(k in a and k in b and a[k] != b[k] for k in ("sha256", "revision"))
        report.weights.append((art, a, b, content))


def compare_snapshots(
    golden: dict[str, Any], now: dict[str, Any], policy: TierPolicy, allow_env_change: bool = False
) -> DriftReport:
    """Compare every cell, image and record of ``golden`` with ``now``.

    Args:
        golden: the reference snapshot (a golden file, or results A).
        now: the snapshot under test (results B).
        policy: which tolerance tier judges which value.
        allow_env_change: report package-version and weights changes without failing on them
            (to ask "did the numbers move across these library versions?").
    """
    report = DriftReport(allow_env_change=allow_env_change, policy=policy.describe())
    for key, g in sorted(golden["cells"].items()):
        n = now["cells"].get(key)
        if g["status"] != "ok":
            if n is None:
                report.missing.append((key, f"not in the results now (golden status {g['status']})"))
            elif n["status"] != g["status"] and n["status"] != "ok":
                report.missing.append(
                    (key, f"status {g['status']} -> {n['status']}: {n.get('note') or ''}".strip())
                )
            continue
        if n is None:
            report.missing.append((key, "not in the results now"))
            continue
        if n["status"] != "ok":
            report.missing.append(
                (key, f"no value now: {n['status']}" + (f" ({n['note']})" if n.get("note") else ""))
            )
            continue
        report.cells.append(_compare_cell(key, g, n, golden, now, policy))
    report.new = sorted(k for k in now["cells"] if k not in golden["cells"])
    changes: dict[tuple[str, Any, Any], list[str]] = {}
    for c in report.cells:
        for s in c.settings_changed:
            changes.setdefault(s, []).append(c.key)
    report.protocol = [
        (k, a, b, cells) for (k, a, b), cells in sorted(changes.items(), key=lambda t: str(t[0]))
    ]
    for where, g in sorted(golden["outputs"].items()):
        n = now["outputs"].get(where)
        method = split_key(where)[0]
        if n is None:
            if g["images"]:
                report.missing_images.append((where, "no output folder recorded now"))
            continue
        _compare_images(where, g["images"], n["images"], policy.for_outputs(method), report)
    for dataset, roles in sorted(golden["inputs"].items()):
        for role, g in sorted(roles.items()):
            n = now["inputs"].get(dataset, {}).get(role)
            where = cell_key(dataset, role)
            if n is None:
                if g["images"]:
                    report.missing_images.append((where, "no input folder recorded now"))
                continue
            _compare_images(where, g["images"], n["images"], policy.for_inputs(), report)
    _compare_runs(golden, now, report)
    return report
