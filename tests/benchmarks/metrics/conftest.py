"""Fixtures for the metric engine: random-weight artifacts in a private table, and photo folders."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks.metrics import fakes


@pytest.fixture(scope="session")
def weights_home(tmp_path_factory) -> Path:
    """``$PASD_BENCH_HOME`` holding random weights for every metric artifact (built once per session)."""
    return fakes.build_weights(tmp_path_factory.mktemp("metric-weights"))


@pytest.fixture
def metric_weights(isolated_caches, weights_home, monkeypatch) -> Path:
    """Point ``pasd.hub`` at a table of the metric artifacts and at ``weights_home``; torch hub stays empty."""
    table = fakes.write_table(isolated_caches / "metric-artifacts.toml")
    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(table))
    monkeypatch.setenv("PASD_BENCH_HOME", str(weights_home))
    return weights_home


def photo(name: str = "astronaut", size: tuple[int, int] = (64, 80)) -> np.ndarray:
    """A crop of a photo shipped with scikit-image, downscaled, uint8 RGB ``H x W x 3``."""
    from PIL import Image
    from skimage import data

    img = getattr(data, name)()
    h, w = size
    return np.array(Image.fromarray(img).resize((w, h), Image.BICUBIC))


def distort(img: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    """Blur, Gaussian noise or JPEG (quality 30): the degradations the agreement tests use."""
    import cv2
    from PIL import Image

    if kind == "blur":
        return cv2.GaussianBlur(img, (5, 5), 1.2)
    if kind == "noise":
        rng = np.random.default_rng(seed)
        return np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    if kind == "jpeg":
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=30)
        return np.array(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    raise ValueError(kind)


def save(folder: Path, name: str, img: np.ndarray) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.fromarray(img).save(path)
    return path


@pytest.fixture
def photo_pairs(tmp_path) -> tuple[Path, Path]:
    """pred/ and gt/ folders with 3 pairs: three photos, each blurred, noised or JPEG-compressed."""
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    for i, (name, kind) in enumerate([("astronaut", "blur"), ("chelsea", "noise"), ("coffee", "jpeg")]):
        g = photo(name)
        save(gt, f"img{i}.png", g)
        save(pred, f"img{i}.png", distort(g, kind, seed=i))
    return pred, gt
