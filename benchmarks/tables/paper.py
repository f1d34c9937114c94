"""The paper's published Tables 1-3, read from ``reports/paper/table{1,2,3}.csv``.

The CSVs are long format, one printed number per row, transcribed exactly as printed (the
``value`` text keeps the paper's digits, e.g. ``25.871``); ``underlined`` is 1 where the paper
underlines the cell (its second-best mark). ``reports/paper/README.md`` documents the columns
and the paper's own inconsistencies.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

#: where the CSVs live in a source checkout; ``PASD_BENCH_PAPER_DIR`` overrides it
DEFAULT_PAPER_DIR = Path(__file__).resolve().parents[2] / "reports" / "paper"
TABLES: tuple[int, ...] = (1, 2, 3)
REQUIRED_COLUMNS = ("dataset", "metric", "method", "value", "underlined")


def paper_dir(path: str | Path | None = None) -> Path:
    """The folder holding the paper CSVs: ``path``, else ``$PASD_BENCH_PAPER_DIR``, else ``reports/paper``."""
    return Path(path or os.environ.get("PASD_BENCH_PAPER_DIR") or DEFAULT_PAPER_DIR)


def load_paper_table(table: int, path: str | Path | None = None) -> pd.DataFrame:
    """One published table in long format.

    Args:
        table: 1, 2 or 3.
        path: folder with ``table{N}.csv`` (default: :func:`paper_dir`).

    Returns:
        Columns of the CSV plus ``value`` as float and ``text`` (the printed digits).

    Raises:
        ValueError: unknown table, missing columns, duplicate cells or a value that is not a number.
        FileNotFoundError: the CSV is missing.

    Example:
        >>> df = load_paper_table(1)
        >>> df.query("dataset == 'realsr' and method == 'sd-upscaler' and metric == 'psnr'")["text"].item()
        '25.871'
    """
    if table not in TABLES:
        raise ValueError(f"table must be one of {TABLES}, got {table!r}")
    file = paper_dir(path) / f"table{table}.csv"
    if not file.is_file():
        raise FileNotFoundError(f"paper table {table} not found at {file} (set PASD_BENCH_PAPER_DIR)")
    df = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{file}: missing columns {missing}; has {list(df.columns)}")
    dup = df.duplicated(["dataset", "metric", "method"])
    if dup.any():
        raise ValueError(
            f"{file}: duplicate cells {df.loc[dup, ['dataset', 'metric', 'method']].values.tolist()}"
        )
    df["text"] = df["value"]
    try:
        df["value"] = df["value"].astype(float)
    except ValueError as exc:
        raise ValueError(f"{file}: a value is not a number ({exc})") from exc
    df["underlined"] = df["underlined"].map({"0": False, "1": True})
    if df["underlined"].isna().any():
        raise ValueError(f"{file}: 'underlined' must be 0 or 1")
    for col in ("degradation_removal", "high_level_info", "negative_prompt"):
        if col in df.columns:
            df[col] = df[col].map({"0": False, "1": True})
    return df
