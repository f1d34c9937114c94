"""Which exact weights are on disk: an identity for cache keys and run records, without hashing GBs.

Per file, the strongest identity that costs nothing at run time, in this order:

1. ``sha256``: the digest published in the artifact table (``weights verify`` checks the file
   against it), or one this machine already computed for the same path, size and mtime
   (:func:`pasd.hub.hashing.cached_sha256`);
2. ``hf-commit``: the file sits in a Hugging Face cache snapshot, whose folder name is the
   commit it was downloaded at (a commit fixes every file of the repository);
3. ``fingerprint``: size and modification time (changes when the file is replaced).

An artifact's ``kind`` is the weakest of its files' kinds and its ``value`` a digest over all of
them, so the record says how strong the identity is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from pasd.hub.hashing import cached_sha256
from pasd.hub.registry import get_artifact
from pasd.hub.resolve import candidates

IdentityKind = Literal["sha256", "hf-commit", "fingerprint"]
#: strongest first
KINDS: tuple[str, ...] = ("sha256", "hf-commit", "fingerprint")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _hf_commit(path: Path) -> str | None:
    """The commit of a file inside ``.../models--org--name/snapshots/<commit>/...``."""
    parts = path.parts
    for i, part in enumerate(parts[:-1]):
        if part == "snapshots" and i + 1 < len(parts) and _COMMIT.match(parts[i + 1]):
            return parts[i + 1]
    return None


def file_identity(path: Path, published_sha256: str | None = None) -> dict[str, str]:
    """``{"kind", "value"}`` of one file (see the module docstring for the order)."""
    if published_sha256:
        return {"kind": "sha256", "value": published_sha256, "source": "published"}
    digest = cached_sha256(path)
    if digest is not None:
        return {"kind": "sha256", "value": digest, "source": "computed"}
    commit = _hf_commit(path)
    if commit is not None:
        return {"kind": "hf-commit", "value": commit}
    st = os.stat(path)
    return {"kind": "fingerprint", "value": f"size={st.st_size},mtime_ns={st.st_mtime_ns}"}


def identify(name: str, path: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The identity of artifact ``name`` where :func:`pasd.hub.resolve` finds it, or ``None`` if absent.

    Returns:
        ``{"artifact", "kind", "value", "path", "files": {relative path: {"kind", "value"}}}``;
        ``kind`` is the weakest file kind, ``value`` the commit when every file has the same one,
        else a SHA-256 over the sorted per-file identities.
    """
    artifact = get_artifact(name)
    chosen = next((c for c in candidates(artifact, path) if c.complete()), None)
    if chosen is None:
        return None
    published = {f.path: f.sha256 for f in artifact.files}
    files = {rel: file_identity(p, published.get(rel)) for rel, p in sorted(chosen.paths.items())}
    kind = max((f["kind"] for f in files.values()), key=KINDS.index)
    commits = {f["value"] for f in files.values() if f["kind"] == "hf-commit"}
    if kind == "hf-commit" and len(commits) == 1:
        # sha256-identified files of the same snapshot are fixed by the commit too
        value = commits.pop()
    else:
        blob = json.dumps({rel: [f["kind"], f["value"]] for rel, f in files.items()}, sort_keys=True)
        value = hashlib.sha256(blob.encode()).hexdigest()
    return {"artifact": name, "kind": kind, "value": value, "path": str(chosen.root), "files": files}


def identities(names: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any] | None]:
    """:func:`identify` for several artifacts (``None`` for the missing ones)."""
    return {n: identify(n) for n in names}
