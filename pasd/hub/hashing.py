"""SHA-256 of (possibly multi-GB) files, remembered by (path, size, mtime, ctime) so verify is cheap twice.

The change time is part of the key because an mtime can be set back (``rsync -a``, ``cp -p``,
``os.utime``) while the content changed; the ctime cannot: every write, copy or rename moves it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pasd.hub.caches import bench_home
from pasd.utils.io import atomic_write_json

_CHUNK = 1 << 20


def _cache_key(path: Path) -> str:
    st = path.stat()
    return f"{path}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"


def cached_sha256(path: str | os.PathLike) -> str | None:
    """The digest :func:`sha256_file` already computed for this path, size and times, or ``None``.

    Never reads the file itself: this is what run records and cache keys can afford.
    """
    cache_file = bench_home() / "sha256-cache.json"
    try:
        key = _cache_key(Path(path).resolve())
        cache = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    except (OSError, ValueError):
        return None
    value = cache.get(key) if isinstance(cache, dict) else None
    return value if isinstance(value, str) else None


def sha256_file(path: str | os.PathLike, *, use_cache: bool = True) -> str:
    """Hex SHA-256 of ``path``; a digest already computed for the same size and times is reused."""
    path = Path(path).resolve()
    key = _cache_key(path)
    cache_file = bench_home() / "sha256-cache.json"
    cache: dict[str, str] = {}
    if use_cache and cache_file.is_file():
        try:
            cache = json.loads(cache_file.read_text())
        except (OSError, ValueError):
            cache = {}  # a damaged cache is only a lost speed-up
        if key in cache:
            return cache[key]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if use_cache:
        cache[key] = digest
        try:
            atomic_write_json(cache_file, cache)
        except OSError:
            pass  # read-only home: hashing still works, just not remembered
    return digest
