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

    def load(self, extractor_key: str, settings: str, digest: str, n: int | None) -> np.ndarray | None:
        """The cached features, or ``None`` on a miss or an unreadable/mismatched entry.

        ``n``: the expected row count (one per GT image), or ``None`` when it varies (patch features).
        """
        p = self.path(extractor_key, settings, digest)
        if not p.is_file():
            return None
        try:
            with np.load(p) as data:
                feats = data["features"]
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable feature cache %s: %s", p, exc)
            return None
        if n is not None and feats.shape[0] != n:
            logger.warning("ignoring feature cache %s: %d rows, expected %d", p, feats.shape[0], n)
            return None
        return feats

    def save(self, extractor_key: str, settings: str, digest: str, features: np.ndarray) -> Path:
        p = self.path(extractor_key, settings, digest)
        buf = io.BytesIO()
        np.savez(buf, features=features)
        atomic_write_bytes(p, buf.getvalue())
        return p


def file_digest(path: Path) -> str:
    """sha256 of one file's bytes (not its name): the same GT image under any name shares its entry."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:20]


class GTFeatureCache:
    """Per-image GT features of full-reference metrics (LPIPS, DISTS, ...), one ``.pt`` file each.

    ``<root>/fr/<metric gt_key>_<decode settings>_<file digest>.pt``: the key names the network,
    its weights (name/size/mtime), options, device and memory format; the digest is the GT
    file's content. ``torch.save`` keeps each tensor's values *and strides* (channels-last
    stays channels-last), so a hit gives the same scores bit for bit as computing them again.
    Entries larger than ``max_bytes`` are not written (a 512-px DISTS feature stack is ~130 MB;
    recomputing it is cheaper than keeping it); ``max_bytes=0`` turns writing off.
    """

    def __init__(self, root: str | Path, max_bytes: int) -> None:
        self.root = Path(root) / "fr"
        self.max_bytes = int(max_bytes)

    def path(self, gt_key: str, settings: str, digest: str) -> Path:
        return self.root / f"{gt_key}_{settings}_{digest}.pt"

    def load(self, gt_key: str, settings: str, digest: str, device) -> tuple | None:
        """The cached feature tuple on ``device``, or ``None`` on a miss or a damaged entry."""
        import torch

        p = self.path(gt_key, settings, digest)
        if not p.is_file():
            return None
        try:
            feats = torch.load(io.BytesIO(p.read_bytes()), map_location=device, weights_only=True)
            if not isinstance(feats, tuple) or not all(isinstance(t, torch.Tensor) for t in feats):
                raise ValueError(f"expected a tuple of tensors, got {type(feats).__name__}")
        except Exception as exc:  # a truncated or foreign file is a miss, never an error
            logger.warning("ignoring unreadable GT feature cache %s: %s", p, exc)
            return None
        return feats

    def save(self, gt_key: str, settings: str, digest: str, feats: tuple) -> Path | None:
        """Write ``feats`` unless they exceed ``max_bytes``; returns the path written, if any."""
        import torch

        size = sum(t.numel() * t.element_size() for t in feats)
        if size > self.max_bytes:
            return None
        buf = io.BytesIO()
        # clone: a feature that is a view (e.g. DISTS returns its input) must not drag its base storage along
        torch.save(tuple(t.detach().cpu().clone() for t in feats), buf)
        p = self.path(gt_key, settings, digest)
        atomic_write_bytes(p, buf.getvalue())
        return p
