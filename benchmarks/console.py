"""What the CLI prints besides results: log levels, third-party noise, progress bars, table width.

One place decides it, so every command is equally quiet: one log line per problem, no
import-time chatter from optional libraries, and no progress bars after ``--no-progress``
(including the model-loading bars of diffusers, transformers and huggingface_hub).
"""

from __future__ import annotations

import logging
import os
import sys

#: loggers of optional libraries that warn at import time about things the suite never uses
#: (bitsandbytes: "pip install kernels" for 4-bit CPU kernels, imported by diffusers' quantizers)
NOISY_LOGGERS: tuple[str, ...] = ("bitsandbytes",)


class _Once(logging.Filter):
    """Drop a record whose (logger, level, message) was already emitted: one warning per problem."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[tuple[str, int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, record.getMessage())
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def configure_logging(verbose: int = 0) -> None:
    """``-v`` info, ``-vv`` debug; import-time warnings of :data:`NOISY_LOGGERS` only at ``-vv``."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, _Once) for f in handler.filters):
            handler.addFilter(_Once())
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose >= 2 else logging.ERROR)


def disable_progress_bars() -> None:
    """No progress bar from anything in this process: ours (tqdm) and the model libraries'.

    ``TQDM_DISABLE`` is read by every ``tqdm`` created afterwards (tqdm >= 4.66), which covers the
    bars of transformers' weight loading; diffusers and huggingface_hub have their own switches.
    """
    os.environ["TQDM_DISABLE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    for module, fn in (
        ("huggingface_hub.utils", "disable_progress_bars"),
        ("diffusers.utils.logging", "disable_progress_bar"),
        ("transformers.utils.logging", "disable_progress_bar"),
    ):
        if module.split(".")[0] in sys.modules:  # not yet imported: the variables above cover it
            try:
                mod = __import__(module, fromlist=[fn])
                getattr(mod, fn)()
            except (ImportError, AttributeError):  # an older/newer library without the switch
                continue


def rich_console(**kwargs):  # noqa: ANN201 - rich is imported lazily
    """A rich Console that does not wrap or fold when stdout is not a terminal (pipes, files).

    rich assumes 80 columns when it cannot ask a terminal, and folds long cells (artifact names,
    paths) over several lines, which breaks ``grep`` and ``cut``; off a terminal we give it room.
    """
    from rich.console import Console

    if not sys.stdout.isatty() and "width" not in kwargs:
        kwargs["width"] = 10_000
    return Console(**kwargs)
