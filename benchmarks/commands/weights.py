"""``pasd-bench weights list | verify | fetch``: drives :mod:`pasd.hub`."""

from __future__ import annotations

import click

from benchmarks.console import rich_console
from pasd import hub
from pasd.hub.resolve import ArtifactReport

_STATUS_STYLE = {
    "ok": "green",
    "unverified": "yellow",
    "missing": "red",
    "size-mismatch": "red",
    "hash-mismatch": "red",
}


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def _names(names: tuple[str, ...]) -> list[str]:
    if names:
        for n in names:
            hub.get_artifact(n)  # KeyError with suggestions before any work
        return list(names)
    return [a.name for a in hub.list_artifacts()]


@click.group("weights")
def command() -> None:
    """List, verify and fetch the pretrained artifacts the suite uses.

    Search order: explicit path > $PASD_BENCH_HOME/weights/NAME > the owning library's cache.
    """


@command.command("list")
@click.option("--kind", default=None, help="Only this kind (e.g. checkpoint, metric-weights).")
@click.option("--status/--no-status", "with_status", default=True, help="Look on disk (no hashing).")
@click.option("--long", "long_", is_flag=True, help="Also show the download source and what uses it.")
def list_cmd(kind: str | None, with_status: bool, long_: bool) -> None:
    """One line per artifact: name, kind, size, licence, presence (--long: source, users).

    Piped or redirected, lines are not wrapped (one artifact per line, for grep/cut).
    """
    from rich.table import Table

    table = Table(title=f"pretrained artifacts (home: {hub.bench_home()})")
    cols = ["name", "kind", "size", "licence"] + (["source", "used by"] if long_ else [])
    for col in cols + (["on disk"] if with_status else []):
        table.add_column(col, overflow="fold")
    for art in hub.list_artifacts():
        if kind and art.kind != kind:
            continue
        row = [art.name, art.kind, _human(art.size), art.licence]
        if long_:
            row += [art.source, ", ".join(art.used_by)]
        if with_status:
            rep = hub.verify(art.name, hash_files=False)
            style = _STATUS_STYLE[rep.status]
            row.append(f"[{style}]{'present' if rep.usable else rep.status}[/{style}]")
        table.add_row(*row)
    rich_console().print(table)


def _print_reports(reports: list[ArtifactReport]) -> None:
    from rich.table import Table

    table = Table(title="weights verify")
    for col in ("artifact", "file", "status", "path", "detail"):
        table.add_column(col, overflow="fold")
    for rep in reports:
        for fr in rep.files:
            style = _STATUS_STYLE[fr.status]
            table.add_row(
                rep.artifact.name,
                fr.file.path,
                f"[{style}]{fr.status}[/{style}]",
                str(fr.path or "-"),
                fr.detail,
            )
    rich_console().print(table)


@command.command("verify")
@click.argument("names", nargs=-1)
@click.option(
    "--path", "path", default=None, type=click.Path(), help="Explicit location (one artifact only)."
)
@click.option("--no-hash", is_flag=True, help="Check presence and size only.")
@click.pass_context
def verify_cmd(ctx: click.Context, names: tuple[str, ...], path: str | None, no_hash: bool) -> None:
    """Check NAMES (default: all): present, missing, size or hash mismatch. Exit 1 if any is unusable."""
    if path and len(names) != 1:
        raise click.UsageError("--path needs exactly one artifact name")
    reports = [hub.verify(n, path=path, hash_files=not no_hash) for n in _names(names)]
    _print_reports(reports)
    bad = [r for r in reports if not r.usable]
    if bad:
        for r in bad:
            click.echo(
                f"error: {r.artifact.name} is {r.status}; get it with: pasd-bench weights fetch {r.artifact.name}",
                err=True,
            )
        ctx.exit(1)


@command.command("fetch")
@click.argument("names", nargs=-1, required=True)
@click.pass_context
def fetch_cmd(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Download NAMES with a progress bar and check their hashes. Exit 1 if any fails."""
    failed = 0
    reports = []
    for name in _names(names):
        try:
            reports.append(hub.fetch(name))
        except hub.MissingWeightsError as exc:
            click.echo(f"error: {exc}", err=True)
            failed += 1
    if reports:
        _print_reports(reports)
    if failed:
        ctx.exit(1)
