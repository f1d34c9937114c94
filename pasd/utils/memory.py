"""Will this image fit? A pre-check before a method starts on an input, with tiling as the remedy.

Without it a 6000x4000 photo through a x4 diffusion upscaler grows the process to the machine's
limit and dies with ``DefaultCPUAllocator: can't allocate memory`` (or is killed by the kernel,
with no message at all). The estimate is ``bytes_per_output_pixel x output pixels``, a per-method
constant measured on the method's own code (see the method's class docs); it is compared with
the memory free on the device right now.
"""

from __future__ import annotations

import math
import os


class ImageTooLargeError(ValueError):
    """An input whose processing would need more memory than the device has free."""


def available_bytes(device: str = "cpu") -> int | None:
    """Memory free for a new allocation on ``device`` now, or ``None`` when it cannot be told.

    CPU: ``MemAvailable`` from ``/proc/meminfo`` (Linux), else physical pages x page size;
    CUDA: ``torch.cuda.mem_get_info``.
    """
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            return None
        index = int(device.split(":", 1)[1]) if ":" in device else torch.cuda.current_device()
        free, _total = torch.cuda.mem_get_info(index)
        return int(free)
    if device != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_fits(
    width: int,
    height: int,
    *,
    scale: int,
    bytes_per_output_pixel: float,
    device: str = "cpu",
    what: str = "image",
    available: int | None = None,
) -> int:
    """Raise before any work if processing a ``width x height`` input would not fit in memory.

    Args:
        width, height: input size in pixels (from the file header: nothing is decoded).
        scale: output size / input size.
        bytes_per_output_pixel: the method's measured peak bytes per output pixel.
        device: where the work runs.
        what: the input's name for the message.
        available: free bytes (default: :func:`available_bytes` of ``device``).

    Returns:
        The estimated bytes.

    Raises:
        ImageTooLargeError: the estimate exceeds the free memory; the message gives both, and the
            largest input tile (square side in input pixels) that would fit.
    """
    need = int(width * height * scale * scale * bytes_per_output_pixel)
    free = available if available is not None else available_bytes(device)
    if free is None or need <= free:
        return need
    side = int(math.sqrt(free / (bytes_per_output_pixel * scale * scale)))
    raise ImageTooLargeError(
        f"{what}: {width}x{height} px at x{scale} needs about {_gib(need)} on {device}, "
        f"{_gib(free)} free; process it in tiles of at most about {side}x{side} input px "
        "(split the image and stitch the outputs), or lower the upscale, or use a device with more memory"
    )
