"""Outputs made elsewhere, imported as a method: results released by other papers' authors, or made
with an official repository on another machine.

``params = { path = "DIR", label = "..." }``: each dataset item is matched to the file in ``DIR``
whose stem is the item's id (or the input file's stem); its size must be the input's times
``scale`` (default 4). The SHA-256 of every file in ``DIR`` is part of :attr:`Method.options` and
of the cache key, so replacing a file makes a new run instead of reusing scores of the old one,
and the run's record says exactly which bytes were scored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from baselines.base import METHODS, Method, MethodNotAvailableError
from pasd.utils.image_io import IMAGE_SUFFIXES, is_image_file, read_rgb

logger = logging.getLogger(__name__)

_PARAMS = ("path", "label", "scale", "task")
_TASKS = ("real-isr", "stylization")


@METHODS.register("folder")
class FolderMethod(Method):
    """Precomputed outputs in a folder, matched to inputs by file stem and checked for size.

    Params: ``path`` (required), ``label`` (display name; default ``folder:<dir name>``),
    ``scale`` (output / input size, default 4), ``task`` (``real-isr`` or ``stylization``).
    """

    name = "folder"
    stochastic = False
    version = "1"
    #: file extensions read as images (the suite's one list, as the datasets use)
    suffixes: ClassVar[tuple[str, ...]] = IMAGE_SUFFIXES

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        unknown = sorted(set(params) - set(_PARAMS))
        if unknown:
            raise ValueError(f"folder: unknown params {unknown}; allowed: {sorted(_PARAMS)}")
        if not params.get("path"):
            raise ValueError('folder: set params = { path = "DIR" } (the folder of precomputed outputs)')
        task = params.get("task", "real-isr")
        if task not in _TASKS:
            raise ValueError(f"folder: task {task!r} is not one of {_TASKS}")
        scale = params.get("scale", 4 if task == "real-isr" else 1)
        if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
            raise ValueError(f"folder: scale must be a positive integer, got {scale!r}")
        if task == "stylization" and scale != 1:
            raise ValueError(f"folder: stylization outputs keep the input size (scale 1), got scale={scale}")
        super().__init__(device=device, **params)
        self.scale, self.task = scale, task
        self.root = Path(params["path"]).expanduser().resolve()
        if not self.root.is_dir():
            raise MethodNotAvailableError(f"folder: output folder {self.root} does not exist")
        self.files = self._index()
        from pasd.hub.hashing import sha256_file

        self.options = {
            "path": str(self.root), "label": params.get("label") or f"folder:{self.root.name}",
            "scale": scale, "task": task,
            "files": {p.name: sha256_file(p) for p in sorted(self.files.values())},
        }  # fmt: skip

    def _index(self) -> dict[str, Path]:
        stems: dict[str, Path] = {}
        for p in sorted(self.root.iterdir()):
            if not is_image_file(p):
                continue
            if p.stem in stems:
                raise ValueError(
                    f"folder: {stems[p.stem].name} and {p.name} in {self.root} share the stem {p.stem!r}"
                )
            stems[p.stem] = p
        if not stems:
            raise MethodNotAvailableError(
                f"folder: no images in {self.root} (looked for {', '.join(self.suffixes)})"
            )
        return stems

    @property
    def label(self) -> str:
        return str(self.options["label"])

    def cache_key(self) -> str:
        """The base key mixed with every file's SHA-256: changed files never reuse old outputs."""
        files = json.dumps(self.options["files"], sort_keys=True)
        return hashlib.sha256((super().cache_key() + files).encode()).hexdigest()[:16]

    def process_item(self, image: np.ndarray, seed: int | None, names: Sequence[str] = ()) -> np.ndarray:
        """The precomputed output for the first of ``names`` found in the folder.

        Raises:
            FileNotFoundError: No file has any of ``names`` as its stem.
            ValueError: The file is unreadable, has the wrong size, or changed since the
                method was created (its hash no longer matches the recorded one).
        """
        from pasd.hub.hashing import sha256_file

        path = next((self.files[n] for n in names if n in self.files), None)
        if path is None:
            raise FileNotFoundError(
                f"folder: no output for {names[0] if names else '?'!r} in {self.root} (looked for stems {list(names)})"
            )
        if sha256_file(path) != self.options["files"][path.name]:
            raise ValueError(
                f"folder: {path} changed after the run started; run again to import the new file"
            )
        # the suite's one decoding rule (pasd.utils.image_io), so imported outputs decode as datasets do
        out = read_rgb(path)
        h, w = image.shape[:2]
        want = (h * self.scale, w * self.scale)
        if out.shape[:2] != want:
            raise ValueError(
                f"folder: {path.name} is {out.shape[1]}x{out.shape[0]}, expected {want[1]}x{want[0]} "
                f"(input {w}x{h} x{self.scale})"
            )
        return out

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        raise ValueError(
            "folder: outputs are looked up by name; call process_item(image, seed, names=(stem,)) "
            "(the runner and `pasd-bench apply` do)"
        )
