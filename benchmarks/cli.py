"""The single console script, ``pasd-bench``.

Each command lives next to the code it drives (``benchmarks/commands/*.py``) and is imported
only when invoked, so ``pasd-bench --help`` does not pay for importing torch.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from benchmarks.console import configure_logging
from benchmarks.errors import EXIT_INTERRUPTED, classify

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


class CommandError(click.ClickException):
    """A library error translated for the terminal: one message and the convention's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def format_message(self) -> str:
        return self.message


#: set by ``-v``; ``-vv`` also prints the traceback of an error
_VERBOSITY = {"level": 0}


def report_error(exc: BaseException) -> CommandError | click.exceptions.Exit:
    """The click exception that reports ``exc`` by the convention of :mod:`benchmarks.errors`."""
    outcome = classify(exc)
    if outcome.code == EXIT_INTERRUPTED:
        click.echo("interrupted; finished work is kept (a rerun resumes it)", err=True)
        return click.exceptions.Exit(EXIT_INTERRUPTED)
    if _VERBOSITY["level"] >= 2 or outcome.internal:
        logging.getLogger("benchmarks.cli").debug("traceback", exc_info=exc)
    message = outcome.message
    if outcome.internal and _VERBOSITY["level"] < 2:
        message += "\n(this is a bug in pasd-bench or a library; rerun with -vv for the traceback)"
    return CommandError(message, outcome.code)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use, and whose errors follow one convention.

    Every exception a command lets through is mapped by :func:`benchmarks.errors.classify`:
    one message on stderr, exit 1 or 2, never a traceback (``-vv`` shows it).
    """

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the one place errors become exit codes
            raise report_error(exc) from exc

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


EPILOG = (
    "Exit codes: 0 all good; 1 some items failed (the rest is kept); 2 unusable input "
    "(nothing was done); 130 interrupted."
)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(package_name="pasd-bench")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug and tracebacks).")
def cli(verbose: int) -> None:
    """pasd-bench: regenerate the PASD paper's tables, catch metric drift, run user studies."""
    _VERBOSITY["level"] = verbose
    configure_logging(verbose)


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the exit code (0 all good, 1 some items failed, 2 unusable input)."""
    try:
        # with standalone_mode=False click returns ctx.exit(code) as the code
        rv = cli.main(args=argv, prog_name="pasd-bench", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - before a command ran (e.g. an import)
        err = report_error(exc)
        if isinstance(err, click.exceptions.Exit):
            return err.exit_code
        err.show()
        return err.exit_code
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
