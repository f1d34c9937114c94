"""``pasd-bench env``."""

from __future__ import annotations

import json

import click

from benchmarks.env import collect_env


@click.command("env")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def command(as_json: bool) -> None:
    """Print versions of Python and the scoring libraries, devices and dtype support."""
    env = collect_env()
    if as_json:
        click.echo(json.dumps(env, indent=2, sort_keys=True))
        return
    from rich.table import Table

    from benchmarks.console import rich_console

    table = Table(title="pasd-bench env", show_header=False)
    table.add_row("python", env["python"])
    table.add_row("platform", env["platform"])
    table.add_row("git revision", env["git_revision"] or "-")
    for name, ver in env["packages"].items():
        table.add_row(name, ver or "[red]not installed[/red]")
    codecs = env["pillow_codecs"]
    table.add_row(
        "Pillow codecs",
        f"libjpeg {codecs['libjpeg']}{' (turbo)' if codecs['libjpeg_turbo'] else ''}, zlib {codecs['zlib']}",
    )
    t = env["torch"]
    table.add_row("CUDA", f"{t['cuda_version'] or '-'} (available: {t['cuda_available']})")
    for dev in t["devices"]:
        dtypes = ", ".join(k for k, v in dev["dtypes"].items() if v) or "none"
        extra = f", {dev['memory_gib']} GiB" if "memory_gib" in dev else ""
        table.add_row(dev["device"], f"{dev['name']}{extra}; dtypes: {dtypes}")
    rich_console().print(table)
