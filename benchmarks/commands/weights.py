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


def _names(names: tuple[str, ...], preset: str | None = None) -> list[str]:
    """NAMES, or the artifacts ``preset`` uses (methods and metrics), or every artifact."""
    if names and preset:
        raise click.UsageError("give artifact NAMES or --preset, not both")
    if preset:
        return preset_artifacts(preset)
    if names:
        for n in names:
            hub.get_artifact(n)  # KeyError with suggestions before any work
        return list(names)
    return [a.name for a in hub.list_artifacts()]


def preset_artifacts(preset: str) -> list[str]:
    """Every artifact a preset (shipped name or TOML file) needs: what its plan's methods and metrics load."""
    import tempfile

    from benchmarks.runner.plan import build_plan
    from benchmarks.runner.preset import load_preset

    with tempfile.TemporaryDirectory() as tmp:  # build_plan writes nothing; the folder only names the cache
        return build_plan(load_preset(preset), tmp).artifacts()


_PRESET = click.option(
    "--preset",
    default=None,
    help="Only the artifacts this preset (name or TOML file) needs: its methods' and metrics'.",
)


@click.group("weights")
def command() -> None:
    """List, verify and fetch the pretrained artifacts the suite uses.

    Search order: explicit path > $PASD_BENCH_HOME/weights/NAME > the owning library's cache.
    """


@command.command("list")
@click.option("--kind", default=None, help="Only this kind (e.g. checkpoint, metric-weights).")
@click.option("--status/--no-status", "with_status", default=True, help="Look on disk (no hashing).")
@click.option("--long", "long_", is_flag=True, help="Also show the download source and what uses it.")
@_PRESET
def list_cmd(kind: str | None, with_status: bool, long_: bool, preset: str | None) -> None:
    """One line per artifact: name, kind, size, licence, presence (--long: source, users).

    Piped or redirected, lines are not wrapped (one artifact per line, for grep/cut).
    """
    from rich.table import Table

    table = Table(title=f"pretrained artifacts (home: {hub.bench_home()})")
    cols = ["name", "kind", "size", "licence"] + (["source", "used by"] if long_ else [])
    for col in cols + (["on disk"] if with_status else []):
        table.add_column(col, overflow="fold")
    wanted = set(_names((), preset)) if preset else None
    for art in hub.list_artifacts():
        if (kind and art.kind != kind) or (wanted is not None and art.name not in wanted):
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
@_PRESET
@click.pass_context
def verify_cmd(
    ctx: click.Context, names: tuple[str, ...], path: str | None, no_hash: bool, preset: str | None
) -> None:
    """Check NAMES (default: all): present, missing, size or hash mismatch. Exit 1 if any is unusable."""
    if path and len(names) != 1:
        raise click.UsageError("--path needs exactly one artifact name")
    reports = [hub.verify(n, path=path, hash_files=not no_hash) for n in _names(names, preset)]
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
@click.argument("names", nargs=-1)
@_PRESET
@click.pass_context
def fetch_cmd(ctx: click.Context, names: tuple[str, ...], preset: str | None) -> None:
    """Download NAMES (or every artifact of --preset) with a progress bar and check their hashes.

    Artifacts already on disk are not downloaded again. Manual ones (e.g. the LDL checkpoint, the
    ToonYou model) cannot be fetched: the error says where to put them. Exit 1 if any fails.
    """
    if not names and not preset:
        raise click.UsageError("give artifact NAMES or --preset NAME")
    failed = 0
    reports = []
    for name in _names(names, preset):
        try:
            reports.append(hub.fetch(name))
        except hub.MissingWeightsError as exc:
            click.echo(f"error: {exc}", err=True)
            failed += 1
    if reports:
        _print_reports(reports)
    if failed:
        ctx.exit(1)
