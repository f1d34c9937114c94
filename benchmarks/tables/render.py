"""Render a :class:`~benchmarks.tables.grid.Grid` as Markdown, LaTeX, CSV or an HTML fragment.

Marks: Markdown ``**best**`` / ``<u>second</u>``; LaTeX ``\\textbf{}`` / ``\\underline{}`` (the
table needs ``booktabs``, ``graphicx`` for ``\\resizebox`` and ``amssymb`` for ``\\checkmark``);
HTML ``<strong>`` / ``<u>``; CSV has no markup (plain text of each cell).
"""

from __future__ import annotations

import csv
import html
import io
from typing import Literal

from benchmarks.tables.grid import Cell, Grid

Format = Literal["md", "tex", "csv"]
FORMATS: tuple[str, ...] = ("md", "tex", "csv")


def render(grid: Grid, fmt: str) -> str:
    """Render ``grid`` as ``fmt`` (``"md"``, ``"tex"`` or ``"csv"``).

    Raises:
        ValueError: unknown format.
    """
    if fmt == "md":
        return to_markdown(grid)
    if fmt == "tex":
        return to_latex(grid)
    if fmt == "csv":
        return to_csv(grid)
    raise ValueError(f"format {fmt!r} is not one of {FORMATS}")


def _md_cell(c: Cell) -> str:
    text = c.text.replace("|", "\\|")
    if c.mark == "best":
        return f"**{text}**"
    if c.mark == "second":
        return f"<u>{text}</u>"
    return text


def to_markdown(grid: Grid) -> str:
    """A GitHub-flavoured Markdown table with the caption above and the notes below."""
    header = grid.label_headers + grid.column_headers
    lines = [f"**{grid.caption}**", ""]
    lines.append("| " + " | ".join(h.replace("|", "\\|") for h in header) + " |")
    lines.append("|" + "|".join([":--"] * len(grid.label_headers) + ["--:"] * len(grid.column_headers)) + "|")
    for row in grid.rows:
        lines.append("| " + " | ".join(row.labels + [_md_cell(c) for c in row.cells]) + " |")
    if grid.is_empty:
        lines.append("| " + " | ".join(["(no results)"] + [""] * (len(header) - 1)) + " |")
    lines.append("")
    lines += [f"- {n}" for n in grid.notes]
    return "\n".join(lines) + "\n"


_TEX_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}  # fmt: skip
_TEX_SYMBOLS = {
    "↑": r"$\uparrow$",
    "↓": r"$\downarrow$",
    "✓": r"\checkmark",
    "Δ": r"$\Delta$",
    "—": "--",
    "−": "$-$",
}


def tex_escape(text: str) -> str:
    """Escape LaTeX specials and map the table's symbols (arrows, check marks, Δ, dashes)."""
    out = "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)
    for sym, tex in _TEX_SYMBOLS.items():
        out = out.replace(sym, tex)
    return out


def _tex_cell(c: Cell) -> str:
    text = tex_escape(c.text)
    if c.mark == "best":
        return rf"\textbf{{{text}}}"
    if c.mark == "second":
        return rf"\underline{{{text}}}"
    return text


def to_latex(grid: Grid) -> str:
    """A ``table`` environment with a booktabs ``tabular``; a ``\\midrule`` separates row groups."""
    n_lab, n_col = len(grid.label_headers), len(grid.column_headers)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{tex_escape(grid.caption)}}}"]
    lines.append(r"\resizebox{\linewidth}{!}{%")
    lines.append(rf"\begin{{tabular}}{{{'l' * n_lab}{'c' * n_col}}}")
    lines.append(r"\toprule")
    lines.append(" & ".join(tex_escape(h) for h in grid.label_headers + grid.column_headers) + r" \\")
    lines.append(r"\midrule")
    prev = None
    for row in grid.rows:
        if prev is not None and row.group != prev:
            lines.append(r"\midrule")
        prev = row.group
        lines.append(
            " & ".join([tex_escape(x) for x in row.labels] + [_tex_cell(c) for c in row.cells]) + r" \\"
        )
    lines += [r"\bottomrule", r"\end{tabular}}", r"\end{table}"]
    lines += [f"% {n}" for n in grid.notes]
    return "\n".join(lines) + "\n"


def to_csv(grid: Grid) -> str:
    """The same rows and columns as plain text (no marks), one header line."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(grid.label_headers + grid.column_headers)
    for row in grid.rows:
        w.writerow(row.labels + [c.text for c in row.cells])
    return buf.getvalue()


def to_html(grid: Grid) -> str:
    """An HTML ``<table>`` fragment (caption, one ``<tbody>`` per row group, notes in ``<tfoot>``)."""
    esc = html.escape
    out = [f'<table class="results"><caption>{esc(grid.caption)}</caption><thead><tr>']
    out += [f'<th scope="col">{esc(h)}</th>' for h in grid.label_headers + grid.column_headers]
    out.append("</tr></thead>")
    prev: str | None = None
    for k, row in enumerate(grid.rows):
        if k == 0 or row.group != prev:
            out.append("<tbody>" if k == 0 else "</tbody><tbody>")
            prev = row.group
        out.append(f'<tr class="{row.source}">')
        out += [f"<th>{esc(x)}</th>" for x in row.labels]
        for c in row.cells:
            text = esc(c.text)
            if c.mark == "best":
                text = f"<strong>{text}</strong>"
            elif c.mark == "second":
                text = f"<u>{text}</u>"
            title = f' title="{esc(c.title)}"' if c.title else ""
            out.append(f'<td class="{c.kind}"{title}>{text}</td>')
        out.append("</tr>")
    if grid.rows:
        out.append("</tbody>")
    span = len(grid.label_headers) + len(grid.column_headers)
    notes = "".join(f"<li>{esc(n)}</li>" for n in grid.notes)
    out.append(f'<tfoot><tr><td colspan="{span}"><ul class="notes">{notes}</ul></td></tr></tfoot></table>')
    return "".join(out)
