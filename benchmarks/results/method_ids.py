"""Method entry ids: what the results store keys a preset's ``[[methods]]`` entry by.

A preset may list one method twice (two ``folder`` entries with different paths, ``pasd`` with
two step counts). Their outputs are already apart (the output cache is keyed by the resolved
settings); their numbers must be too. So every entry gets an id:

- ``name`` when the entry is the only one of that method and has no label (every shipped preset:
  their cells keep the keys older stores and golden files use);
- ``name[label]`` when the entry has a label (the entry's ``label`` key, or a ``label`` param
  such as the ``folder`` method's);
- ``name[k=v,...]`` for same-name entries without labels: the params in which they differ (or
  ``name[#<hash>]`` when that text would be long).

Tables show an entry's label (or ``Method name [k=v]``); everything that looks methods up by
registry name (paper rows, footnotes, Table 3 flags, drift tiers) uses :func:`base_method`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

#: longest params text used in an id before it is replaced by a hash
MAX_PARAMS_TEXT = 40
_ID = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<label>.*)\]$", re.S)


def entry_id(name: str, label: str | None = None) -> str:
    """``name`` or ``name[label]``.

    Example:
        >>> entry_id("folder", "StableSR (released)")
        'folder[StableSR (released)]'
    """
    return f"{name}[{label}]" if label else name


def split_method_id(method_id: str) -> tuple[str, str | None]:
    """``(registry name, label or None)`` of an entry id.

    Example:
        >>> split_method_id("pasd[steps=50]")
        ('pasd', 'steps=50')
        >>> split_method_id("bicubic")
        ('bicubic', None)
    """
    m = _ID.match(method_id)
    return (m["name"], m["label"]) if m else (method_id, None)


def base_method(method_id: str) -> str:
    """The registry name of an entry id (``"pasd[steps=50]"`` -> ``"pasd"``)."""
    return split_method_id(method_id)[0]


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def assign_ids(entries: Sequence[tuple[str, Mapping[str, Any], str | None]]) -> list[str]:
    """The id of each ``(name, params, label)`` entry, in order (see the module docstring).

    Raises:
        ValueError: two entries of one method with the same params and label (listed twice), or
            two entries that would get the same id (e.g. the same label twice).
    """
    by_name: dict[str, list[int]] = {}
    for i, (name, _, _) in enumerate(entries):
        by_name.setdefault(name, []).append(i)
    ids: list[str] = []
    for i, (name, params, label) in enumerate(entries):
        label = label or (str(params["label"]) if params.get("label") else None)
        same = by_name[name]
        if label or len(same) == 1:
            ids.append(entry_id(name, label))
            continue
        others = [entries[j][1] for j in same if j != i]
        if any(dict(o) == dict(params) for o in others):
            raise ValueError(
                f"method {name!r} is listed twice with the same params {dict(params)}: drop one, or tell them "
                'apart with label = "..."'
            )
        keys = sorted(set(params).union(*(set(o) for o in others)))
        differ = [k for k in keys if any(o.get(k) != params.get(k) for o in others)]
        text = ",".join(f"{k}={_value_text(params[k])}" for k in differ if k in params) or "defaults"
        if len(text) > MAX_PARAMS_TEXT or "[" in text or "]" in text:
            blob = json.dumps(dict(params), sort_keys=True, default=str)
            text = "#" + hashlib.sha256(blob.encode()).hexdigest()[:8]
        ids.append(entry_id(name, text))
    seen: dict[str, int] = {}
    for i, mid in enumerate(ids):
        if mid in seen:
            raise ValueError(
                f"methods {seen[mid] + 1} and {i + 1} of the preset would both be recorded as {mid!r}: "
                'give them different labels (label = "..." in [[methods]])'
            )
        seen[mid] = i
    return ids
