"""Content-addressed method outputs: a cached PNG is reused only for the same method key, input and seed.

Layout: ``OUT/outputs/<method>-<method key>/<dataset>/seed<seed>/<item id>.png`` with a
sidecar ``<item id>.input`` holding the SHA-256 of the input pixels it was made from. A PNG
whose sidecar is missing or names other input bytes is recomputed. Both files are written
atomically, PNG first, so a killed run leaves no partial file and no sidecar that vouches for
a missing PNG. The method key (:meth:`baselines.base.Method.cache_key`) covers the method's
resolved options, adapter version and weights identity. One sidecar per image keeps processes
that share a folder from overwriting each other's records.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from pasd.utils.image_io import encode_png
from pasd.utils.io import atomic_open, atomic_write_text


def input_digest(image: np.ndarray) -> str:
    """SHA-256 of the decoded input pixels (shape included), independent of the file's encoding."""
    h = hashlib.sha256(str(image.shape).encode())
    h.update(np.ascontiguousarray(image).tobytes())
    return h.hexdigest()


class OutputCache:
    """The cached outputs of one (method, params, dataset, seed)."""

    def __init__(self, out_dir: Path, method: str, method_key: str, dataset: str, seed: int) -> None:
        self.dir = Path(out_dir) / "outputs" / f"{method}-{method_key}" / dataset / f"seed{seed}"

    @classmethod
    def in_folder(cls, folder: str | Path) -> OutputCache:
        """A cache whose PNGs and sidecars live directly in ``folder`` (``pasd-bench apply``'s layout)."""
        cache = cls.__new__(cls)
        cache.dir = Path(folder)
        return cache

    def path(self, item_id: str) -> Path:
        return self.dir / f"{item_id}.png"

    def _sidecar(self, item_id: str) -> Path:
        return self.dir / f"{item_id}.input"

    def has(self, item_id: str, digest: str) -> bool:
        side = self._sidecar(item_id)
        try:
            return side.read_text().strip() == digest and self.path(item_id).is_file()
        except OSError:
            return False

    def cached_ids(self) -> set[str]:
        """Ids with a PNG and a sidecar (input not re-checked: that needs the input pixels)."""
        if not self.dir.is_dir():
            return set()
        return {p.stem for p in self.dir.glob("*.input") if self.path(p.stem).is_file()}

    def input_digests(self, ids: set[str] | None = None) -> dict[str, str]:
        """Item id -> the input-pixel digest its cached output was made from (sidecars with a PNG)."""
        out = {}
        for item_id in sorted(self.cached_ids() if ids is None else ids):
            try:
                out[item_id] = self._sidecar(item_id).read_text().strip()
            except OSError:
                continue
        return out

    def put(self, item_id: str, digest: str, image: np.ndarray) -> Path:
        dest = self.path(item_id)
        with atomic_open(dest, "wb") as fh:
            fh.write(encode_png(image))
        atomic_write_text(self._sidecar(item_id), digest + "\n")
        return dest
