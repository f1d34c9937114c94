"""Build blur / sinc kernels from recorded parameters with basicsr's own kernel functions.

Only the *sampling* is ours (see :mod:`pasd.degradation.sampling`); the kernel shapes come from
``basicsr.data.degradations`` so they match Real-ESRGAN by construction.
"""

from __future__ import annotations

import numpy as np
from basicsr.data import degradations as bd  # importable: `pasd` installed its shim already


def build_kernel(spec: dict, pad_to: int | None = None) -> np.ndarray:
    """The kernel described by a spec from :func:`~pasd.degradation.sampling.sample_blur_kernel`.

    Args:
        spec: ``{"type": ..., "size": ..., ...}``; types are the six Gaussian-family names,
            ``sinc`` and ``pulse`` (identity).
        pad_to: zero-pad to this odd size (Real-ESRGAN pads every kernel to 21 so a batch can
            share one tensor); ``None`` keeps the kernel's own size, which filters identically
            (up to float rounding) at a fraction of the cost.

    Returns:
        A float64 ``(k, k)`` array summing to 1.

    Raises:
        KeyError: unknown kernel type.
        ValueError: even size or ``pad_to`` smaller than the kernel.
    """
    ktype, size = spec["type"], int(spec["size"])
    if size % 2 == 0:
        raise ValueError(f"kernel size must be odd, got {size}")
    if ktype == "pulse":
        kernel = np.ones((1, 1))
    elif ktype == "sinc":
        kernel = bd.circular_lowpass_kernel(spec["omega_c"], size, pad_to=0)
    else:
        iso = not ktype.endswith("aniso")
        args = (size, spec["sigma_x"], spec["sigma_y"], spec["theta"])
        if ktype in ("iso", "aniso"):
            kernel = bd.bivariate_Gaussian(*args, isotropic=iso)
        elif ktype.startswith("generalized"):
            kernel = bd.bivariate_generalized_Gaussian(*args, spec["beta"], isotropic=iso)
        elif ktype.startswith("plateau"):
            kernel = bd.bivariate_plateau(*args, spec["beta"], isotropic=iso)
        else:
            raise KeyError(f"unknown kernel type {ktype!r}")
    if pad_to is not None:
        if pad_to % 2 == 0 or pad_to < kernel.shape[0]:
            raise ValueError(f"pad_to must be odd and >= kernel size {kernel.shape[0]}, got {pad_to}")
        p = (pad_to - kernel.shape[0]) // 2
        kernel = np.pad(kernel, ((p, p), (p, p)))
    return kernel
