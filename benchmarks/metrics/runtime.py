"""How a metric network runs: memory format, precision and a cache-key tag for its GT features.

channels-last: on CPU, oneDNN's convolution, pooling and GroupNorm kernels are faster on NHWC
tensors (measured here: DISTS -15 to -30 %, MUSIQ -15 %, LPIPS -20 % CPU time); the scores move
by float32 rounding only (<= 1e-6 relative against the packages called directly; tested at 1e-5).
``None`` (the presets' default) turns it on for CPU devices only: on CUDA it was not measured.

Half precision (``fp16`` / ``bf16``, CUDA autocast) is allowed only for the metric classes in
:data:`HALF_SAFE`: those whose numbers were measured to stay inside the drift check's
``cross-device`` tier (relative 5e-3, absolute 1e-3) against fp32 with real weights. That takes a
CUDA device and the released weights, neither of which the machines this was written on have;
``benchmarks/perf/metrics.py --precision-drift --device cuda`` measures it. Until a measurement
is recorded in ``benchmarks/RESULTS.md`` the set is empty and every metric runs fp32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import torch

Precision = Literal["fp32", "fp16", "bf16"]
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16")

#: metric classes measured to stay inside the drift "cross-device" tier under CUDA autocast (none yet)
HALF_SAFE: frozenset[str] = frozenset()
#: classes that take a ``precision`` option (candidates for HALF_SAFE; --precision-drift measures them)
HALF_CAPABLE: tuple[str, ...] = ("LPIPS", "DISTS")


def use_channels_last(flag: bool | None, device: torch.device) -> bool:
    """Resolve the ``channels_last`` option: ``None`` means on for CPU, off elsewhere."""
    if flag is None:
        return device.type == "cpu"
    if not isinstance(flag, bool):
        raise TypeError(f"channels_last must be True, False or None, got {flag!r}")
    return flag


def check_precision(precision: str, metric_type: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` (``None`` for fp32).

    Raises:
        ValueError: unknown precision, half precision off CUDA, or on a metric not in :data:`HALF_SAFE`.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} not in {PRECISIONS}")
    if precision == "fp32":
        return None
    if device.type != "cuda":
        raise ValueError(f"precision {precision!r} is for CUDA devices only (got {device}); CPU runs fp32")
    if metric_type not in HALF_SAFE:
        raise ValueError(
            f"precision {precision!r} is not allowed for {metric_type}: its numbers are not known to stay "
            f"within the drift tier in half precision (measured safe: {sorted(HALF_SAFE) or 'none yet'}; "
            "see benchmarks/perf/metrics.py --precision-drift)"
        )
    return torch.float16 if precision == "fp16" else torch.bfloat16


@contextlib.contextmanager
def inference(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """``torch.inference_mode`` plus CUDA autocast when a half dtype is set."""
    with torch.inference_mode():
        if dtype is None:
            yield
        else:
            with torch.autocast(device_type=device.type, dtype=dtype):
                yield


def to_input(x: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    """Move a ``(B, 3, H, W)`` batch to ``device`` in the network's memory format."""
    x = x.to(device)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def runtime_tag(device: torch.device, channels_last: bool, precision: str) -> str:
    """What, besides weights and options, changes a GT feature tensor's bits (cache-key part)."""
    return f"{device.type}-{'cl' if channels_last else 'nchw'}-{precision}"
