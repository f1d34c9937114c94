"""Fixtures for the feed-forward baseline tests: random releases in ``$PASD_BENCH_HOME`` and LQ photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.baselines.helpers import photo


@pytest.fixture(autouse=True, scope="package")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: extra OpenMP threads only spin on a shared runner
    yield
    torch.set_num_threads(n)


@pytest.fixture
def release(isolated_caches):
    """``release(method, size="tiny", seed=0)`` writes that method's random release where ``pasd.hub`` looks."""
    from baselines.random_weights import write_release

    home = isolated_caches / "pasd-home"
    return lambda method, size="tiny", seed=0: write_release(method, home, size, seed)


@pytest.fixture
def lq() -> np.ndarray:
    """37 x 53 px: neither side a multiple of 2, 8 or 16, so every pad rule is exercised."""
    return photo(37, 53)
