"""Tiny SD + PASD folders shared by the pipeline tests (built once per session, no downloads)."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory):
    """``(sd_dir, pasd_dir)`` of tiny random-weight models in the real on-disk layouts."""
    from pasd.pipeline.build import ensure_tiny_models

    return ensure_tiny_models(tmp_path_factory.mktemp("tiny") / "models")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # the tiny nets are far too small to gain from threads; on a shared 2-core runner extra
    # OpenMP threads spin-wait and make each call 5-20x slower
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


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
