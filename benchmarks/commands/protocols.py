"""``pasd-bench protocols list | show | spread``: evaluation protocols as data, and how far they move scores."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.commands.options import results_option, run_option


@click.group("protocols")
def command() -> None:
    """The shipped protocol cards (pasd, basicsr, pyiqa-default, stablesr, osediff) and their spread."""


def _card(name: str):
    from benchmarks.protocols import get_card

    try:
        return get_card(name)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        raise click.BadParameter(str(msg), param_hint="protocol") from exc


@command.command("list")
def list_cmd() -> None:
    """One line per shipped card."""
    from benchmarks.protocols import list_cards

    for card in list_cards():
        click.echo(f"{card.name:<14} {card.title}: {card.summary}")


@command.command("show")
@click.argument("name")
def show_cmd(name: str) -> None:
    """Every setting of card NAME (or a card .toml) with the file it was read from."""
    card = _card(name)
    click.echo(f"{card.name}: {card.title}\n{card.summary}\nfile: {card.origin}")
    click.echo(f"packages whose versions are part of the protocol: {', '.join(card.packages)}")
    width = max(len(k) for k in card.settings)
    for key, value in card.settings.items():
        click.echo(f"  {key:<{width}} = {value!r:<12} # {card.sources[key]}")


@command.command("spread")
@results_option
@run_option
@click.option("--cards", default="pasd,basicsr,pyiqa-default,stablesr,osediff", show_default=True,
              help="Comma-separated card names or .toml files.")  # fmt: skip
@click.option(
    "--metrics", "metric_names", default=None, help="Comma-separated metrics [default: those in the results]."
)
@click.option("--device", default="cpu", show_default=True)
@click.option("--no-explain", is_flag=True, help="Skip the per-setting decomposition (fewer scoring passes).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the rows (.json or .csv).")  # fmt: skip
@click.option("--no-progress", is_flag=True)
def spread_cmd(
    results_dir: Path, run_id: int | None, cards: str, metric_names: str | None, device: str, no_explain: bool,
    out: Path | None, no_progress: bool,
) -> None:  # fmt: skip
    """Score the same outputs under every card: value per card, range, and the setting that made it."""
    from benchmarks.protocols.spread import protocol_spread
    from benchmarks.protocols.spread_table import format_spread, write_spread
    from pasd.utils.devices import check_device

    check_device(device)  # before any scoring pass
    if no_progress:
        from benchmarks.console import disable_progress_bars

        disable_progress_bars()

    chosen = [_card(c.strip()) for c in cards.split(",") if c.strip()]
    metrics = [m.strip().lower() for m in metric_names.split(",")] if metric_names else None
    # no results, unknown run or metric: exit 2 with one line (benchmarks.errors, applied by cli.py)
    rows = protocol_spread(results_dir, chosen, metrics, run_id, device, not no_explain, not no_progress)
    click.echo(format_spread(rows, [c.name for c in chosen]), nl=False)
    if out is not None:
        write_spread(rows, out)
        click.echo(f"rows -> {out}")
