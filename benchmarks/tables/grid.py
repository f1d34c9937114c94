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
    "data-missing": "data missing",
    "pending": "interrupted",
}
EMPTY = "—"
#: appended to a number computed on fewer images than the official set
PARTIAL_MARK = "†"


@dataclass
class Cell:
    """One table cell: ``text`` as shown (without markup), the number behind it, and its mark.

    ``dataset``/``method``/``metric`` say which result it is; ``n`` is the number of images behind
    it and ``n_official`` the size of the official set (``partial`` when ``n < n_official``).
    """

    text: str
    kind: CellKind = "number"
    value: float | None = None
    mark: Mark | None = None
    title: str | None = None  # tooltip in HTML (e.g. the note of a "weights missing" cell)
    dataset: str | None = None
    method: str | None = None
    metric: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    n_official: int | None = None
    status: str | None = None

    @property
    def partial(self) -> bool:
        return (
            self.kind == "number"
            and self.n is not None
            and bool(self.n_official)
            and self.n < self.n_official
        )


@dataclass
class Row:
    """Row-header texts (``labels``) and one cell per column; ``group`` is the row group (dataset).

    ``kind == "count"``: the row of image counts (n / official), shown in every format but CSV
    (where ``n`` is a column of each number).
    """

    labels: list[str]
    cells: list[Cell]
    group: str = ""
    source: Literal["ours", "paper", "delta"] = "ours"
    kind: Literal["data", "count"] = "data"


@dataclass
class Grid:
    """A whole table: caption, row-header names, column names, rows and footnotes."""

    caption: str
    label_headers: list[str]
    column_headers: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    table: int | None = None
    #: method entry id -> the label its preset gave it (what the columns show)
    method_labels: dict[str, str] = field(default_factory=dict)

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
    return Cell(text, "number", float(value), ci_low=ci_low, ci_high=ci_high, status="ok")


def result_cell(rec: dict | None, decimals: int, ci: bool, n_official: int | None = None) -> Cell:
    """The cell for one set-level record (a ``ResultsStore.set_level`` row as dict), or an empty cell.

    A ``pending`` cell (planned, never scored) reads "running" while its run runs, else "interrupted".
    """
    if rec is None:
        return Cell(EMPTY, "empty", n_official=n_official)
    status = rec.get("status", "ok")
    key = {"dataset": rec.get("dataset"), "method": rec.get("method"), "metric": rec.get("metric")}
    if status != "ok":
        note = rec.get("note")
        text = STATUS_TEXT.get(status, status)
        if isinstance(note, str) and note.startswith(NO_REFERENCE):  # FID without a reference set
            text = NO_REFERENCE
        if status == "pending" and rec.get("run_status") == "running":
            text = "running"
        return Cell(text, "status", title=note if isinstance(note, str) else None, status=status,
                    n_official=n_official, **key)  # fmt: skip
    lo, hi = (_num(rec.get("ci_low")), _num(rec.get("ci_high")))
    cell = number_cell(float(rec["value"]), decimals, lo, hi, ci)
    n = rec.get("n")
    cell.n = None if n is None or _isna(n) else int(n)
    cell.n_official = n_official
    cell.dataset, cell.method, cell.metric = key["dataset"], key["method"], key["metric"]
    return cell


def count_cell(n: int | None, n_official: int | None) -> Cell:
    """The cell of an "Images" row: ``n/official`` (or ``n``), flagged when fewer than official."""
    if n is None:
        return Cell(EMPTY, "empty", n_official=n_official)
    text = f"{n}/{n_official}" if n_official else str(n)
    cell = Cell(text, "text", n=n, n_official=n_official)
    if n_official and n < n_official:
        cell.text += PARTIAL_MARK
    return cell


def _isna(v: object) -> bool:
    try:
        return bool(v != v)  # NaN / pd.NA
    except TypeError:
        return True


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
