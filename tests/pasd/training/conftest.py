"""Shared fixtures for the training tests: tiny SD folders, two HQ photos, one reference run.

The reference run (the ``tiny`` config, 40 steps, checkpoints every 10) is trained once per
session; the resume, kill and multi-process tests compare their losses and weights with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.pasd.training.helpers import tiny_config
from tests.threads import one_thread, one_thread_fixture

_one_thread = one_thread_fixture()


@pytest.fixture(scope="session")
def tiny_home(tmp_path_factory) -> Path:
    """A ``PASD_BENCH_HOME`` whose ``tiny/`` holds the tiny SD + PASD folders (what base "tiny" uses)."""
    from pasd.pipeline.build import ensure_tiny_models

    home = tmp_path_factory.mktemp("pasd-home")
    ensure_tiny_models(home / "tiny" / "pasd-seed0")
    return home


@pytest.fixture(scope="session")
def tiny_sd(tiny_home) -> Path:
    return tiny_home / "tiny" / "pasd-seed0" / "sd15"


@pytest.fixture(scope="session")
def hq_dir(tmp_path_factory) -> Path:
    """Two HQ photos that scikit-image ships (astronaut with a caption, coffee without)."""
    from skimage.data import astronaut, coffee

    # a fixed folder name: it is part of every image id, hence of every sample's random draws
    folder = tmp_path_factory.mktemp("data") / "hq"
    folder.mkdir()
    Image.fromarray(astronaut()).resize((192, 192)).save(folder / "astronaut.png")
    Image.fromarray(coffee()).resize((240, 160)).save(folder / "coffee.png")
    (folder / "astronaut.txt").write_text("an astronaut in a white space suit\n")
    return folder


@pytest.fixture(scope="session")
def reference_run(tiny_sd, hq_dir, tmp_path_factory):
    """``(run folder, TrainResult)`` of one uninterrupted 40-step tiny run."""
    from pasd.training.trainer import train

    out = tmp_path_factory.mktemp("reference") / "run"
    with one_thread():  # session-scoped: set up before the module's _one_thread
        result = train(tiny_config(tiny_sd, hq_dir), out, cpu=True, progress=False)
    return out, result
