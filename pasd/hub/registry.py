"""The artifact table (``artifacts.toml``) as typed, validated records."""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pasd.utils.registry import Registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ARTIFACTS_FILE = Path(__file__).with_name("artifacts.toml")

Kind = Literal[
    "diffusers-pipeline",
    "diffusers-model",
    "transformers-model",
    "checkpoint",
    "torchvision-weights",
    "metric-weights",
]
Cache = Literal["hf", "torch-hub", "pyiqa", "cleanfid", "clip", "ultralytics", "modelscope", "package"]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
CACHES: tuple[str, ...] = Cache.__args__  # type: ignore[attr-defined]

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ArtifactFile:
    """One file of an artifact, addressed relative to the artifact's root folder."""

    path: str
    url: str | None = None
    sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Artifact:
    """A pretrained artifact: where it comes from, what it holds, and who uses it."""

    name: str
    title: str
    kind: str
    licence: str
    used_by: tuple[str, ...]
    cache: str
    files: tuple[ArtifactFile, ...]
    homepage: str | None = None
    repo_id: str | None = None
    revision: str | None = None
    package: str | None = None
    fetchable: bool = True
    notes: str | None = None

    @property
    def source(self) -> str:
        """A one-line description of the download source."""
        if self.cache == "hf":
            return f"hf://{self.repo_id}" + (f"@{self.revision}" if self.revision else "")
        if self.cache == "package":
            return f"pip package {self.package}"
        urls = [f.url for f in self.files if f.url]
        return urls[0] if urls else "(manual download)"

    @property
    def size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return sum(sizes) if sizes and all(s is not None for s in sizes) else None


def _parse(name: str, raw: dict) -> Artifact:
    def bad(msg: str) -> ValueError:
        return ValueError(f"artifacts.toml: entry {name!r}: {msg}")

    if not _NAME_RE.match(name):
        raise bad("name must be lower-case a-z0-9_-")
    known = {
        "title", "kind", "licence", "used_by", "homepage", "cache", "repo_id",
        "revision", "package", "fetchable", "notes", "files",
    }  # fmt: skip
    unknown = set(raw) - known
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
    for key in ("title", "kind", "licence", "cache"):
        if key not in raw:
            raise bad(f"missing required key {key!r}")
    if raw["kind"] not in KINDS:
        raise bad(f"kind {raw['kind']!r} not in {KINDS}")
    if raw["cache"] not in CACHES:
        raise bad(f"cache {raw['cache']!r} not in {CACHES}")
    if raw["cache"] in ("hf", "modelscope") and not raw.get("repo_id"):
        raise bad(f"cache {raw['cache']!r} needs repo_id")
    if raw["cache"] == "package" and not raw.get("package"):
        raise bad("cache 'package' needs package")
    fetchable = bool(raw.get("fetchable", True))
    if not fetchable and not raw.get("notes"):
        raise bad("fetchable = false needs notes saying how to get it")
    files = []
    seen = set()
    for f in raw.get("files", []):
        path = f.get("path")
        if not path or path.startswith("/") or ".." in Path(path).parts:
            raise bad(f"file path {path!r} must be relative and stay inside the artifact root")
        if path in seen:
            raise bad(f"file {path!r} listed twice")
        seen.add(path)
        sha = f.get("sha256") or None
        if sha is not None and not _SHA_RE.match(sha):
            raise bad(f"file {path!r}: sha256 {sha!r} is not 64 lower-case hex digits")
        size = f.get("size")
        if size is not None and (not isinstance(size, int) or size <= 0):
            raise bad(f"file {path!r}: size {size!r} must be a positive integer")
        url = f.get("url") or None
        if fetchable and raw["cache"] not in ("hf", "package") and not url:
            raise bad(f"file {path!r}: fetchable artifact with cache {raw['cache']!r} needs a url")
        files.append(ArtifactFile(path=path, url=url, sha256=sha, size=size))
    if not files and fetchable:
        # only a manual artifact may leave its file list open (e.g. an unverified ModelScope snapshot)
        raise bad("lists no files")
    return Artifact(
        name=name,
        title=raw["title"],
        kind=raw["kind"],
        licence=raw["licence"],
        used_by=tuple(raw.get("used_by", ())),
        cache=raw["cache"],
        files=tuple(files),
        homepage=raw.get("homepage"),
        repo_id=raw.get("repo_id"),
        revision=raw.get("revision"),
        package=raw.get("package"),
        fetchable=fetchable,
        notes=raw.get("notes"),
    )


def load_artifacts(path: str | Path = ARTIFACTS_FILE) -> dict[str, Artifact]:
    """Parse and validate an artifact table.

    Raises:
        ValueError: on any malformed entry, naming the entry and the problem.
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    table = data.get("artifacts")
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{path}: no [artifacts.*] entries")
    return {name: _parse(name, raw) for name, raw in table.items()}


#: a user (or a test) may point the suite at another table, e.g. one that adds private weights
ENV_ARTIFACTS = "PASD_BENCH_ARTIFACTS"


@functools.lru_cache(maxsize=4)
def _registry_for(path: str) -> Registry:
    reg = Registry("artifact")
    for name, artifact in load_artifacts(path).items():
        reg.register(name, artifact)
    return reg


def _default_registry() -> Registry:
    return _registry_for(os.environ.get(ENV_ARTIFACTS) or str(ARTIFACTS_FILE))


def list_artifacts() -> list[Artifact]:
    """Every artifact the suite knows, sorted by name."""
    return [a for _, a in _default_registry().items()]


def get_artifact(name: str) -> Artifact:
    """Look up an artifact by name.

    Raises:
        KeyError: with close matches when the name is unknown.
    """
    return _default_registry().get(name)
