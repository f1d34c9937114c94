"""One name -> object registry, used for methods, datasets and metrics.

Modelled on pyiqa's ``pyiqa/utils/registry.py`` (itself modified from fvcore): refuses
a second registration under the same name and suggests close matches on a miss.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A name is not in a registry; the CLI reports it as a one-line user error."""

    def __str__(self) -> str:  # KeyError would repr() the message, adding quotes
        return str(self.args[0]) if self.args else ""


class Registry:
    """A case-insensitive mapping from lower-case names to registered objects.

    Args:
        kind: what the registry holds (``"method"``, ``"dataset"``, ``"metric"``), used in errors.

    Example:
        >>> METRICS = Registry("metric")
        >>> @METRICS.register("psnr")
        ... class PSNR: ...
        >>> METRICS.get("PSNR").__name__
        'PSNR'
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Any] = {}

    def register(self, name: str | None = None, obj: Any = None) -> Any:
        """Register ``obj`` under ``name``; used bare as ``REG.register(name, obj)`` or as a decorator.

        Raises:
            KeyError: if ``name`` is already registered.
        """

        def _do(o: T) -> T:
            key = (name or getattr(o, "name", None) or o.__name__).lower()
            if key in self._items:
                raise KeyError(f"{self.kind} {key!r} is already registered (by {self._items[key]!r})")
            self._items[key] = o
            return o

        if obj is not None:
            return _do(obj)
        return _do

    def unregister(self, name: str) -> None:
        self._items.pop(name.lower(), None)

    def get(self, name: str) -> Any:
        """Return the object registered as ``name``.

        Raises:
            UnknownNameError: (a ``KeyError``) naming the unknown key, close matches and the known names.
        """
        key = name.lower()
        if key in self._items:
            return self._items[key]
        close = difflib.get_close_matches(key, self._items, n=3)
        hint = f" Did you mean one of: {', '.join(close)}?" if close else ""
        raise UnknownNameError(
            f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(sorted(self._items)) or '(none)'}"
        )

    def snapshot(self) -> dict[str, Any]:
        """A copy of the current contents; tests restore it with :meth:`restore`."""
        return dict(self._items)

    def restore(self, items: dict[str, Any]) -> None:
        self._items = dict(items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, Any]]:
        return sorted(self._items.items())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"


ALL_REGISTRIES: list[Registry] = []


def new_registry(kind: str) -> Registry:
    """Create a registry and remember it, so tests can snapshot/restore every registry at once."""
    reg = Registry(kind)
    ALL_REGISTRIES.append(reg)
    return reg


Factory = Callable[..., Any]
