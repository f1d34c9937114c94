"""The single console script, ``pasd-bench``.

Each command lives next to the code it drives (``benchmarks/commands/*.py``) and is imported
only when invoked, so ``pasd-bench --help`` does not pay for importing torch.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from pasd.hub.errors import MissingWeightsError
from pasd.utils.optional import MissingDependencyError
from pasd.utils.registry import UnknownNameError

#: command name -> "module:attribute" of its click command; adding a command is one line here
COMMANDS: dict[str, tuple[str, str]] = {
    "env": ("benchmarks.commands.env", "Versions, devices and dtype support (stored next to results)."),
    "weights": ("benchmarks.commands.weights", "List, verify and fetch pretrained artifacts."),
    "data": (
        "benchmarks.commands.data",
        "Synthesize degraded test sets (Real-ESRGAN pipeline), verify datasets.",
    ),
    "metrics": (
        "benchmarks.commands.metrics",
        "PSNR/SSIM (Y), LPIPS, DISTS, MUSIQ, FID, CLIP-FID for a folder pair.",
    ),
    "study": ("benchmarks.commands.study", "Blind user study: create, serve, analyze (Figs 4/6)."),
    "run": (
        "benchmarks.commands.run",
        "Run a preset (smoke, table1-3): methods x datasets -> cached outputs -> metrics.",
    ),
    "tiny": ("benchmarks.commands.tiny", "Build tiny random-weight PASD/SD folders for plumbing tests."),
    "infer": ("benchmarks.commands.infer", "Run PASD on images (Real-ISR, stylization, colorization)."),
    "results": ("benchmarks.commands.results", "List runs; show a run's config and metrics."),
    "tables": ("benchmarks.commands.tables", "Tables 1-3 in the paper's layout; CIs; vs paper."),
    "report": ("benchmarks.commands.report", "Static HTML report: tables, charts, grids."),
    "apply": ("benchmarks.commands.apply", "Run any registered method on images/folders (cached)."),
    "style-exemplars": (
        "benchmarks.commands.exemplars",
        "Seeded, hashed exemplar set from a personalized model (Table 2 FID reference).",
    ),
    "drift": (
        "benchmarks.commands.drift",
        "Golden numbers for CI: record, then check runs (exit 1 on drift).",
    ),
    "protocols": (
        "benchmarks.commands.protocols",
        "Evaluation protocol cards: list, show, spread of scores.",
    ),
    "train": ("benchmarks.commands.train", "Train PASD / Table 3 variants with accelerate (resumable)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # short help from the table, so listing commands imports nothing
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pasd-bench")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """pasd-bench: regenerate the PASD paper's tables, catch metric drift, run user studies."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    """Entry point: known user errors print one clear message and exit 1, no traceback."""
    try:
        # with standalone_mode=False click returns ctx.exit(code) as the code
        rv = cli.main(args=argv, prog_name="pasd-bench", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except (MissingWeightsError, MissingDependencyError, UnknownNameError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
