"""Adapters for the comparison methods behind a single :class:`~baselines.base.Method` interface.

Every ``baselines/*_adapter.py`` module is imported here, which runs its ``@METHODS.register``
decorators: the file suffix is the registration rule (as pyiqa's ``*_arch.py``). Adding a method
is one file.
"""

import importlib
import pkgutil

from baselines.base import METHODS, Method, MethodNotAvailableError, create_method

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name.endswith("_adapter"):
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["METHODS", "Method", "MethodNotAvailableError", "create_method"]
