"""The format-independent table: labelled rows of cells with best/second marks.

Builders (:mod:`benchmarks.tables.build`) fill a :class:`Grid`; renderers
(:mod:`benchmarks.tables.render`) turn it into Markdown, LaTeX, CSV or HTML. A cell carries its
plain text; marks are applied by the renderer, so every format marks the same cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from benchmarks.runner.shared_settings import NO_REFERENCE
from benchmarks.tables.ranking import Mark

CellKind = Literal["number", "status", "empty", "delta", "text"]
#: what a set-level status reads as in a table; never a number
STATUS_TEXT: dict[str, str] = {
    "weights-missing": "weights missing",
    "not-available": "not available",
    "failed": "failed",
}
EMPTY = "—"


@dataclass
class Cell:
    """One table cell: ``text`` as shown (without markup), the number behind it, and its mark."""

    text: str
    kind: CellKind = "number"
    value: float | None = None
    mark: Mark | None = None
    title: str | None = None  # tooltip in HTML (e.g. the note of a "weights missing" cell)


@dataclass
class Row:
    """Row-header texts (``labels``) and one cell per column; ``group`` is the row group (dataset)."""

    labels: list[str]
    cells: list[Cell]
    group: str = ""
    source: Literal["ours", "paper", "delta"] = "ours"


@dataclass
class Grid:
    """A whole table: caption, row-header names, column names, rows and footnotes."""

    caption: str
    label_headers: list[str]
    column_headers: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rows


def number_cell(
    value: float, decimals: int, ci_low: float | None = None, ci_high: float | None = None, ci: bool = False
) -> Cell:
    """A number with the paper's precision, optionally followed by its CI: ``x [lo, hi]``."""
    text = f"{value:.{decimals}f}"
    if ci and ci_low is not None and ci_high is not None:
        text += f" [{ci_low:.{decimals}f}, {ci_high:.{decimals}f}]"
    return Cell(text, "number", float(value))


def result_cell(rec: dict | None, decimals: int, ci: bool) -> Cell:
    """The cell for one set-level record (a ``ResultsStore.set_level`` row as dict), or an empty cell."""
    if rec is None:
        return Cell(EMPTY, "empty")
    status = rec.get("status", "ok")
    if status != "ok":
        note = rec.get("note")
        text = STATUS_TEXT.get(status, status)
        if isinstance(note, str) and note.startswith(NO_REFERENCE):  # FID without a reference set
            text = NO_REFERENCE
        return Cell(text, "status", title=note if isinstance(note, str) else None)
    lo, hi = (_num(rec.get("ci_low")), _num(rec.get("ci_high")))
    return number_cell(float(rec["value"]), decimals, lo, hi, ci)


def delta_cell(ours: Cell, paper: Cell, decimals: int) -> Cell:
    """``ours - paper`` when both cells hold numbers, else an empty cell."""
    if ours.kind != "number" or paper.kind != "number":
        return Cell(EMPTY, "empty")
    d = ours.value - paper.value
    return Cell(f"{d:+.{decimals}f}", "delta", d)


def _num(v: object) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f
