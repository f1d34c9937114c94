"""Make the official ``basicsr==1.4.2`` importable with torchvision >= 0.17.

basicsr 1.4.2 (the last PyPI release, 2022) does
``from torchvision.transforms.functional_tensor import rgb_to_grayscale`` in
``basicsr/data/degradations.py``. torchvision 0.15 deprecated that public module and
0.17 renamed it to ``torchvision.transforms._functional_tensor`` with the same functions,
so every ``import basicsr`` fails with ``ModuleNotFoundError``.

Why a shim rather than a fork: the forks on PyPI (``basicsr-fixed``, ``basicsr-volta``)
are republished by third parties and change more than this line; the degradation
primitives we rely on for fidelity to Real-ESRGAN must be the official code. The shim is
a meta-path finder placed *last*, so it only answers when torchvision itself has no
``functional_tensor`` (older torchvision keeps its own), and it costs nothing until
something imports that name: installing it does not import torch.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

LEGACY_NAME = "torchvision.transforms.functional_tensor"
CURRENT_NAME = "torchvision.transforms._functional_tensor"


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(CURRENT_NAME)

    def exec_module(self, module: ModuleType) -> None:
        # The aliased module is already executed; re-running it would reset its state.
        return None


class _FunctionalTensorFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - importlib protocol
        if fullname != LEGACY_NAME:
            return None
        if importlib.util.find_spec(CURRENT_NAME) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader())


def install() -> None:
    """Append the finder to ``sys.meta_path`` once (idempotent)."""
    if not any(isinstance(f, _FunctionalTensorFinder) for f in sys.meta_path):
        sys.meta_path.append(_FunctionalTensorFinder())
