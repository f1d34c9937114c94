"""Calibration: our metric numbers against the numbers IQA-PyTorch publishes for its own test images.

The reference table (``data/pyiqa_calibration.csv``) is pyiqa's ``ResultsCalibra/
calibration_summary.csv``: for five distorted/reference pairs, the original authors' numbers and
pyiqa's. The images are not shipped with any wheel; point ``PASD_BENCH_PYIQA_CALIBRA`` at a folder
holding pyiqa's ``ResultsCalibra`` (``ref_dir/`` and ``dist_dir/``), e.g. a clone of
https://github.com/chaofengc/IQA-PyTorch. PSNR/SSIM need no weights (scored under the
``pyiqa-default`` card, which is what these numbers were made with); LPIPS, DISTS, MUSIQ and NIQE
need their real weights (``pasd-bench weights fetch ...``). Each test skips, saying why, when
its images or weights are absent. Tolerances: the table prints 4 decimals, so 1.5e-4 against
pyiqa's own numbers where we run the same code; pyiqa's ``TOL_DICT`` (tests/test_metric_general.py)
against the original authors' numbers.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parent / "data" / "pyiqa_calibration.csv"
IMAGES = ("I03", "I04", "I06", "I08", "I19")
#: metric -> (abs tolerance vs pyiqa's numbers, rel tolerance vs the official numbers)
TOL = {
    "psnr": (1.5e-4, 1e-2), "ssim": (1.5e-4, 1e-2), "lpips": (2e-4, 1e-2), "dists": (2e-4, 1e-2),
    "musiq": (1e-3, 3e-2), "niqe": (1e-3, 6e-2),
}  # fmt: skip


def _table() -> dict[tuple[str, str], np.ndarray]:
    rows = [r for r in DATA.read_text().splitlines() if r and not r.startswith("#")]
    out = {}
    for r in list(csv.DictReader(rows)):
        out[(r["metric"], r["source"])] = np.array([float(r[i]) for i in IMAGES])
    return out


@pytest.fixture(scope="module")
def calibra() -> Path:
    root = os.environ.get("PASD_BENCH_PYIQA_CALIBRA")
    if not root:
        pytest.skip("set PASD_BENCH_PYIQA_CALIBRA to a folder with pyiqa's ResultsCalibra/ref_dir and dist_dir "
                    "(from https://github.com/chaofengc/IQA-PyTorch); no wheel ships these images")  # fmt: skip
    root = Path(root)
    missing = [
        f"{d}/{i}.bmp"
        for d in ("ref_dir", "dist_dir")
        for i in IMAGES
        if not (root / d / f"{i}.bmp").is_file()
    ]
    if missing:
        pytest.skip(f"PASD_BENCH_PYIQA_CALIBRA={root}: missing {missing}")
    return root


def _scores(calibra: Path, metric: str, card: str | None) -> np.ndarray:
    from benchmarks.metrics import EngineOptions, evaluate, get_spec
    from benchmarks.protocols import get_card
    from pasd import hub

    missing = hub.missing(get_spec(metric).weights)
    if missing:
        pytest.skip(
            f"{metric}: weights not on disk: {missing} (`pasd-bench weights fetch {' '.join(missing)}`)"
        )
    fields = get_card(card).engine_fields() if card else {}
    gt = None if get_spec(metric).mode == "NR" else calibra / "ref_dir"
    result = evaluate(calibra / "dist_dir", gt, [metric], EngineOptions(n_resamples=10, **fields))
    return result.per_image.set_index("image").loc[list(IMAGES), metric].to_numpy(float)


@pytest.mark.calibration
@pytest.mark.parametrize("metric", ["psnr", "ssim", "lpips", "dists", "musiq", "niqe"])
def test_matches_pyiqa_published_numbers(calibra, metric):
    ours = _scores(calibra, metric, "pyiqa-default" if metric in ("psnr", "ssim") else None)
    table = _table()
    abs_tol, rel_tol = TOL[metric]
    np.testing.assert_allclose(ours, table[(metric, "pyiqa")], rtol=0, atol=abs_tol)
    np.testing.assert_allclose(ours, table[(metric, "official")], rtol=rel_tol, atol=1e-2)


@pytest.mark.calibration
def test_reference_table_is_the_published_one():
    table = _table()
    # pyiqa's PSNR of I06 and its SSIM of I03, as printed in calibration_summary.csv
    assert table[("psnr", "pyiqa")][2] == 27.0139 and table[("ssim", "pyiqa")][0] == 0.6997
    assert len(table) == 12
