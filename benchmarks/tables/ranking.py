"""Best / second-best marks for one row (or column) of a table, as the paper marks them.

Values are compared as they are printed (rounded to the shown decimals), so two cells that read
the same get the same mark: every cell tied for the best value is bold, and "second" is the next
distinct value (dense ranking), all of whose cells are underlined. Missing cells (``None``: not
run, weights missing, not available, failed) take no part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

Mark = Literal["best", "second"]


def rank_marks(
    values: Sequence[float | None], higher_is_better: bool | None, decimals: int | None = 4
) -> list[Mark | None]:
    """Mark the best and second-best of ``values``.

    Args:
        values: one number per cell, ``None`` for a cell without a number.
        higher_is_better: the metric's direction; ``None`` (unknown) marks nothing.
        decimals: compare after rounding to this many decimals (``None``: exact comparison).

    Returns:
        ``"best"``, ``"second"`` or ``None`` per cell. With a single distinct value there is no second.

    Raises:
        ValueError: a NaN/inf value (missing cells must be ``None``).

    Example:
        >>> rank_marks([0.3, 0.1, None, 0.1, 0.2], higher_is_better=False)
        [None, 'best', None, 'best', 'second']
    """
    keyed: list[float | None] = []
    for v in values:
        if v is None:
            keyed.append(None)
            continue
        if not math.isfinite(v):
            raise ValueError(f"cannot rank non-finite value {v!r}; use None for a missing cell")
        keyed.append(round(v, decimals) if decimals is not None else float(v))
    if higher_is_better is None:
        return [None] * len(keyed)
    distinct = sorted({k for k in keyed if k is not None}, reverse=higher_is_better)
    marks: dict[float, Mark] = {}
    if distinct:
        marks[distinct[0]] = "best"
    if len(distinct) > 1:
        marks[distinct[1]] = "second"
    return [None if k is None else marks.get(k) for k in keyed]
