"""Best-of-N wall time and peak memory of one call, as the perf scripts' child processes measure it."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_time_and_peak(call: Callable[[], T], rounds: int, device: str) -> tuple[float, float, T]:
    """Time ``rounds`` calls of ``call`` (the caller has warmed it up) and read the peak memory.

    On CUDA each call is synchronized before its clock stops, and the peak counter is reset
    first, so the peak is this loop's ``max_memory_allocated``. On the CPU the peak is the
    process's peak RSS (``ru_maxrss``, KiB on Linux), which is why each case runs in its own process.

    Args:
        call: the work to time, with no arguments.
        rounds: how many times to run it (at least 1).
        device: ``"cpu"`` or a ``"cuda..."`` device string.

    Returns:
        ``(best seconds, peak bytes, the last call's result)``.

    Raises:
        ValueError: ``rounds`` below 1.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    import torch

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = call()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    peak = (
        torch.cuda.max_memory_allocated()
        if cuda
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    return min(times), float(peak), out
