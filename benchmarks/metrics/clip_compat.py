"""Make OpenAI's ``clip`` package (used by clean-fid's CLIP-FID) importable on setuptools >= 81.

``clip/clip.py`` does ``from pkg_resources import packaging`` only to compare torch versions;
setuptools 81 removed ``pkg_resources``. When it is absent we register a stand-in module that
exposes the real ``packaging`` package under that name, nothing else, so any other user of
``pkg_resources`` still fails loudly.
"""

from __future__ import annotations

import importlib.util
import sys
import types


def import_clip() -> types.ModuleType:
    """``import clip``, providing ``pkg_resources.packaging`` first if setuptools no longer has it."""
    if "pkg_resources" not in sys.modules and importlib.util.find_spec("pkg_resources") is None:
        import packaging.version

        stub = types.ModuleType("pkg_resources")
        stub.packaging = packaging  # type: ignore[attr-defined]
        stub.__doc__ = (
            "pasd-bench stand-in: only `packaging`, for OpenAI clip (see benchmarks.metrics.clip_compat)"
        )
        sys.modules["pkg_resources"] = stub
    import clip

    return clip
