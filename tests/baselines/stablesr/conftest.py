"""The tiny StableSR release (one torch thread comes from ``tests/baselines/conftest.py``)."""

from __future__ import annotations

from tests.baselines.stablesr.fixtures import tiny_models, tiny_release  # noqa: F401
