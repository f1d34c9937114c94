"""Fixtures for the feed-forward baseline tests: random releases in ``$PASD_BENCH_HOME`` and LQ photos."""

from __future__ import annotations

import numpy as np
import pytest

from tests.baselines.helpers import photo
from tests.threads import one_thread_fixture

_one_thread = one_thread_fixture(scope="package")


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
