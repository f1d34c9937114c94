"""One torch thread for tests of tiny networks.

The tiny random-weight nets are far too small to gain from threads; on a shared 2-core runner
extra OpenMP threads spin-wait and make each call 5-20x slower.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import torch


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(1)``, restoring the previous count after it."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def one_thread_fixture(scope: str = "module"):
    """An autouse fixture named ``_one_thread`` that keeps torch on one thread for ``scope``.

    Assign it in a test module or conftest: ``_one_thread = one_thread_fixture()``.
    """

    @pytest.fixture(autouse=True, scope=scope, name="_one_thread")
    def _one_thread() -> Iterator[None]:
        with one_thread():
            yield

    return _one_thread
