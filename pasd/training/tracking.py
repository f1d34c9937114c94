"""Training logs: a CSV file per stream (always) and TensorBoard (when installed), main process only.

On resume the CSV rows past the resumed step (written by the interrupted run after its last
checkpoint) are dropped, so the log reads as one uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pasd.utils.io import atomic_write_text

logger = logging.getLogger(__name__)


def tensorboard_available() -> bool:
    """Whether accelerate's TensorBoard tracker can run (``tensorboard`` or ``tensorboardX`` importable)."""
    from accelerate.utils import is_tensorboard_available

    return bool(is_tensorboard_available())


class CSVLog:
    """Append-only CSV of dict rows keyed by ``step``; the header grows when a new key appears.

    Args:
        path: The CSV file.
        resume_step: Drop existing rows with ``step > resume_step`` (None: start a new file).
    """

    def __init__(self, path: str | Path, resume_step: int | None = None) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []
        if resume_step is not None and self.path.is_file():
            with self.path.open(newline="", encoding="utf-8") as fh:
                self.rows = [r for r in csv.DictReader(fh) if int(float(r["step"])) <= resume_step]
        self.fields: list[str] = list(self.rows[0].keys()) if self.rows else []
        self._rewrite()

    def _rewrite(self) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.fields, extrasaction="ignore")
        if self.fields:
            writer.writeheader()
            writer.writerows(self.rows)
        atomic_write_text(self.path, buf.getvalue())

    def log(self, row: Mapping[str, Any]) -> None:
        """Append one row (must contain ``step``)."""
        row = {k: _plain(v) for k, v in row.items()}
        self.rows.append(row)
        new = [k for k in row if k not in self.fields]
        if new:
            self.fields += new
            self._rewrite()
            return
        with self.path.open("a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, fieldnames=self.fields, extrasaction="ignore").writerow(row)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value


def tracker_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """TensorBoard hparams accept only scalars and strings: lists and None become strings."""
    out = {}
    for k, v in config.items():
        out[k] = v if isinstance(v, (int, float, str, bool)) else str(v)
    return out
