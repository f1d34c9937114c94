"""Tiny nets: one thread (extra OpenMP threads only spin on a shared runner); the tiny release."""

from __future__ import annotations

import pytest
import torch

from tests.baselines.stablesr.fixtures import tiny_models, tiny_release  # noqa: F401


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
