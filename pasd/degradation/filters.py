"""Fast equivalents of basicsr's ``filter2D`` and ``USMSharp`` (tests prove closeness).

* Blur kernels are filtered at their own size (7..21) instead of zero-padded to 21: a zero tap
  contributes nothing and the reflect padding they would read is the same, so the output equals
  basicsr's ``filter2D`` up to float summation order, at (k/21)^2 of the cost.
* The USM blur is a 51x51 Gaussian, i.e. the outer product of a 1-D Gaussian; it runs as two
  1-D passes (banded matrix products) instead of a 51x51 convolution.
* RGB images are cut into horizontal strips stacked as channels before the depthwise
  convolution, which oneDNN vectorises across channels (see ``LANES``).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.nn import functional as F


def filter2d(img: torch.Tensor, kernels: list[torch.Tensor]) -> torch.Tensor:
    """Correlate each image of a batch with its own odd-sized kernel, with reflect padding.

    Args:
        img: ``(B, C, H, W)``.
        kernels: ``B`` square kernels ``(k_i, k_i)``; sizes may differ.

    Returns:
        ``(B, C, H, W)``, as ``basicsr.utils.img_process_util.filter2D``.

    Raises:
        ValueError: wrong number of kernels, an even kernel size or an image too small to pad.
    """
    b, c, h, w = img.shape
    if len(kernels) != b:
        raise ValueError(f"need one kernel per image: {b} images, {len(kernels)} kernels")
    by_size: dict[int, list[int]] = {}
    for i, k in enumerate(kernels):
        by_size.setdefault(int(k.shape[-1]), []).append(i)
    if len(by_size) == 1:  # the common case: no gather/scatter copies
        return _filter_same_size(img, kernels)
    out = torch.empty_like(img)
    for idx in by_size.values():
        out[idx] = _filter_same_size(img[idx], [kernels[i] for i in idx])
    return out


#: oneDNN's depthwise convolution vectorises across channels; an RGB image (3 channels) leaves
#: most SIMD lanes idle, so each image is cut into horizontal strips stacked as extra channels
LANES = 48
MIN_STRIP = 32


def _filter_same_size(img: torch.Tensor, kernels: list[torch.Tensor]) -> torch.Tensor:
    b, c, h, w = img.shape
    k = int(kernels[0].shape[-1])
    if k % 2 == 0:
        raise ValueError(f"kernel size must be odd, got {k}")
    if k == 1:  # a pulse (identity, scaled by its single tap): no convolution needed
        return img * torch.stack([kern.reshape(()) for kern in kernels]).to(img).view(-1, 1, 1, 1)
    if k // 2 >= min(h, w):
        raise ValueError(f"image {h}x{w} is too small for a {k}x{k} kernel (reflect padding)")
    # The strip count depends on the image alone (not the batch), so an image's result does not
    # depend on what it is batched with.
    strips = max(1, min(-(-LANES // c), h // MIN_STRIP))
    rows = -(-h // strips)
    x = F.pad(img, (k // 2,) * 4, mode="reflect")
    if strips * rows > h:  # zero rows below the image only feed output rows that are cut off
        x = F.pad(x, (0, 0, 0, strips * rows - h))
    # (b, c, strips, w + k - 1, rows + k - 1) -> one channel per (image, strip, colour)
    x = (
        x.unfold(2, rows + k - 1, rows)
        .permute(0, 2, 1, 4, 3)
        .reshape(1, b * strips * c, rows + k - 1, w + k - 1)
    )
    weight = torch.stack(kernels).to(img).view(b, 1, 1, k, k).expand(b, strips * c, 1, k, k)
    y = F.conv2d(x, weight.reshape(b * strips * c, 1, k, k), groups=b * strips * c)
    y = y.view(b, strips, c, rows, w).permute(0, 2, 1, 3, 4).reshape(b, c, strips * rows, w)
    return y[:, :, :h]


def _gaussian_1d(radius: int) -> torch.Tensor:
    if radius % 2 == 0:  # as basicsr's USMSharp
        radius += 1
    return torch.from_numpy(cv2.getGaussianKernel(radius, 0).astype(np.float32).ravel())


def _band(n: int, k1d: torch.Tensor) -> torch.Tensor:
    """``(n + k - 1, n)`` matrix whose column ``j`` holds ``k1d`` at rows ``j .. j + k - 1``."""
    k = k1d.numel()
    band = torch.zeros(n + k - 1, n, dtype=k1d.dtype)
    cols = torch.arange(n)
    for t in range(k):
        band[cols + t, cols] = k1d[t]
    return band


def separable_blur(img: torch.Tensor, k1d: torch.Tensor) -> torch.Tensor:
    """Blur with the outer product of ``k1d`` with itself, in two 1-D passes (reflect padding).

    Each pass is a product with a banded matrix: on CPU, BLAS runs it several times faster than
    ``conv2d`` runs a 51-tap depthwise filter, though it multiplies more zeros.
    """
    b, c, h, w = img.shape
    k = k1d.numel()
    k1d = k1d.to(img)
    x = F.pad(img, (k // 2,) * 4, mode="reflect")
    x = x @ _band(w, k1d.cpu()).to(img)  # along width: (b, c, h + k - 1, w)
    return _band(h, k1d.cpu()).to(img).T @ x  # along height: (b, c, h, w)


def usm_sharpen(
    img: torch.Tensor, weight: float = 0.5, threshold: float = 10, radius: int = 50
) -> torch.Tensor:
    """Unsharp masking as ``basicsr.utils.USMSharp()(img, weight, threshold)`` (separable blur)."""
    k1d = _gaussian_1d(radius)
    residual = img - separable_blur(img, k1d)
    mask = (torch.abs(residual) * 255 > threshold).to(img.dtype)
    soft_mask = separable_blur(mask, k1d)
    sharp = torch.clip(img + weight * residual, 0, 1)
    return soft_mask * sharp + (1 - soft_mask) * img
