"""Presets are data files (``benchmarks/presets/*.toml``): datasets, methods with params, metrics, seeds.

A preset may start from another with ``extends = "table1"`` (a shipped name, or a path relative to
the file): every top-level key the file sets replaces the parent's whole (a ``metrics`` list or the
``[[methods]]`` list is replaced, never appended to), and ``name`` must be its own.
"""

from __future__ import annotations

import difflib
import hashlib
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
ONLY_KEYS = ("method", "dataset", "metric", "seed")
#: keys a preset file may have (a typo such as ``metric =`` or ``seed =`` is an error, not ignored)
#: ("shared" and "reference": benchmarks.runner.shared_settings; "protocol" and
#: "protocol_options": the evaluation card, benchmarks.protocols)
PRESET_KEYS: tuple[str, ...] = (
    "name", "description", "task", "seeds", "metrics", "datasets", "methods", "shared", "reference",
    "protocol", "protocol_options", "extends",
)  # fmt: skip
#: keys of one ``[[datasets]]`` / ``[[methods]]`` entry
ENTRY_KEYS: dict[str, tuple[str, ...]] = {
    "datasets": ("name", "root", "params"),
    "methods": ("name", "params", "label"),
}
TASKS: tuple[str, ...] = ("real-isr", "stylization")


def _unknown(what: str, keys, allowed) -> str | None:  # noqa: ANN001
    """``None`` if every key is allowed, else a message naming each unknown key with close matches."""
    bad = [k for k in keys if k not in allowed]
    if not bad:
        return None
    parts = []
    for k in bad:
        close = difflib.get_close_matches(k, allowed, n=1)
        parts.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown {what} {', '.join(parts)}; allowed: {', '.join(allowed)}"


@dataclass(frozen=True)
class Entry:
    """A method or dataset with its parameters (and a root for datasets).

    Methods also carry an optional display ``label`` and their ``id``: what the results store keys
    the entry's cells by (:mod:`benchmarks.results.method_ids`; the name unless the preset lists the
    method twice or labels it).
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    root: str | None = None
    label: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", self.name)

    @property
    def given_label(self) -> str | None:
        """The label the preset gives this entry: its ``label`` key, else a ``label`` param (``folder``)."""
        if self.label:
            return self.label
        value = self.params.get("label")
        return str(value) if value else None


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    task: str
    datasets: tuple[Entry, ...]
    methods: tuple[Entry, ...]
    metrics: tuple[str, ...]
    seeds: tuple[int, ...] = (0,)
    source: str = ""
    #: params set once for every method that takes them (``[shared]``; ``run --set KEY=VALUE``)
    shared: dict[str, Any] = field(default_factory=dict)
    #: the FID/CLIP-FID reference set for sets without ground truth (see benchmarks.runner.shared_settings)
    reference: dict[str, Any] | None = None
    #: the evaluation protocol card (``benchmarks.protocols``): a name or a card TOML path
    protocol: str = "pasd"
    #: settings replaced on top of the card (``[protocol_options]`` in the preset)
    protocol_options: dict[str, Any] = field(default_factory=dict)
    #: the files this preset extends, nearest first (``extends``)
    parents: tuple[str, ...] = ()

    def card(self):
        """The resolved :class:`~benchmarks.protocols.ProtocolCard` this preset scores under."""
        from benchmarks.protocols import get_card

        return get_card(self.protocol, self.protocol_options)

    def as_dict(self) -> dict[str, Any]:
        """The resolved config, as stored with every run."""
        return {
            "protocol": self.protocol,
            "protocol_card": self.card().as_dict(),
            "name": self.name,
            "description": self.description,
            "task": self.task,
            "datasets": [{"name": d.name, "root": d.root, "params": d.params} for d in self.datasets],
            "methods": [
                {"name": m.name, "params": m.params, "label": m.label, "id": m.id} for m in self.methods
            ],
            "metrics": list(self.metrics),
            "seeds": list(self.seeds),
            "source": self.source,
            "extends": list(self.parents),
            "shared": dict(self.shared),
            "reference": dict(self.reference) if self.reference is not None else None,
        }


def list_presets() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.toml"))


def _find(name_or_path: str | Path, base: Path | None = None) -> Path:
    """A shipped preset's file by name, else the path (relative to ``base``, a preset's folder)."""
    path = Path(name_or_path)
    if not path.suffix and (PRESET_DIR / f"{name_or_path}.toml").is_file():
        return PRESET_DIR / f"{name_or_path}.toml"
    if base is not None and not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise FileNotFoundError(
            f"no preset {str(name_or_path)!r}: not a file, and shipped presets are {list_presets()}"
        )
    return path


def _read(path: Path, chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """The preset's keys with its ``extends`` chain applied, and the parent files, nearest first."""
    if path.resolve() in {p.resolve() for p in chain}:
        raise ValueError(f"preset {chain[0]} extends itself (chain: {' -> '.join(map(str, (*chain, path)))})")
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"preset {path}: not valid TOML ({exc})") from None
    problem = _unknown("top-level key", list(raw), PRESET_KEYS)
    if problem:
        raise ValueError(f"preset {path}: {problem}")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw, ()
    if not isinstance(parent, str) or not parent:
        raise ValueError(f"preset {path}: extends must be a preset name or path, got {parent!r}")
    if "name" not in raw:
        raise ValueError(f"preset {path}: a preset that extends {parent!r} needs its own name")
    parent_path = _find(parent, path.parent)
    inherited, parents = _read(parent_path, (*chain, path))
    return {**inherited, **raw}, (parent_path, *parents)


