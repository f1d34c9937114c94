"""The study file (``study.json``): design, methods, images, gold trials, protocol and rater-facing text.

A study folder is self-contained: ``study.json`` plus the images it names, all paths relative to
the folder. The server only ever opens paths listed here, and :func:`safe_path` refuses any that
would resolve outside the folder (``..``, absolute paths, symlinks pointing out).

Format 2 (this version) re-encodes every image at create time (see :mod:`benchmarks.study.encode`);
format-1 folders were copied with their metadata, so they can still be analyzed but not served.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.study.text import DEFAULT_TEXT, DESIGNS, check_text, resolve_text
from pasd.utils.io import atomic_write_json

STUDY_FILE = "study.json"
VOTES_DB = "votes.sqlite"
FORMAT_VERSION = 2
#: versions :func:`load_study` reads; only the current one may be served
READABLE_VERSIONS = (1, 2)
#: method names become CSV values and option labels in exports; keep them plain
METHOD_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
#: pseudo-methods of gold trials: the clean option and the degraded decoys
GOLD_CLEAN = "__gold_clean__"
GOLD_DECOY_PREFIX = "__gold_decoy_"
#: the pseudo-method of the "no visible difference" answer in pairwise trials
TIE = "__tie__"
#: MOS ratings (ITU-R BT.500 five-grade quality scale: 5 excellent ... 1 bad)
MOS_SCALE = (1, 2, 3, 4, 5)
#: a MOS gold trial (a decoy shown alone) is passed by a rating at or below this
MOS_GOLD_MAX = 2


@dataclass(frozen=True)
class ImageItem:
    """One source image: the LQ reference and each method's output for it."""

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
    """Everything the server needs to run a study, loaded from ``study.json``.

    ``images_per_rater`` (None: all) gives each rater a balanced subset of the images, and
    ``raters_per_image`` (None: no limit) closes the study once every image has that many raters.
    ``repeats`` main trials are shown a second time to measure consistency. ``min_view_ms`` is the
    shortest time between serving a trial and accepting its answer.
    """

    study_id: str
    title: str
    seed: int
    methods: list[str]
    images: list[ImageItem]
    gold: list[GoldTrial] = field(default_factory=list)
    created: str = ""
    format_version: int = FORMAT_VERSION
    design: str = "best-of-n"
    text: dict[str, str] = field(default_factory=lambda: resolve_text("best-of-n"))
    images_per_rater: int | None = None
    raters_per_image: int | None = None
    pairs_per_image: int = 1
    repeats: int = 0
    min_view_ms: int = 0
    show_reference: bool = True
    desktop_only: bool = False
    min_screen_width: int = 1024
    completion_url: str = ""
    one_per_external_id: bool = True

    @property
    def question(self) -> str:
        return self.text["question"]

    @property
    def n_images_per_rater(self) -> int:
        return self.images_per_rater or len(self.images)

    @property
    def n_main(self) -> int:
        """Main (non-gold, non-repeat) trials per rater."""
        k = self.n_images_per_rater
        if self.design == "pairwise":
            return k * self.pairs_per_image
        if self.design == "mos":
            return k * len(self.methods)
        return k

    @property
    def n_trials(self) -> int:
        return self.n_main + len(self.gold) + self.repeats

    @property
    def n_options(self) -> int:
        """Images to judge per main trial."""
        return {"pairwise": 2, "mos": 1}.get(self.design, len(self.methods))

    @property
    def max_participants(self) -> int | None:
        """Participants needed for every image to reach ``raters_per_image`` (None: no quota)."""
        if self.raters_per_image is None:
            return None
        return math.ceil(len(self.images) * self.raters_per_image / self.n_images_per_rater)

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


def check_completion_url(url: str) -> str:
    """Return ``url`` if it is empty or an absolute http(s) URL, else raise ``ValueError``."""
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"completion URL {url!r} must be an absolute http(s) URL")
    return url


def load_study(folder: str | Path) -> StudySpec:
    """Read and validate ``folder/study.json`` (format 1 or 2).

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
        version = raw.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"format_version {version!r}, expected one of {READABLE_VERSIONS}")
        design = str(raw.get("design", "best-of-n"))
        text = resolve_text(design) if design in DESIGNS else {}
        if version == 1:
            text["question"] = str(raw["question"])
        for key, value in raw.get("text", {}).items():
            if key in DEFAULT_TEXT:  # a key dropped by a later version is ignored, not fatal
                check_text(key, value)
                text[key] = value
        optional_int = lambda v: None if v is None else int(v)  # noqa: E731
        spec = StudySpec(
            study_id=str(raw["study_id"]),
            title=str(raw["title"]),
            seed=int(raw["seed"]),
            methods=[str(m) for m in raw["methods"]],
            images=[ImageItem(**im) for im in raw["images"]],
            gold=[GoldTrial(**g) for g in raw.get("gold", [])],
            created=str(raw.get("created", "")),
            format_version=int(version),
            design=design,
            text=text,
            images_per_rater=optional_int(raw.get("images_per_rater")),
            raters_per_image=optional_int(raw.get("raters_per_image")),
            pairs_per_image=int(raw.get("pairs_per_image", 1)),
            repeats=int(raw.get("repeats", 0)),
            min_view_ms=int(raw.get("min_view_ms", 0)),
            show_reference=bool(raw.get("show_reference", True)),
            desktop_only=bool(raw.get("desktop_only", False)),
            min_screen_width=int(raw.get("min_screen_width", 1024)),
            completion_url=str(raw.get("completion_url", "")),
            one_per_external_id=bool(raw.get("one_per_external_id", True)),
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed {path}: {exc}") from exc
    validate(spec, folder)
    return spec


def validate(spec: StudySpec, folder: Path) -> None:
    """Check a spec's design parameters and paths; raise ``ValueError`` naming the first problem."""
    if spec.design not in DESIGNS:
        raise ValueError(f"design {spec.design!r}; allowed: {list(DESIGNS)}")
    if len(spec.methods) < 2:
        raise ValueError(f"a study needs at least 2 methods, got {spec.methods}")
    for m in spec.methods:
        check_method_name(m)
    n_pairs = len(spec.methods) * (len(spec.methods) - 1) // 2
    if not 1 <= spec.pairs_per_image <= n_pairs:
        raise ValueError(
            f"pairs_per_image={spec.pairs_per_image}; allowed: 1..{n_pairs} for {len(spec.methods)} methods"
        )
    if spec.images_per_rater is not None and not 1 <= spec.images_per_rater <= len(spec.images):
        raise ValueError(
            f"images_per_rater={spec.images_per_rater}; allowed: 1..{len(spec.images)} (the study's images)"
        )
    if spec.raters_per_image is not None and spec.raters_per_image < 1:
        raise ValueError(f"raters_per_image={spec.raters_per_image}; must be >= 1")
    if not 0 <= spec.repeats <= spec.n_main:
        raise ValueError(f"repeats={spec.repeats}; allowed: 0..{spec.n_main} (the main trials per rater)")
    if not 0 <= spec.min_view_ms <= 600_000:
        raise ValueError(f"min_view_ms={spec.min_view_ms}; allowed: 0..600000")
    if not 0 <= spec.min_screen_width <= 10_000:
        raise ValueError(f"min_screen_width={spec.min_screen_width}; allowed: 0..10000")
    check_completion_url(spec.completion_url)
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
