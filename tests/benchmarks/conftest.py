"""Shared by the drift and protocol tests: one synthesized `sample` dataset (and tiny PASD models) per session."""

from __future__ import annotations

import pytest

from tests.benchmarks.drift.sample_runs import run_sample


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory):
    """``$PASD_BENCH_HOME`` holding the synthesized `sample` dataset (made once per session)."""
    home = tmp_path_factory.mktemp("sample-home")
    run_sample(tmp_path_factory.mktemp("warmup"), home, methods=("bicubic",), metrics=("psnr",))
    return home


@pytest.fixture
def sample_results(sample_home, tmp_path):
    """A fresh results folder: bicubic + lanczos on `sample`, PSNR/SSIM, protocol `pasd`."""
    return run_sample(tmp_path / "a", sample_home)
