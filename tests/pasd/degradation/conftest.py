"""Small real photos (scikit-image) for degradation tests; sizes are tiny to keep CPU runs fast."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data
import torch

from pasd.degradation import load_config


@pytest.fixture(scope="session")
def config():
    return load_config("pasd_x4")


def photo(name: str, size: int = 96, top: int = 100, left: int = 150) -> np.ndarray:
    """An RGB uint8 crop of a scikit-image photo."""
    img = getattr(skimage.data, name)()
    return np.ascontiguousarray(img[top : top + size, left : left + size, :3])


@pytest.fixture(scope="session")
def hq_batch() -> torch.Tensor:
    """Four 96x96 photo crops, (4, 3, 96, 96) in [0, 1]."""
    crops = [photo("astronaut"), photo("coffee"), photo("chelsea"), photo("rocket", top=200)]
    return torch.stack([torch.from_numpy(c).permute(2, 0, 1).float() / 255 for c in crops])
