"""A :class:`~benchmarks.drift.compare.DriftReport` as text a person reads in a CI log."""

from __future__ import annotations

from io import StringIO

from benchmarks.drift.compare import DriftReport

_VERDICT = {0: "OK: everything within tolerance", 1: "DRIFT", 2: "UNUSABLE INPUT: cells or images missing"}


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.8g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"


def _val(v) -> str:
    return "-" if v is None else str(v)


def format_report(
    report: DriftReport,
    title: str = "drift check",
    verbose: bool = False,
    labels: tuple[str, str] = ("golden", "now"),
) -> str:
    """Render ``report``: verdict, moved cells (with their 5 most-moved images), missing cells,
    changed images, protocol changes, packages/environment/weights changes.

    Args:
        verbose: also list every compared cell, not only those that moved.
        labels: names of the two sides (``("A", "B")`` for ``results diff``).
    """
    from rich.console import Console
    from rich.table import Table

    buf = StringIO()
    con = Console(file=buf, width=160, no_color=True, highlight=False, markup=False, soft_wrap=True)
    code = report.exit_code
    con.print(
        f"{title}: {len(report.cells)} cells compared, {len(report.moved)} moved, {len(report.missing)} missing, "
        f"{len(report.failing_images)}/{len(report.images)} changed images beyond tolerance, "
        f"{len(report.protocol)} protocol changes -> exit {code} ({_VERDICT[code]})"
    )
    rows = report.cells if verbose else report.moved
    if rows:
        t = Table(title="cells" if verbose else "cells that moved", title_justify="left")
        for col in ("cell", *labels, "delta", "direction", "tier (tol)", "images moved", "why"):
            t.add_column(col, overflow="fold")
        for c in rows:
            why = [c.note] if c.note else []
            why += [f"{k}: {a!r} -> {b!r}" for k, a, b in c.settings_changed]
            t.add_row(
                c.key, _fmt(c.golden), _fmt(c.now), _fmt(c.delta), c.direction if c.moved else "",
                f"{c.tier} ({_fmt(c.tolerance)})", f"{c.images_moved}/{c.n_now or '-'}", "; ".join(why),
            )  # fmt: skip
        con.print(t)
        for c in report.moved:
            if c.top_images:
                tops = ", ".join(
                    f"{m.image} {_fmt(m.golden)} -> {_fmt(m.now)} ({m.delta:+.3g})" for m in c.top_images
                )
                con.print(f"  {c.key}: most moved images: {tops}")
    if report.missing:
        con.print(
            f"{len(report.missing)} {labels[0]} cell(s) without a usable value in {labels[1]} (exit 2):"
        )
        for key, why in report.missing:
            con.print(f"  - {key}: {why}")
    if report.missing_images:
        con.print(
            f"{len(report.missing_images)} {labels[0]} image(s)/folder(s) not found in {labels[1]} (exit 2):"
        )
        for key, why in report.missing_images:
            con.print(f"  - {key}: {why}")
    if report.images:
        t = Table(title="images whose pixels changed", title_justify="left")
        for col in ("where", "image", "tier", "detail", "verdict"):
            t.add_column(col, overflow="fold")
        for i in report.images:
            t.add_row(
                i.where, i.image, i.tier, i.detail, "within tolerance" if i.within_tolerance else "DRIFT"
            )
        con.print(t)
    if report.protocol:
        con.print(f"protocol settings that changed ({labels[0]} -> {labels[1]}):")
        for key, a, b, cells in report.protocol:
            more = f" (+{len(cells) - 3} more)" if len(cells) > 3 else ""
            con.print(f"  - {key}: {a!r} -> {b!r}   cells: {', '.join(cells[:3])}{more}")
    if report.packages:
        con.print(f"package versions that changed ({labels[0]} -> {labels[1]}):")
        for name, a, b, pinned in report.packages:
            tag = (
                "part of the protocol" + (", allowed" if report.allow_env_change else ", DRIFT")
                if pinned
                else "info"
            )
            con.print(f"  - {name}: {_val(a)} -> {_val(b)} [{tag}]")
    if report.env:
        con.print(
            f"environment that changed ({labels[0]} -> {labels[1]}): "
            + "; ".join(f"{k}: {_val(a)} -> {_val(b)}" for k, a, b in report.env)
        )
        if any(k == "device" for k, _, _ in report.env):
            con.print("  (another device: compare with --tier cross-device)")
    if report.weights:
        con.print(f"weights that changed ({labels[0]} -> {labels[1]}):")
        for art, a, b, content in report.weights:
            if content:
                tag = "other file (sha256/revision), " + ("allowed" if report.allow_env_change else "DRIFT")
            else:
                tag = "location only" if a and b else ("now found" if b else "no longer found")
            con.print(f"  - {art}: {a or 'not used'} -> {b or 'not used'} [{tag}]")
    if report.new:
        con.print(
            f"{len(report.new)} cell(s) in {labels[1]} that {labels[0]} does not have (not checked): {', '.join(report.new[:8])}"
        )
    return buf.getvalue()
