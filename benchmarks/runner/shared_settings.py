"""Protocol settings a preset states once: ``[shared]`` method params and the ``reference`` set.

``[shared]`` holds params such as Table 2's ``style_model``: each is given to every method of
the preset whose adapter lists it in ``shared_params`` (a method's own ``params`` win), so the
personalized base model is named in one place and ``pasd-bench run table2 --set
style_model=PATH`` changes it for every method at once.

``reference`` is the FID/CLIP-FID reference set of datasets that have no ground truth (the
stylization sets): ``{ folder = "DIR" }`` (``{data}`` expands like dataset roots) or
``{ generated = "toonyou", n = 100, seed = 0 }``, a seeded exemplar set that
``pasd-bench style-exemplars`` makes (:mod:`benchmarks.exemplars`). The resolved value is
stored with the run and shown in the table footnote; without one, FID/CLIP-FID read
"no reference set" and no-reference metrics (MUSIQ) are still scored.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REFERENCE_KINDS = ("folder", "generated")
#: what a set-level cell says when the dataset has no ground truth and the preset no reference
NO_REFERENCE = "no reference set"


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal when it is one (``100``, ``true``, ``[1, 2]``), else the text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(
    shared: dict[str, Any], reference: Any, overrides: list[str] | tuple[str, ...], source: Any = ""
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Apply ``KEY=VALUE`` overrides to the ``[shared]`` table and ``reference.KEY=VALUE`` to the reference.

    ``reference=none`` removes the preset's reference set.

    Raises:
        ValueError: a malformed override or a non-table ``reference``.
    """
    if reference is not None and not isinstance(reference, dict):
        raise ValueError(f'preset {source}: reference must be a table, e.g. {{ folder = "DIR" }}')
    reference = dict(reference) if reference is not None else None
    for spec in overrides:
        key, sep, value = spec.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(
                f"--set {spec!r}: expected KEY=VALUE (e.g. style_model=/models/toonyou.safetensors)"
            )
        if key == "reference":
            if value.strip().lower() not in ("none", ""):
                raise ValueError(
                    f"--set {spec!r}: use reference.folder=DIR or reference.generated=MODEL, or reference=none"
                )
            reference = None
        elif key.startswith("reference."):
            sub = key.split(".", 1)[1]
            reference = dict(reference or {})
            if sub in REFERENCE_KINDS and sub not in reference:  # another kind of set: start afresh
                reference = {}
            reference[sub] = parse_value(value)
        else:
            shared[key] = parse_value(value)
    return shared, reference


def apply_shared(methods: tuple, shared: dict[str, Any], source: Any = "") -> tuple:
    """Give each method entry the shared params its adapter takes (its own params win).

    Raises:
        ValueError: a shared param that no method of the preset takes (a typo would otherwise
            silently change nothing).
    """
    if not shared:
        return methods
    import baselines

    used: set[str] = set()
    out = []
    for entry in methods:
        cls = baselines.METHODS.get(entry.name) if entry.name in baselines.METHODS else None
        takes = [k for k in shared if cls is not None and k in getattr(cls, "shared_params", ())]
        used.update(takes)
        extra = {k: shared[k] for k in takes if k not in entry.params}
        out.append(replace(entry, params={**extra, **entry.params}) if extra else entry)
    unused = sorted(set(shared) - used)
    if unused:
        takers = sorted(
            {
                k
                for e in methods
                if e.name in baselines.METHODS
                for k in baselines.METHODS.get(e.name).shared_params
            }
        )
        raise ValueError(
            f"preset {source}: shared param(s) {unused} are taken by none of its methods; "
            f"shared params they take: {takers or 'none'}"
        )
    return tuple(out)


def check_reference(
    reference: dict[str, Any] | None, data_root: str, source: Any = ""
) -> dict[str, Any] | None:
    """Validate a ``reference`` table and fill in its defaults (the result is what a run records).

    Raises:
        ValueError: neither or both of ``folder``/``generated``, or unknown keys.
    """
    if reference is None:
        return None
    kinds = [k for k in REFERENCE_KINDS if k in reference]
    if len(kinds) != 1:
        raise ValueError(
            f"preset {source}: reference needs exactly one of {REFERENCE_KINDS}, got {sorted(reference)}"
        )
    if kinds[0] == "folder":
        unknown = sorted(set(reference) - {"folder"})
        if unknown:
            raise ValueError(f"preset {source}: reference folder takes only 'folder', got extra {unknown}")
        return {"folder": str(Path(str(reference["folder"]).format(data=data_root)).expanduser())}
    from benchmarks.exemplars import exemplar_settings

    return exemplar_settings(reference, source)


def describe_reference(reference: dict[str, Any] | None) -> str:
    """One line for plans and footnotes."""
    if reference is None:
        return NO_REFERENCE
    if "folder" in reference:
        return f"folder {reference['folder']}"
    r = reference
    return (
        f"{r['n']} images generated by {r['generated']} (seed {r['seed']}, {r['steps']} steps, cfg {r['cfg']}, "
        f"{r['size']}px; pasd-bench style-exemplars)"
    )