def preset_sha256(preset: Preset) -> str | None:
    """sha256 over the preset file and every file it extends (nearest first): what the run read."""
    files = [Path(p) for p in (preset.source, *preset.parents) if p]
    if not files or not all(f.is_file() for f in files):
        return None
    if len(files) == 1:  # the file's own sha256, as runs recorded before ``extends``
        return hashlib.sha256(files[0].read_bytes()).hexdigest()
    h = hashlib.sha256()
    for f in files:
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def load_preset(
    name_or_path: str | Path, data_root: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> Preset:
    """Load a shipped preset by name or a TOML file by path; ``{data}`` in roots becomes ``data_root``.

    Args:
        overrides: ``KEY=VALUE`` settings (``pasd-bench run --set``): a ``[shared]`` param, or
            ``reference.KEY=VALUE`` (see :mod:`benchmarks.runner.shared_settings`).

    Raises:
        FileNotFoundError: neither a shipped preset nor an existing file.
        ValueError: malformed preset (names the key), or an ``extends`` chain that loops.
    """
    path = _find(name_or_path)
    raw, parents = _read(path)
    from pasd.hub.caches import bench_home

    data = str(Path(data_root).expanduser()) if data_root else str(bench_home() / "datasets")

    def entries(key: str) -> tuple[Entry, ...]:
        items = raw.get(key)
        if not items:
            raise ValueError(f"preset {path}: needs at least one [[{key}]] entry")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError(f"preset {path}: {key!r} must be a list of [[{key}]] tables")
        out = []
        for item in items:
            if "name" not in item:
                raise ValueError(f"preset {path}: a [[{key}]] entry has no name")
            problem = _unknown(f"key in [[{key}]] {item['name']!r}:", list(item), ENTRY_KEYS[key])
            if problem:
                raise ValueError(f"preset {path}: {problem}")
            if not isinstance(item.get("params", {}), dict):
                raise ValueError(f"preset {path}: [[{key}]] {item['name']!r}: params must be a table")
            root = item.get("root")
            label = item.get("label")
            if label is not None and (not isinstance(label, str) or not label.strip()):
                raise ValueError(
                    f"preset {path}: [[{key}]] {item['name']!r}: label must be a non-empty string"
                )
            out.append(
                Entry(
                    item["name"],
                    dict(item.get("params", {})),
                    root.format(data=data) if root else None,
                    label,
                )
            )
        return tuple(out)

    for key in ("name", "metrics"):
        if key not in raw:
            raise ValueError(f"preset {path}: missing {key!r}")
    task = raw.get("task", "real-isr")
    if task not in TASKS:
        raise ValueError(f"preset {path}: task {task!r} is not one of {TASKS}")
    seeds = raw.get("seeds", [0])
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in seeds)
    ):
        raise ValueError(f"preset {path}: seeds must be a non-empty list of integers, got {seeds!r}")
    datasets = entries("datasets")
    _check_names(path, "datasets", [d.name for d in datasets])
    metrics = raw["metrics"]
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise ValueError(f"preset {path}: metrics must be a non-empty list of names, got {metrics!r}")
    _check_names(path, "metrics", metrics)
    from benchmarks.runner.shared_settings import apply_overrides, apply_shared, check_reference

    shared, reference = apply_overrides(dict(raw.get("shared", {})), raw.get("reference"), overrides, path)
    protocol, protocol_options = _protocol(raw, path)
    return Preset(
        name=raw["name"],
        description=raw.get("description", ""),
        task=task,
        datasets=datasets,
        methods=apply_shared(_with_ids(entries("methods"), path), shared, path),
        metrics=tuple(metrics),
        seeds=tuple(seeds),
        source=str(path),
        shared=shared,
        reference=check_reference(reference, data, path),
        protocol=protocol,
        protocol_options=protocol_options,
        parents=tuple(map(str, parents)),
    )


