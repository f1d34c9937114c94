"""The study file (``study.json``): which methods, images and gold trials a study shows.

A study folder is self-contained: ``study.json`` plus the images it names, all paths relative to
the folder. The server only ever opens paths listed here, and :func:`safe_path` refuses any that
would resolve outside the folder (``..``, absolute paths, symlinks pointing out).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pasd.utils.io import atomic_write_json

STUDY_FILE = "study.json"
VOTES_DB = "votes.sqlite"
FORMAT_VERSION = 1
#: method names become CSV values and option labels in exports; keep them plain
METHOD_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
#: pseudo-methods of gold trials: the clean option and the degraded decoys
GOLD_CLEAN = "__gold_clean__"
GOLD_DECOY_PREFIX = "__gold_decoy_"


@dataclass(frozen=True)
class ImageItem:
    """One real trial: the LQ reference and each method's output for one input image."""

    id: str
    name: str
    lq: str
    outputs: dict[str, str]


@dataclass(frozen=True)
class GoldTrial:
    """An attention check: one clean option, the others obviously degraded copies of it."""

    id: str
    source_image: str
    source_method: str
    lq: str
    options: dict[str, str]  # pseudo-method -> path; exactly one key is GOLD_CLEAN


@dataclass(frozen=True)
class StudySpec:
    """Everything the server needs to run a study, loaded from ``study.json``."""

    study_id: str
    title: str
    question: str
    seed: int
    methods: list[str]
    images: list[ImageItem]
    gold: list[GoldTrial] = field(default_factory=list)
    created: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def n_trials(self) -> int:
        return len(self.images) + len(self.gold)

    def trial_ids(self) -> list[str]:
        return [im.id for im in self.images] + [g.id for g in self.gold]

    def save(self, folder: str | Path) -> Path:
        """Write ``study.json`` atomically into ``folder`` and return its path."""
        path = Path(folder) / STUDY_FILE
        atomic_write_json(path, asdict(self))
        return path


def check_method_name(name: str) -> str:
    """Return ``name`` if it is a valid method name, else raise ``ValueError``."""
    if not METHOD_NAME_RE.match(name) or name.startswith("__"):
        raise ValueError(
            f"method name {name!r} is not allowed: use 1-64 characters from letters, digits and ._+- "
            "starting with a letter or digit"
        )
    return name


def load_study(folder: str | Path) -> StudySpec:
    """Read and validate ``folder/study.json``.

    Raises:
        FileNotFoundError: no study file in ``folder``.
        ValueError: the file is malformed, names an unknown method, or a path escapes the folder.
    """
    folder = Path(folder)
    path = folder / STUDY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {STUDY_FILE} in {folder} (create one with `pasd-bench study create`)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {raw.get('format_version')!r}, expected {FORMAT_VERSION}")
        spec = StudySpec(
            study_id=str(raw["study_id"]),
            title=str(raw["title"]),
            question=str(raw["question"]),
            seed=int(raw["seed"]),
            methods=[str(m) for m in raw["methods"]],
            images=[ImageItem(**im) for im in raw["images"]],
            gold=[GoldTrial(**g) for g in raw.get("gold", [])],
            created=str(raw.get("created", "")),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed {path}: {exc}") from exc
    _validate(spec, folder)
    return spec


def _validate(spec: StudySpec, folder: Path) -> None:
    if len(spec.methods) < 2:
        raise ValueError(f"a study needs at least 2 methods, got {spec.methods}")
    for m in spec.methods:
        check_method_name(m)
    ids = spec.trial_ids()
    if len(set(ids)) != len(ids):
        raise ValueError("trial ids in study.json are not unique")
    for im in spec.images:
        if set(im.outputs) != set(spec.methods):
            raise ValueError(f"image {im.id}: outputs {sorted(im.outputs)} != methods {sorted(spec.methods)}")
        for rel in [im.lq, *im.outputs.values()]:
            safe_path(folder, rel)
    for g in spec.gold:
        if sum(k == GOLD_CLEAN for k in g.options) != 1 or len(g.options) != len(spec.methods):
            raise ValueError(f"gold trial {g.id}: needs one clean option and {len(spec.methods) - 1} decoys")
        for rel in [g.lq, *g.options.values()]:
            safe_path(folder, rel)


def safe_path(folder: str | Path, rel: str) -> Path:
    """Resolve ``rel`` inside ``folder``; raise ``ValueError`` if it would leave the folder."""
    root = Path(folder).resolve()
    if Path(rel).is_absolute():
        raise ValueError(f"path {rel!r} in the study must be relative")
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"path {rel!r} escapes the study folder {root}")
    return path
