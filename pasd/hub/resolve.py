"""Find an artifact on disk: explicit path > ``$PASD_BENCH_HOME`` > the owning library's cache."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pasd.hub.caches import bench_weights_dir, library_cache_dir, modelscope_cache_base
from pasd.hub.errors import MissingWeightsError
from pasd.hub.hashing import sha256_file
from pasd.hub.registry import Artifact, ArtifactFile, get_artifact

Status = Literal["ok", "unverified", "missing", "size-mismatch", "hash-mismatch"]


@dataclass(frozen=True)
class Candidate:
    """One place an artifact may live: a label for messages and a mapping file -> path."""

    label: str
    root: Path
    paths: dict[str, Path]

    def complete(self) -> bool:
        # an artifact whose file list is unknown can never be confirmed present
        return bool(self.paths) and all(p.is_file() for p in self.paths.values())

    def missing(self) -> list[str]:
        return [rel for rel, p in self.paths.items() if not p.is_file()]


def _in_root(label: str, root: Path, artifact: Artifact) -> Candidate:
    return Candidate(label, root, {f.path: root / f.path for f in artifact.files})


def _hf_candidate(artifact: Artifact) -> Candidate:
    """The snapshot folder of the HF hub cache holding the artifact's files, if any."""
    from huggingface_hub import constants, try_to_load_from_cache

    repo_folder = Path(constants.HF_HUB_CACHE) / ("models--" + artifact.repo_id.replace("/", "--"))
    paths: dict[str, Path] = {}
    roots: set[Path] = set()
    for f in artifact.files:
        hit = try_to_load_from_cache(artifact.repo_id, f.path, revision=artifact.revision)
        if isinstance(hit, str):
            p = Path(hit)
            paths[f.path] = p
            roots.add(Path(hit[: -len(f.path)]) if hit.endswith(f.path) else p.parent)
        else:
            paths[f.path] = repo_folder / "snapshots" / "?" / f.path
    # from_pretrained needs every file in one snapshot folder, not a mix of revisions
    root = next(iter(roots)) if len(roots) == 1 else repo_folder
    if len(roots) > 1:
        paths = {rel: repo_folder / "snapshots" / "(mixed revisions)" / rel for rel in paths}
    return Candidate("Hugging Face cache", root, paths)


def _modelscope_candidates(artifact: Artifact) -> list[Candidate]:
    """Where ModelScope's ``snapshot_download(repo_id)`` leaves a model, in the order modelscope-hub reuses them.

    ``$MODELSCOPE_CACHE`` (default ``~/.cache/modelscope``) is the base. SDKs <= 1.37 wrote
    ``{base}/models/{owner}/{name}`` with MODELSCOPE_CACHE set, else ``{base}/hub/models/...``
    (dots in the name as ``___``), and older ones ``{hub dir}/{owner}/{name}``; modelscope-hub
    (SDK >= 1.38) reuses those, else writes ``{base}/models/{owner}--{name}/snapshots/{revision}/``
    and, offline, takes ``master``/``main`` or the only snapshot there
    (``modelscope_hub._download.DownloadManager``).
    """
    owner, _, name = (artifact.repo_id or "").partition("/")
    if not owner or not name:
        return []
    base = modelscope_cache_base()
    safe = name.replace(".", "___")
    legacy = [base / "models" / owner / safe, base / "hub" / "models" / owner / safe]
    # SDK 1.x before the models/ segment: MODELSCOPE_CACHE was the hub folder itself
    legacy.append((base if os.environ.get("MODELSCOPE_CACHE") else base / "hub") / owner / name)
    out = [_in_root("ModelScope cache (SDK <= 1.37)", root, artifact) for root in dict.fromkeys(legacy)]
    snapshots = base / "models" / f"{owner}--{name}" / "snapshots"
    found = sorted(p for p in snapshots.iterdir() if p.is_dir()) if snapshots.is_dir() else []
    chosen = next((snapshots / n for n in ("master", "main") if snapshots / n in found), None)
    if chosen is None and len(found) == 1:
        chosen = found[0]
    label = "ModelScope cache" if chosen is not None or not found else "ModelScope cache (several revisions)"
    out.append(_in_root(label, chosen or snapshots / "master", artifact))
    return out


def _library_candidate(artifact: Artifact) -> Candidate | None:
    label, folder = library_cache_dir(artifact.cache, artifact.package, artifact.repo_id)
    if folder is None:
        return None
    if artifact.cache == "package":
        return _in_root(label, folder, artifact)
    # flat caches keep files by base name
    return Candidate(label, folder, {f.path: folder / Path(f.path).name for f in artifact.files})


def candidates(artifact: Artifact, path: str | os.PathLike | None = None) -> list[Candidate]:
    """The places searched for ``artifact``, in resolution order.

    An explicit ``path`` replaces the search: a wrong path is an error, not a silent fallback.
    It may name the artifact's folder, or, for a one-file artifact, the file itself.
    """
    if path is not None:
        p = Path(path).expanduser()
        if len(artifact.files) == 1 and (p.is_file() or p.suffix):
            return [Candidate("explicit path", p.parent, {artifact.files[0].path: p})]
        return [_in_root("explicit path", p, artifact)]
    out = [_in_root("PASD_BENCH_HOME", bench_weights_dir(artifact.name), artifact)]
    if artifact.cache == "hf":
        out.append(_hf_candidate(artifact))
    elif artifact.cache == "modelscope":
        out.extend(_modelscope_candidates(artifact))
    else:
        lib = _library_candidate(artifact)
        if lib is not None:
            out.append(lib)
    return out


