"""PSNR and SSIM, computed by the reference functions of BasicSR or of pyiqa.

Default convention (see ``configs`` for the full statement): BasicSR's ``calculate_psnr`` /
``calculate_ssim`` with ``test_y_channel=True`` and ``crop_border`` on 8-bit images; with
``round_y=True`` Y is rounded to integers first (MATLAB ``rgb2ycbcr`` on uint8, as pyiqa).

The options below are the settings evaluation protocols disagree on (``benchmarks.protocols``):

- ``colour``: ``"y"`` (luma only) or ``"rgb"`` (all three channels);
- ``color_space``: which luma. ``"ycbcr"`` is ITU-R BT.601 limited range (Y in [16, 235], MATLAB
  ``rgb2ycbcr``), the only one BasicSR has; pyiqa also offers ``"yiq"`` (Y = 0.299 R + 0.587 G +
  0.114 B, full range), its default for ``ssim``;
- ``round_y``: round Y to integers before scoring;
- ``crop_border``: pixels dropped on every side;
- ``implementation``: ``"basicsr"`` (NumPy float64, OpenCV filters) or ``"pyiqa"`` (torch;
  pyiqa's PSNR never rounds Y, its SSIM always does, and clamps the contrast term at 0).

A prediction identical to its ground truth (MSE 0): BasicSR's ``calculate_psnr`` returns ``inf``
(and its test script's mean becomes ``inf``), pyiqa's ``psnr`` adds ``eps = 1e-8`` to the MSE of
``[0, 1]`` data and returns ``10 * log10(1 / 1e-8) = 80`` dB. An infinite value cannot be averaged,
ranked or stored, so both implementations give such an image pyiqa's finite value,
:data:`PERFECT_PSNR_DB` (80 dB), and log a warning; every other image keeps its implementation's
exact value (the eps changes a real MSE by less than 1e-8, i.e. nothing BasicSR would print).
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import numpy as np
import torch

import pasd  # noqa: F401  (basicsr needs the torchvision shim)
from benchmarks.metrics.base import PerImageMetric
from benchmarks.metrics.registry import METRICS

Colour = Literal["y", "rgb"]
Implementation = Literal["basicsr", "pyiqa"]
COLOURS: tuple[str, ...] = ("y", "rgb")
COLOR_SPACES: tuple[str, ...] = ("ycbcr", "yiq")
IMPLEMENTATIONS: tuple[str, ...] = ("basicsr", "pyiqa")
#: PSNR of an image identical to its ground truth: pyiqa's ``10 * log10(1 / (0 + 1e-8))``
PERFECT_PSNR_DB: float = 10.0 * math.log10(1.0 / 1e-8)

logger = logging.getLogger(__name__)


def _to_uint8_hwc(x: torch.Tensor) -> list[np.ndarray]:
    # the engine builds tensors as uint8 / 255 in float32, so rint(x * 255) recovers the exact bytes
    arr = torch.round(x.detach().float().cpu() * 255.0).clamp(0, 255).to(torch.uint8)
    return [a.permute(1, 2, 0).numpy() for a in arr]


def _y_rounded(img_rgb: np.ndarray) -> np.ndarray:
    from basicsr.utils.color_util import rgb2ycbcr

    y = rgb2ycbcr(img_rgb.astype(np.float32) / 255.0, y_only=True) * 255.0
    return np.round(y)[..., None]


def _psnr_y(pred: np.ndarray, gt: np.ndarray, crop_border: int, round_y: bool, colour: str = "y") -> float:
    """PSNR (dB) of two uint8 RGB ``HxWx3`` images on Y (or RGB), BasicSR's function."""
    from basicsr.metrics.psnr_ssim import calculate_psnr

    if colour == "rgb":
        return float(calculate_psnr(pred, gt, crop_border, test_y_channel=False))
    if round_y:
        return float(calculate_psnr(_y_rounded(pred), _y_rounded(gt), crop_border))
    # basicsr expects BGR (its Y formula is written for cv2's channel order)
    return float(calculate_psnr(pred[..., ::-1], gt[..., ::-1], crop_border, test_y_channel=True))


def _ssim_y(pred: np.ndarray, gt: np.ndarray, crop_border: int, round_y: bool, colour: str = "y") -> float:
    """SSIM of two uint8 RGB ``HxWx3`` images on Y (or the mean over RGB), BasicSR's function."""
    from basicsr.metrics.psnr_ssim import calculate_ssim

    if colour == "rgb":
        return float(calculate_ssim(pred, gt, crop_border, test_y_channel=False))
    if round_y:
        return float(calculate_ssim(_y_rounded(pred), _y_rounded(gt), crop_border))
    return float(calculate_ssim(pred[..., ::-1], gt[..., ::-1], crop_border, test_y_channel=True))


def _crop(x: torch.Tensor, border: int) -> torch.Tensor:
    return x[..., border:-border, border:-border] if border else x


