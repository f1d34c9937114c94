"""Render and write protocol-spread rows (:mod:`benchmarks.protocols.spread`)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from benchmarks.protocols.spread import SpreadRow, Step, spread_as_dicts


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def _step(step: Step) -> str:
    names = " + ".join(f"{k} {a!r}->{b!r}" for k, a, b in step.settings)
    return f"{names}: {'?' if step.delta is None else f'{step.delta:+.4f}'}"


def format_spread(rows: list[SpreadRow], cards: list[str]) -> str:
    """The spread table (one column per card, range, what made the difference) and the step lists."""
    from rich.console import Console
    from rich.table import Table

    buf = StringIO()
    con = Console(file=buf, width=180, no_color=True, highlight=False, markup=False, soft_wrap=True)
    t = Table(title="protocol spread: the same outputs under each card", title_justify="left")
    for col in ("method", "dataset", "metric", *cards, "range", "low -> high", "made the difference"):
        t.add_column(col, overflow="fold")
    for r in rows:
        top = r.made_the_difference
        t.add_row(
            r.method, r.dataset, r.metric, *[_num(r.values.get(c)) for c in cards], _num(r.range),
            f"{r.low} -> {r.high}" if r.low else "", _step(top) if top else "",
        )  # fmt: skip
    con.print(t)
    for r in rows:
        if r.steps:
            con.print(
                f"{r.method} / {r.dataset} / {r.metric}: {r.low} -> {r.high} = {_num(r.range)}, step by step:"
            )
            for s in r.steps:
                con.print(f"    {_step(s)}" + (f" ({s.note})" if s.note else ""))
    notes: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        for card, note in r.notes.items():
            notes.setdefault((r.metric, note.splitlines()[0][:200]), set()).add(card)
    for (metric, note), which in sorted(notes.items()):
        con.print(f"  n/a: {metric} under {', '.join(sorted(which))}: {note}")
    return buf.getvalue()


def write_spread(rows: list[SpreadRow], out: Path) -> None:
    """``.json`` (full rows with steps) or ``.csv`` (one line per row and card)."""
    from pasd.utils.io import atomic_open, atomic_write_json

    if out.suffix.lower() == ".json":
        atomic_write_json(out, json.loads(json.dumps(spread_as_dicts(rows), default=str)))
        return
    import csv

    with atomic_open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["method", "dataset", "metric", "card", "value", "range", "low", "high", "made_the_difference"]
        )
        for r in rows:
            top = r.made_the_difference
            for card, v in r.values.items():
                w.writerow([r.method, r.dataset, r.metric, card, "" if v is None else repr(v), r.range, r.low, r.high,
                            _step(top) if top else ""])  # fmt: skip
