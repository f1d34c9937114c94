"""Image conversions and PASD's pre/post-processing sizes (official ``test_pasd.py`` rules)."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

ImageLike = Image.Image | np.ndarray


def to_pil(image: ImageLike) -> Image.Image:
    """PIL RGB from a PIL image or a ``uint8`` ``(H, W, 3)`` array.

    Raises:
        TypeError: For other types; ValueError for a wrong array dtype/shape.
    """
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"arrays must be uint8 (H, W, 3) RGB, got {image.dtype} {image.shape}")
        return Image.fromarray(image)
    raise TypeError(f"expected a PIL image or a numpy array, got {type(image).__name__}")


def pil_to_tensor(image: Image.Image) -> torch.Tensor:
    """``(1, 3, H, W)`` float32 in [0, 1]."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).unsqueeze(0).contiguous()


def tensor_to_uint8(image: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` in [0, 1] -> ``uint8`` ``(H, W, 3)`` (rounded, as diffusers' postprocess)."""
    arr = image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return (arr * 255.0).round().astype(np.uint8)


def short_side_resize(image: Image.Image, size: int, max_size: int | None = None) -> Image.Image:
    """torchvision ``Resize(size, max_size=max_size, interpolation=BILINEAR)`` on a PIL image (official)."""
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.functional import resize

    return resize(image, size, interpolation=InterpolationMode.BILINEAR, max_size=max_size)


def processing_image(
    image: Image.Image, upscale: int, process_size: int, colorize: bool = False
) -> Image.Image:
    """The control image PASD denoises at: bicubic x``upscale``, short side raised to ``process_size``
    (colorization: always set to it, long side capped at 2x), sides floored to multiples of 8.

    Raises:
        ValueError: For a non-positive ``upscale``/``process_size`` or an image under 8 px after resizing.
    """
    if upscale < 1 or process_size < 8:
        raise ValueError(f"upscale must be >= 1 and process_size >= 8, got {upscale}, {process_size}")
    w, h = image.size
    out = image.resize((w * upscale, h * upscale), Image.BICUBIC) if upscale != 1 else image
    if colorize:
        out = short_side_resize(out, process_size, max_size=process_size * 2)
    elif min(out.size) < process_size:
        out = short_side_resize(out, process_size)
    w8, h8 = out.size[0] // 8 * 8, out.size[1] // 8 * 8
    if w8 == 0 or h8 == 0:
        raise ValueError(f"image {image.size} is too small to process (needs >= 8 px per side)")
    return out.resize((w8, h8), Image.BICUBIC) if (w8, h8) != out.size else out


def merge_luma(luma_source: np.ndarray, chroma_source: np.ndarray) -> np.ndarray:
    """YUV merge: Y from ``luma_source``, U/V from ``chroma_source`` (both ``uint8`` RGB, same size).

    The colorization output of the official code: the input's luminance is kept exactly, only
    colour comes from the diffusion output (OpenCV's BT.601 YUV, as there).
    """
    import cv2

    if luma_source.shape != chroma_source.shape:
        raise ValueError(f"shapes differ: {luma_source.shape} vs {chroma_source.shape}")
    y = cv2.cvtColor(luma_source, cv2.COLOR_RGB2YUV)
    c = cv2.cvtColor(chroma_source, cv2.COLOR_RGB2YUV)
    y[:, :, 1:] = c[:, :, 1:]
    return cv2.cvtColor(y, cv2.COLOR_YUV2RGB)
