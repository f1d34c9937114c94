"""Render a :class:`~benchmarks.tables.grid.Grid` as Markdown, LaTeX, CSV or an HTML fragment.

Marks: Markdown ``**best**`` / ``<u>second</u>``; LaTeX ``\\textbf{}`` / ``\\underline{}`` (the
table needs ``booktabs``, ``graphicx`` for ``\\resizebox`` and ``amssymb`` for ``\\checkmark``);
HTML ``<strong>`` / ``<u>``. A number on fewer images than the official set gets ``†``. CSV is tidy
(one row per number, see :func:`to_csv`).
"""

from __future__ import annotations

import csv
import html
import io
from typing import Literal

from benchmarks.tables.grid import PARTIAL_MARK, Cell, Grid

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
        text = f"**{text}**"
    elif c.mark == "second":
        text = f"<u>{text}</u>"
    return text + (PARTIAL_MARK if c.partial else "")


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
    "†": r"$^\dagger$",
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
        text = rf"\textbf{{{text}}}"
    elif c.mark == "second":
        text = rf"\underline{{{text}}}"
    return text + (tex_escape(PARTIAL_MARK) if c.partial else "")


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


#: the columns of the tidy CSV (one row per number; pandas: ``pd.read_csv(path)``)
CSV_COLUMNS: tuple[str, ...] = (
    "table", "dataset", "method", "method_label", "metric", "source", "value", "ci_low", "ci_high", "n",
    "n_official", "partial", "status", "mark", "text",
)  # fmt: skip
#: Table 3 adds the variant's design columns
CSV_TABLE3_COLUMNS: tuple[str, ...] = ("degradation_removal", "high_level_info", "negative_prompt")


def _csv_num(v: float | int | None) -> str:
    return "" if v is None else repr(float(v)) if isinstance(v, float) else str(v)


def to_csv(grid: Grid) -> str:
    """A tidy table: one row per result (ours, the paper's, or their difference), one value per column.

    Columns :data:`CSV_COLUMNS` (plus :data:`CSV_TABLE3_COLUMNS` for Table 3): ``value`` is the
    full-precision number (empty for a status such as "weights missing", named in ``status``),
    ``ci_low``/``ci_high`` its interval (bootstrap over images; Student-t over seeds for a mean of seeds), ``n`` the images it rests on and ``n_official`` the
    official set's size (``partial`` = 1 when ``n < n_official``); ``mark`` is best/second and
    ``text`` the cell as printed, ``method_label`` the method as tables show it (random-weight
    methods say so). No cell is left blank to mean "same as above".
    """
    from benchmarks.results.method_ids import base_method
    from benchmarks.tables.layouts import ABLATION_FLAGS
    from benchmarks.tables.names import method_label

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    extra = CSV_TABLE3_COLUMNS if grid.table == 3 else ()
    w.writerow([*CSV_COLUMNS, *extra])
    for row in grid.rows:
        if row.kind != "data":
            continue
        for c in row.cells:
            if c.kind == "empty" or c.metric is None:
                continue
            value = c.value if c.kind in ("number", "delta") else None
            status = c.status or ("ok" if c.kind in ("number", "delta") else "")
            label = method_label(c.method or "", grid.method_labels)
            rec = [grid.table or "", c.dataset, c.method, label, c.metric, row.source, _csv_num(value),
                   _csv_num(c.ci_low), _csv_num(c.ci_high), _csv_num(c.n), _csv_num(c.n_official),
                   int(c.partial), status, c.mark or "", c.text]  # fmt: skip
            if extra:
                rec += [
                    int(f) for f in ABLATION_FLAGS.get(base_method(c.method or ""), (False, False, False))
                ]
            w.writerow(rec)
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
            if c.partial:
                text += f'<sup title="fewer images than the official set">{PARTIAL_MARK}</sup>'
            title = f' title="{esc(c.title)}"' if c.title else ""
            out.append(f'<td class="{c.kind}"{title}>{text}</td>')
        out.append("</tr>")
    if grid.rows:
        out.append("</tbody>")
    span = len(grid.label_headers) + len(grid.column_headers)
    notes = "".join(f"<li>{esc(n)}</li>" for n in grid.notes)
    out.append(f'<tfoot><tr><td colspan="{span}"><ul class="notes">{notes}</ul></td></tr></tfoot></table>')
    return "".join(out)
