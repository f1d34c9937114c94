"""Lazy imports of optional dependencies with a one-line error naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the pip extra that brings it."""


def require(module: str, extra: str, *, package: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError`.

    Args:
        module: dotted module name, e.g. ``"fastapi"``.
        extra: the ``pasd-bench`` extra that installs it, e.g. ``"study"``.
        package: the distribution name when it differs from the module (``"ultralytics"``).

    Example:
        >>> require("json", "none").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        dist = package or module.split(".")[0]
        raise MissingDependencyError(
            f"{dist} is not installed; install it with: pip install 'pasd-bench[{extra}]'"
        ) from exc
