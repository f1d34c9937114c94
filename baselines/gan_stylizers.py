"""The official test procedures of the released GAN stylizers, as functions of (network, uint8 image).

Kept apart from the adapters so the perf script and tests call exactly what the adapters run.
Each function reproduces its repository's test script step by step (resize rule, channel order,
value range, and how the float output becomes bytes), because each of those changes the pixels.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

#: shown next to these methods' names wherever a number of theirs appears
RELEASED_WEIGHTS_NOTE = "released weights; the paper retrained these on ToonYou outputs - not comparable"


def cartoongan_size(width: int, height: int, load_size: int) -> tuple[int, int]:
    """CartoonGAN ``test.py``'s resize: the long side becomes ``load_size``, aspect kept (floored).

    A square image takes the portrait branch (``ratio > 1`` is strict), as in the script.

    Example:
        >>> cartoongan_size(451, 300, 450)
        (450, 299)
    """
    ratio = width * 1.0 / height
    if ratio > 1:
        return load_size, int(load_size * 1.0 / ratio)
    return int(load_size * ratio), load_size


def stylize_cartoongan(
    net: torch.nn.Module, image: np.ndarray, load_size: int, device: str = "cpu"
) -> np.ndarray:
    """CartoonGAN-Test-Pytorch-Torch ``test.py`` on one image.

    Steps: PIL bicubic resize to :func:`cartoongan_size` (up or down), RGB -> BGR, ``[0, 1]`` ->
    ``[-1, 1]``, the generator, BGR -> RGB, ``* 0.5 + 0.5``, then ``torchvision.utils.save_image``'s
    quantisation ``clamp(x * 255 + 0.5, 0, 255)`` truncated to uint8 (round half up). The script
    writes JPEG; we keep the bytes before that lossy step. Output size is the generator's
    (``4 * ceil(ceil(n / 2) / 2)`` per side of the resized image).

    Raises:
        ValueError: the resized image would be too small for the generator's 7x7 reflection pad.
    """
    pil = Image.fromarray(image)
    size = cartoongan_size(pil.width, pil.height, load_size)
    if min(size) < 4:
        raise ValueError(
            f"cartoongan: {pil.width}x{pil.height} resizes to {size[0]}x{size[1]}; need >= 4 px a side"
        )
    bgr = np.asarray(pil.resize(size, Image.BICUBIC))[:, :, [2, 1, 0]]
    x = torch.from_numpy(np.ascontiguousarray(bgr)).permute(2, 0, 1).float().div(255).unsqueeze(0)
    x = -1 + 2 * x
    with torch.no_grad():
        y = net(x.to(device))[0]
    y = y[[2, 1, 0], :, :].float().cpu() * 0.5 + 0.5
    return y.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()


def animegan_x32(size: int) -> int:
    """animegan2-pytorch ``test.py --x32``: sides below 256 become 256, others drop to a multiple of 32."""
    return 256 if size < 256 else size - size % 32


def stylize_animegan(
    net: torch.nn.Module,
    image: np.ndarray,
    upsample_align: bool = False,
    x32: bool = False,
    device: str = "cpu",
) -> np.ndarray:
    """animegan2-pytorch ``test.py`` on one image (not ``face2paint``, which centre-crops to a square).

    Steps: optional ``--x32`` resize (PIL's default filter, as the script calls ``img.resize``),
    ``to_tensor * 2 - 1``, the generator with ``upsample_align`` (the script's default False),
    ``clip(-1, 1) * 0.5 + 0.5``, then ``to_pil_image``'s ``(x * 255).astype(uint8)``, which
    truncates. Without ``upsample_align`` the decoder doubles sizes, so sides that are not
    multiples of 4 come out slightly smaller, as with the script.

    Raises:
        ValueError: an image smaller than 8 px a side.
    """
    pil = Image.fromarray(image)
    if x32:
        pil = pil.resize((animegan_x32(pil.width), animegan_x32(pil.height)))
    if min(pil.size) < 8:
        raise ValueError(f"animegan: {pil.width}x{pil.height} is too small; need >= 8 px a side")
    x = torch.from_numpy(np.asarray(pil).copy()).permute(2, 0, 1).float().div(255).unsqueeze(0) * 2 - 1
    with torch.no_grad():
        out = net(x.to(device), upsample_align).cpu()
    out = out.squeeze(0).clip(-1, 1) * 0.5 + 0.5
    return (out.numpy().transpose(1, 2, 0) * 255).astype(np.uint8)


def load_generator(net: torch.nn.Module, path, device: str) -> torch.nn.Module:
    """Load a released state dict into ``net`` with strict key matching, then move it to ``device``."""
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net.to(device).eval()