def _with_ids(methods: tuple[Entry, ...], path: Path) -> tuple[Entry, ...]:
    """The method entries with their store ids (see :mod:`benchmarks.results.method_ids`)."""
    from benchmarks.results.method_ids import assign_ids

    try:
        ids = assign_ids([(m.name, m.params, m.label) for m in methods])
    except ValueError as exc:
        raise ValueError(f"preset {path}: {exc}") from None
    return tuple(replace(m, id=i) for m, i in zip(methods, ids))


def _protocol(raw: dict[str, Any], path: Path) -> tuple[str, dict[str, Any]]:
    """``protocol = "NAME"`` (default ``pasd``) and ``[protocol_options]``, checked against the cards.

    A relative card path is read relative to the preset file.
    """
    from benchmarks.protocols import DEFAULT_PROTOCOL, get_card

    name = str(raw.get("protocol", DEFAULT_PROTOCOL))
    if name.endswith(".toml") and not Path(name).is_absolute():
        name = str((path.parent / name).resolve())
    options = dict(raw.get("protocol_options", {}))
    try:
        get_card(name, options)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise ValueError(f"preset {path}: protocol {name!r}: {msg}") from exc
    return name, options


def _check_names(path: Path, key: str, names: list[str]) -> None:
    """Every metric / dataset name must be registered; a typo names its close matches.

    Methods are not checked here: a preset lists methods whose adapters may not exist yet, and
    the plan shows those as "not-available" (with close matches).

    Raises:
        ValueError: naming each unknown name, the close matches and the known names.
    """
    if key == "metrics":
        from benchmarks.metrics.configs import DEFAULT_CONFIGS

        known = sorted(DEFAULT_CONFIGS)
        bad = [n for n in names if n.lower() not in DEFAULT_CONFIGS]
    else:
        from benchmarks.datasets import DATASETS

        known = sorted(DATASETS)
        bad = [n for n in names if n not in DATASETS]
    if bad:
        hints = []
        for n in bad:
            close = difflib.get_close_matches(n.lower(), known, n=3)
            hints.append(f"{n!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
        raise ValueError(f"preset {path}: unknown {key[:-1]} {', '.join(hints)}; known: {', '.join(known)}")


def apply_only(preset: Preset, only: list[str]) -> Preset:
    """Restrict a preset with ``KEY=VAL[,VAL...]`` filters (keys: method, dataset, metric, seed).

    Raises:
        ValueError: unknown key, or a value that matches nothing in the preset.
    """
    for spec in only:
        key, sep, value = spec.partition("=")
        if not sep or key not in ONLY_KEYS:
            raise ValueError(f"--only {spec!r}: expected KEY=VAL with KEY in {ONLY_KEYS}")
        wanted = [v.strip() for v in value.split(",") if v.strip()]
        if key == "method":
            kept = tuple(m for m in preset.methods if m.name in wanted or m.id in wanted)
            have = list(dict.fromkeys(x for m in preset.methods for x in (m.name, m.id)))
            preset = replace(preset, methods=kept)
        elif key == "dataset":
            kept = tuple(d for d in preset.datasets if d.name in wanted)
            have = [d.name for d in preset.datasets]
            preset = replace(preset, datasets=kept)
        elif key == "metric":
            kept = tuple(m for m in preset.metrics if m in wanted)
            have = list(preset.metrics)
            preset = replace(preset, metrics=kept)
        else:
            kept = tuple(s for s in preset.seeds if str(s) in wanted)
            have = [str(s) for s in preset.seeds]
            preset = replace(preset, seeds=kept)
        if not kept:
            raise ValueError(f"--only {spec!r} matches nothing; the preset has {key}s {have}")
    return preset
