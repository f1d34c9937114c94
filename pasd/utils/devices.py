"""Check a ``--device`` value before any work, so a typo or a missing GPU fails in a second.

Without this, ``--device cuda`` on a machine without CUDA is noticed only when the first
tensor moves there, after datasets were prepared and outputs written.
"""

from __future__ import annotations


class DeviceUnavailableError(ValueError):
    """The requested torch device does not exist or is not usable on this machine."""


def check_device(device: str) -> str:
    """Return ``device`` if torch can use it here.

    Args:
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ...

    Returns:
        The same string.

    Raises:
        DeviceUnavailableError: a malformed name, CUDA/MPS not available, or a CUDA index beyond
            the visible devices; the message lists what this machine has.

    Example:
        >>> check_device("cpu")
        'cpu'
    """
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise DeviceUnavailableError(
            f"--device {device!r} is not a torch device name (examples: cpu, cuda, cuda:1, mps): {exc}"
        ) from None
    if dev.type == "cpu":
        return device
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(
                f"--device {device!r}: CUDA is not available on this machine "
                f"(torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}); "
                "use --device cpu, or see `pasd-bench env`"
            )
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise DeviceUnavailableError(
                f"--device {device!r}: only {count} CUDA device(s) visible (cuda:0..cuda:{count - 1})"
            )
        return device
    if dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise DeviceUnavailableError(f"--device {device!r}: MPS is not available on this machine")
        return device
    raise DeviceUnavailableError(
        f"--device {device!r}: device type {dev.type!r} is not supported (cpu, cuda, mps)"
    )
