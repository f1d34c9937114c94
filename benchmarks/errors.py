"""The exit codes of every ``pasd-bench`` command, and which error means which.

One convention for every command (documented in the README):

=====  ==========================================================================================
code   meaning
=====  ==========================================================================================
0      all good: everything asked for was done
1      some items failed (unreadable images, a method crash on one image, synthesis skips,
       unusable weights found by ``verify``), or an unexpected error; what succeeded is kept
2      unusable input: nothing could be done as asked (bad option, missing or partial dataset,
       missing weights, unknown name, impossible device, image too large for memory)
130    interrupted (Ctrl-C / SIGTERM); what was finished is kept and the run is marked
=====  ==========================================================================================

Library code raises ordinary exceptions (``ValueError``, ``FileNotFoundError``,
:class:`pasd.hub.MissingWeightsError`, ...); :func:`classify` maps them onto the table above, so
commands do not translate errors themselves. The CLI (:mod:`benchmarks.cli`) prints one line per
error, never a traceback (``-vv`` adds it, for bug reports).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_ITEMS_FAILED = 1
EXIT_UNUSABLE_INPUT = 2
EXIT_INTERRUPTED = 130


class PasdBenchError(Exception):
    """Base of the errors that carry their own exit code."""

    exit_code: int = EXIT_UNUSABLE_INPUT


class UnusableInputError(PasdBenchError, ValueError):
    """The input cannot be used at all (exit 2); the message says what to change."""

    exit_code = EXIT_UNUSABLE_INPUT


class ItemsFailedError(PasdBenchError):
    """The command finished, but some items failed (exit 1); the message summarises them."""

    exit_code = EXIT_ITEMS_FAILED


@dataclass(frozen=True)
class Outcome:
    """How the CLI reports an exception: exit code, one message, and whether it is a bug."""

    code: int
    message: str
    internal: bool = False


def _text(exc: BaseException) -> str:
    # KeyError repr()s its argument; the registries' UnknownNameError already fixes __str__
    if isinstance(exc, KeyError) and exc.args and type(exc).__str__ is KeyError.__str__:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


def is_out_of_memory(exc: BaseException) -> bool:
    """torch's CUDA OOM, its CPU allocator failure, or Python's ``MemoryError``."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text
    )


OOM_REMEDY = (
    "process the image in tiles (smaller pieces), lower the upscale/process size, "
    "or use a device with more memory"
)


def classify(exc: BaseException) -> Outcome:
    """Map an exception that reached the command level onto the exit-code convention."""
    from pasd.hub.errors import MissingWeightsError
    from pasd.utils.optional import MissingDependencyError

    if isinstance(exc, KeyboardInterrupt):
        return Outcome(EXIT_INTERRUPTED, "interrupted")
    if isinstance(exc, PasdBenchError):
        return Outcome(exc.exit_code, _text(exc))
    if is_out_of_memory(exc):
        return Outcome(EXIT_ITEMS_FAILED, f"out of memory: {_text(exc)}\n{OOM_REMEDY}")
    if isinstance(exc, (MissingWeightsError, MissingDependencyError)):
        return Outcome(EXIT_UNUSABLE_INPUT, _text(exc))
    try:
        from baselines.base import MethodNotAvailableError
    except ImportError:  # pragma: no cover - baselines is part of the same distribution
        MethodNotAvailableError = ()  # type: ignore[assignment]  # noqa: N806
    if isinstance(exc, MethodNotAvailableError):
        return Outcome(EXIT_UNUSABLE_INPUT, _text(exc))
    # what validation at the boundary raises: bad values, unknown names, wrong paths
    if isinstance(exc, (ValueError, KeyError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
                        FileExistsError, PermissionError)):  # fmt: skip
        return Outcome(EXIT_UNUSABLE_INPUT, _text(exc))
    return Outcome(EXIT_ITEMS_FAILED, f"internal error: {type(exc).__name__}: {_text(exc)}", internal=True)


def items_exit_code(n_failed: int) -> int:
    """0 when nothing failed, else 1: what a command that processes many items returns."""
    return EXIT_ITEMS_FAILED if n_failed else EXIT_OK