def resolve(name: str, path: str | os.PathLike | None = None) -> Path:
    """Return the root folder holding every file of artifact ``name``.

    Presence only: hashes are checked by :func:`verify` (hashing GBs on every load would
    dominate start-up). For a one-file artifact use :func:`resolve_file`.

    Raises:
        MissingWeightsError: no candidate holds every file; names each path searched.
    """
    return _first_complete(get_artifact(name), path).root


def locate(name: str, path: str | os.PathLike | None = None) -> Path | None:
    """Like :func:`resolve`, but ``None`` instead of raising when the artifact is not on disk."""
    try:
        return resolve(name, path)
    except MissingWeightsError:
        return None


def missing(names: Iterable[str]) -> list[str]:
    """The artifact names among ``names`` that :func:`resolve` cannot find (presence only, no hashing)."""
    return [n for n in names if locate(n) is None]


def resolve_file(name: str, filename: str | None = None, path: str | os.PathLike | None = None) -> Path:
    """Return the path of one file of artifact ``name`` (default: its only file)."""
    artifact = get_artifact(name)
    if filename is None:
        if len(artifact.files) != 1:
            raise ValueError(f"artifact {name!r} has {len(artifact.files)} files; pass filename=")
        filename = artifact.files[0].path
    cand = _first_complete(artifact, path)
    if filename not in cand.paths:
        raise ValueError(
            f"artifact {name!r} has no file {filename!r}; files: {[f.path for f in artifact.files]}"
        )
    return cand.paths[filename]


def _first_complete(artifact: Artifact, path: str | os.PathLike | None) -> Candidate:
    cands = candidates(artifact, path)
    for cand in cands:
        if cand.complete():
            return cand
    # name what is missing where the artifact is closest to complete: that is the copy to fix
    best = min(cands, key=lambda c: len(c.missing()))
    missing = best.missing()
    if not missing:
        what = "its file list is not known"
    elif len(missing) == 1:
        what = f"file {missing[0]!r}"
    else:
        what = f"{len(missing)} files ({missing[0]!r}, ...)"
    raise MissingWeightsError(
        artifact.name,
        searched=[(c.label, c.root) for c in cands],
        reason=f"{artifact.title}: {what} not found",
        manual=artifact.notes if not artifact.fetchable else _manual_hint(artifact),
        fetchable=artifact.fetchable,
    )


def _manual_hint(artifact: Artifact) -> str | None:
    if artifact.cache == "hf":
        return f"download https://huggingface.co/{artifact.repo_id} into one of the folders above"
    urls = [f.url for f in artifact.files if f.url]
    return f"download {urls[0]} into one of the folders above" if urls else None


@dataclass(frozen=True)
class FileReport:
    file: ArtifactFile
    status: Status
    path: Path | None
    detail: str = ""


@dataclass(frozen=True)
class ArtifactReport:
    """What ``verify`` found for one artifact: per-file status and the location used."""

    artifact: Artifact
    location: str | None
    files: tuple[FileReport, ...]

    @property
    def status(self) -> Status:
        order: list[Status] = ["hash-mismatch", "size-mismatch", "missing", "unverified", "ok"]
        return min((f.status for f in self.files), key=order.index)

    @property
    def usable(self) -> bool:
        return self.status in ("ok", "unverified")


def check_file(f: ArtifactFile, p: Path, *, hash_files: bool = True) -> FileReport:
    """Compare one file on disk with its registry entry (size first: it is free)."""
    if not p.is_file():
        return FileReport(f, "missing", p)
    size = p.stat().st_size
    if f.size is not None and size != f.size:
        return FileReport(f, "size-mismatch", p, f"{size} bytes, expected {f.size}")
    if f.sha256 is None or not hash_files:
        return FileReport(f, "unverified", p, "no sha256 on record" if f.sha256 is None else "not hashed")
    digest = sha256_file(p)
    if digest != f.sha256:
        return FileReport(f, "hash-mismatch", p, f"sha256 {digest[:12]}..., expected {f.sha256[:12]}...")
    return FileReport(f, "ok", p)


def verify(name: str, path: str | os.PathLike | None = None, *, hash_files: bool = True) -> ArtifactReport:
    """Check artifact ``name`` where :func:`resolve` would find it (or the first place searched)."""
    artifact = get_artifact(name)
    cands = candidates(artifact, path)
    chosen = next((c for c in cands if c.complete()), None)
    if chosen is None:
        # report against the most complete candidate so the user sees what is there
        chosen = max(cands, key=lambda c: len(c.paths) - len(c.missing()))
        if not artifact.files:
            placeholder = ArtifactFile(path="(file list unknown)")
            return ArtifactReport(
                artifact, None, (FileReport(placeholder, "missing", None, artifact.notes or ""),)
            )
        if not any(p.is_file() for p in chosen.paths.values()):
            return ArtifactReport(
                artifact, None, tuple(FileReport(f, "missing", None) for f in artifact.files)
            )
    reports = tuple(check_file(f, chosen.paths[f.path], hash_files=hash_files) for f in artifact.files)
    return ArtifactReport(artifact, f"{chosen.label}: {chosen.root}", reports)
