"""On-disk cache of GT-side features, keyed by content hash + extractor + decode settings.

Like clean-fid's stats files, the file name carries every setting that changes the numbers:
``<extractor key>_<decode settings>_<content hash>.npz``. A changed, added or removed GT file
changes the content hash, so a stale entry is never read.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pasd.utils.io import atomic_write_bytes

logger = logging.getLogger(__name__)


def content_hash(files: Sequence[Path]) -> str:
    """sha256 over each file's name and bytes, in the given (pairing) order."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


class FeatureCache:
    """A folder of ``.npz`` feature matrices; reads and writes never leave a partial file."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, extractor_key: str, settings: str, digest: str) -> Path:
        return self.root / f"{extractor_key}_{settings}_{digest}.npz"

    def load(self, extractor_key: str, settings: str, digest: str, n: int) -> np.ndarray | None:
        """The cached features, or ``None`` on a miss or an unreadable/mismatched entry."""
        p = self.path(extractor_key, settings, digest)
        if not p.is_file():
            return None
        try:
            with np.load(p) as data:
                feats = data["features"]
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable feature cache %s: %s", p, exc)
            return None
        if feats.shape[0] != n:
            logger.warning("ignoring feature cache %s: %d rows, expected %d", p, feats.shape[0], n)
            return None
        return feats

    def save(self, extractor_key: str, settings: str, digest: str, features: np.ndarray) -> Path:
        p = self.path(extractor_key, settings, digest)
        buf = io.BytesIO()
        np.savez(buf, features=features)
        atomic_write_bytes(p, buf.getvalue())
        return p
