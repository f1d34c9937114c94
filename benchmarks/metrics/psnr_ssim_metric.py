"""PSNR and SSIM on the Y channel, computed by BasicSR's reference functions.

Convention (see ``configs`` for the full statement): BasicSR's ``calculate_psnr`` /
``calculate_ssim`` with ``test_y_channel=True`` and ``crop_border`` on 8-bit images; with
``round_y=True`` Y is rounded to integers first (MATLAB ``rgb2ycbcr`` on uint8, as pyiqa).
"""

from __future__ import annotations

import numpy as np
import torch

import pasd  # noqa: F401  (basicsr needs the torchvision shim)
from benchmarks.metrics.base import PerImageMetric
from benchmarks.metrics.registry import METRICS


def _to_uint8_hwc(x: torch.Tensor) -> list[np.ndarray]:
    # the engine builds tensors as uint8 / 255 in float32, so rint(x * 255) recovers the exact bytes
    arr = torch.round(x.detach().float().cpu() * 255.0).clamp(0, 255).to(torch.uint8)
    return [a.permute(1, 2, 0).numpy() for a in arr]


def _y_rounded(img_rgb: np.ndarray) -> np.ndarray:
    from basicsr.utils.color_util import rgb2ycbcr

    y = rgb2ycbcr(img_rgb.astype(np.float32) / 255.0, y_only=True) * 255.0
    return np.round(y)[..., None]


def _psnr_y(pred: np.ndarray, gt: np.ndarray, crop_border: int, round_y: bool) -> float:
    """PSNR (dB) of two uint8 RGB ``HxWx3`` images on Y, BasicSR's function."""
    from basicsr.metrics.psnr_ssim import calculate_psnr

    if round_y:
        return float(calculate_psnr(_y_rounded(pred), _y_rounded(gt), crop_border))
    # basicsr expects BGR (its Y formula is written for cv2's channel order)
    return float(calculate_psnr(pred[..., ::-1], gt[..., ::-1], crop_border, test_y_channel=True))


def _ssim_y(pred: np.ndarray, gt: np.ndarray, crop_border: int, round_y: bool) -> float:
    """SSIM of two uint8 RGB ``HxWx3`` images on Y, BasicSR's function."""
    from basicsr.metrics.psnr_ssim import calculate_ssim

    if round_y:
        return float(calculate_ssim(_y_rounded(pred), _y_rounded(gt), crop_border))
    return float(calculate_ssim(pred[..., ::-1], gt[..., ::-1], crop_border, test_y_channel=True))


class _YMetric(PerImageMetric):
    mode = "FR"
    _fn = staticmethod(_psnr_y)

    def __init__(
        self, name: str, device: str | torch.device = "cpu", crop_border: int = 4, round_y: bool = False
    ):
        super().__init__(name, device)
        if not isinstance(crop_border, int) or crop_border < 0:
            raise ValueError(f"crop_border must be a non-negative int, got {crop_border!r}")
        self.crop_border = crop_border
        self.round_y = bool(round_y)

    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> np.ndarray:
        h, w = pred.shape[-2:]
        # SSIM's 11x11 window needs at least 11 pixels left after cropping
        if min(h, w) - 2 * self.crop_border < 11:
            raise ValueError(f"{self.name}: image {h}x{w} too small for crop_border={self.crop_border}")
        return np.array(
            [
                type(self)._fn(p, g, self.crop_border, self.round_y)
                for p, g in zip(_to_uint8_hwc(pred), _to_uint8_hwc(target), strict=True)
            ]
        )


@METRICS.register("PSNRY")
class PSNRY(_YMetric):
    """PSNR (dB) on Y, BasicSR convention; identical images give ``inf``, which is an error."""

    higher_is_better = True
    _fn = staticmethod(_psnr_y)


@METRICS.register("SSIMY")
class SSIMY(_YMetric):
    """SSIM on Y, BasicSR convention (MATLAB ``ssim_index`` numerics)."""

    higher_is_better = True
    _fn = staticmethod(_ssim_y)
