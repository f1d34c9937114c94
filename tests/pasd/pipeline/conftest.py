"""Tiny SD + PASD folders shared by the pipeline tests (built once per session, no downloads)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.threads import one_thread_fixture


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory):
    """``(sd_dir, pasd_dir)`` of tiny random-weight models in the real on-disk layouts."""
    from pasd.pipeline.build import ensure_tiny_models

    return ensure_tiny_models(tmp_path_factory.mktemp("tiny") / "models")


_one_thread = one_thread_fixture()


@pytest.fixture
def pipe(tiny_dirs):
    from pasd.pipeline import PASDPipeline

    p = PASDPipeline.from_pretrained(*tiny_dirs)
    p.set_progress_bar_config(disable=True)
    return p


@pytest.fixture(scope="session")
def lq_image() -> np.ndarray:
    """A 24x32 crop of skimage's astronaut, the kind of LQ input PASD gets (uint8 RGB)."""
    from PIL import Image
    from skimage.data import astronaut

    return np.asarray(Image.fromarray(astronaut()).resize((32, 24), Image.BICUBIC))
