"""What every CUDA test module shares: its marks and GPU memory cleanup around each test.

Use in a module: ``pytestmark = REQUIRES_CUDA`` and ``from tests.gpu import _free_gpu  # noqa: F401``
(importing the autouse fixture applies it to that module only).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
import torch

#: selected by `nox -s tests_gpu`; skipped, with the reason, where no CUDA device is visible
REQUIRES_CUDA = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="test requires cuda"),
]


@pytest.fixture(autouse=True)
def _free_gpu() -> Iterator[None]:
    """Free cached GPU memory before and after each test (as diffusers' ``PipelineTesterMixin``)."""
    gc.collect()
    torch.cuda.empty_cache()
    yield
    gc.collect()
    torch.cuda.empty_cache()
