"""Small real results folders for the drift and protocol tests: the runner on the `sample` dataset.

bicubic / lanczos (and pasd-tiny for the suite's own golden) on the six scikit-image photos with
their synthesized LQ, scored with PSNR/SSIM: seconds on CPU, no downloads. The dataset (and the
tiny PASD models) live in one shared ``$PASD_BENCH_HOME`` per test session.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from benchmarks.results import resolve_db_path


@contextmanager
def bench_home(home: Path):
    """Run with ``$PASD_BENCH_HOME`` = ``home`` (restored afterwards)."""
    old = os.environ.get("PASD_BENCH_HOME")
    os.environ["PASD_BENCH_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("PASD_BENCH_HOME", None)
        else:
            os.environ["PASD_BENCH_HOME"] = old


def write_preset(
    path: Path, home: Path, methods=("bicubic", "lanczos"), metrics=("psnr", "ssim"), protocol: str = "pasd",
    protocol_options: dict | None = None,
) -> Path:  # fmt: skip
    """A preset TOML over the `sample` dataset in ``home``."""
    lines = [
        'name = "drift-test"', f'protocol = "{protocol}"', "seeds = [0]",
        "metrics = [" + ", ".join(f'"{m}"' for m in metrics) + "]",
        "[[datasets]]", 'name = "sample"', f'root = "{home / "datasets" / "sample"}"', "params = { seed = 0 }",
    ]  # fmt: skip
    for m in methods:
        lines += ["[[methods]]", f'name = "{m}"'] + (["params = { steps = 2 }"] if m == "pasd-tiny" else [])
    if protocol_options:
        lines.append("[protocol_options]")
        lines += [f'"{k}" = {json.dumps(v)}' for k, v in protocol_options.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_sample(out: Path, home: Path, **preset_kwargs) -> Path:
    """Run a sample preset into ``out`` (resumable: a second call reuses the outputs and rescores)."""
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.preset import load_preset

    out.mkdir(parents=True, exist_ok=True)
    with bench_home(home):
        preset = load_preset(write_preset(out / "preset.toml", home, **preset_kwargs))
        summary = run_preset(preset, out / "results", progress=False)
    assert not summary.failures, summary.failures
    return out / "results"


def edit_env(results: Path, edit, column: str = "env") -> None:
    """Apply ``edit(record)`` to the newest run's stored ``env`` (or ``weights``) record, to fake a change."""
    if column not in ("env", "weights"):
        raise ValueError(column)
    con = sqlite3.connect(resolve_db_path(results))
    try:
        rid, rec = con.execute(f"SELECT run_id, {column} FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        rec = json.loads(rec)
        edit(rec)
        con.execute(f"UPDATE runs SET {column} = ? WHERE run_id = ?", (json.dumps(rec), rid))
        con.commit()
    finally:
        con.close()
