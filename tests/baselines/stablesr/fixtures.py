"""Session fixtures for a tiny StableSR release (import them where needed: ``tests/baselines`` has
its own conftest, owned by the feed-forward baselines)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory):
    """``(stablesr ckpt, cfw ckpt)`` of a tiny StableSR release in the official layout."""
    from tests.baselines.stablesr import tiny

    return tiny.write_release(tmp_path_factory.mktemp("stablesr-release"))


@pytest.fixture(scope="session")
def tiny_models(tiny_release):
    """The tiny StableSR release loaded by our strict loader."""
    from baselines.stablesr.configs import load_config
    from baselines.stablesr.loading import load_stablesr
    from tests.baselines.stablesr import tiny

    return load_stablesr(*tiny_release, load_config(tiny.CONFIG_FILE))
