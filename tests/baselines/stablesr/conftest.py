"""A tiny release in the official layout, written and loaded once per session (tiny nets: one thread)."""

from __future__ import annotations

import pytest
import torch

from tests.baselines.stablesr import tiny


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: extra OpenMP threads only spin on a shared runner
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory):
    """``(stablesr ckpt, cfw ckpt)`` paths of the tiny release."""
    return tiny.write_release(tmp_path_factory.mktemp("stablesr-release"))


@pytest.fixture(scope="session")
def tiny_models(tiny_release):
    from baselines.stablesr.configs import load_config
    from baselines.stablesr.loading import load_stablesr

    return load_stablesr(*tiny_release, load_config(tiny.CONFIG_FILE))