def _pyiqa_psnr(pred: torch.Tensor, gt: torch.Tensor, crop_border: int, colour: str, color_space: str):
    from pyiqa.archs.psnr_arch import psnr

    # pyiqa's PSNR works on [0, 1] data (data_range=1), so its Y is never rounded
    return psnr(_crop(pred, crop_border), _crop(gt, crop_border), colour == "y", color_space=color_space)


def _pyiqa_ssim(pred: torch.Tensor, gt: torch.Tensor, crop_border: int, colour: str, color_space: str):
    from pyiqa.archs.ssim_arch import SSIM

    # crop first, as pyiqa's SSIM.forward does; it then scales to 255 and rounds (MATLAB uint8)
    return SSIM(test_y_channel=colour == "y", color_space=color_space, crop_border=crop_border)(pred, gt)


class _YMetric(PerImageMetric):
    mode = "FR"
    _fn = staticmethod(_psnr_y)
    _pyiqa_fn = staticmethod(_pyiqa_psnr)
    #: whether pyiqa's function rounds Y (fixed by its data range; see the module docstring)
    _pyiqa_rounds: bool = False

    def __init__(
        self,
        name: str,
        device: str | torch.device = "cpu",
        crop_border: int = 4,
        round_y: bool = False,
        colour: Colour = "y",
        color_space: str = "ycbcr",
        implementation: Implementation = "basicsr",
    ):
        super().__init__(name, device)
        if isinstance(crop_border, bool) or not isinstance(crop_border, int) or crop_border < 0:
            raise ValueError(f"crop_border must be a non-negative int, got {crop_border!r}")
        for what, value, allowed in (
            ("colour", colour, COLOURS), ("color_space", color_space, COLOR_SPACES),
            ("implementation", implementation, IMPLEMENTATIONS),
        ):  # fmt: skip
            if value not in allowed:
                raise ValueError(f"{name}: {what} {value!r} not in {allowed}")
        if implementation == "basicsr" and color_space != "ycbcr":
            raise ValueError(
                f"{name}: basicsr has only the 'ycbcr' (BT.601) luma, got color_space={color_space!r}"
            )
        if implementation == "pyiqa":
            rounds = self._pyiqa_rounds and colour == "y"
            if bool(round_y) != rounds:
                raise ValueError(
                    f"{name}: pyiqa's implementation {'rounds' if rounds else 'does not round'} Y here; "
                    f"round_y={round_y!r} is not available with implementation='pyiqa'"
                )
        if colour == "rgb" and round_y:
            raise ValueError(f"{name}: round_y applies to colour='y' only")
        self.crop_border = crop_border
        self.round_y = bool(round_y)
        self.colour, self.color_space, self.implementation = colour, color_space, implementation

    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> np.ndarray:
        h, w = pred.shape[-2:]
        # SSIM's 11x11 window needs at least 11 pixels left after cropping
        if min(h, w) - 2 * self.crop_border < 11:
            raise ValueError(f"{self.name}: image {h}x{w} too small for crop_border={self.crop_border}")
        if self.implementation == "pyiqa":
            with torch.no_grad():
                out = type(self)._pyiqa_fn(
                    pred.float().to(self.device), target.float().to(self.device), self.crop_border, self.colour,
                    self.color_space,
                )  # fmt: skip
            return out.double().reshape(-1).cpu().numpy()
        return np.array(
            [
                type(self)._fn(p, g, self.crop_border, self.round_y, self.colour)
                for p, g in zip(_to_uint8_hwc(pred), _to_uint8_hwc(target), strict=True)
            ]
        )


@METRICS.register("PSNRY")
class PSNRY(_YMetric):
    """PSNR (dB) on Y, BasicSR convention; an image identical to its GT scores :data:`PERFECT_PSNR_DB`.

    BasicSR itself returns ``inf`` there; see the module docstring for why the suite takes pyiqa's
    finite value instead.
    """

    higher_is_better = True
    _fn = staticmethod(_psnr_y)
    _pyiqa_fn = staticmethod(_pyiqa_psnr)
    _pyiqa_rounds = False

    def _scores(self, pred: torch.Tensor, target: torch.Tensor | None) -> np.ndarray:
        scores = np.asarray(super()._scores(pred, target), dtype=np.float64)
        perfect = np.isposinf(scores)
        if perfect.any():
            logger.warning(
                "%s: %d image(s) identical to the ground truth; PSNR %.0f dB (pyiqa's eps), not basicsr's inf",
                self.name, int(perfect.sum()), PERFECT_PSNR_DB,
            )  # fmt: skip
            scores = np.where(perfect, PERFECT_PSNR_DB, scores)
        return scores


@METRICS.register("SSIMY")
class SSIMY(_YMetric):
    """SSIM on Y, BasicSR convention (MATLAB ``ssim_index`` numerics)."""

    higher_is_better = True
    _fn = staticmethod(_ssim_y)
    _pyiqa_fn = staticmethod(_pyiqa_ssim)
    _pyiqa_rounds = True
