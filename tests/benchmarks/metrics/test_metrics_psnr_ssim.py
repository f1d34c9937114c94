"""PSNR/SSIM on Y: equal to BasicSR's functions, and to pyiqa's under the same Y convention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import pasd  # noqa: F401
from benchmarks.metrics import create_metric
from tests.benchmarks.metrics.conftest import distort, photo

CASES = [(name, kind) for name in ("astronaut", "chelsea", "coffee") for kind in ("blur", "noise", "jpeg")]


def _t(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255.0


def _score(name: str, pred: np.ndarray, gt: np.ndarray, **kw) -> float:
    m = create_metric(name, **kw)
    m.update(_t(pred), _t(gt))
    return float(m.compute()[0])


@pytest.mark.parametrize("crop_border", [0, 4], ids=["crop0", "crop4"])
@pytest.mark.parametrize(("image", "kind"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_equal_to_basicsr(image, kind, crop_border):
    """Our numbers are BasicSR's calculate_psnr/ssim(test_y_channel=True) on the same BGR uint8 images."""
    from basicsr.metrics.psnr_ssim import calculate_psnr, calculate_ssim

    gt = photo(image)
    pred = distort(gt, kind)
    ref_psnr = calculate_psnr(pred[..., ::-1], gt[..., ::-1], crop_border, test_y_channel=True)
    ref_ssim = calculate_ssim(pred[..., ::-1], gt[..., ::-1], crop_border, test_y_channel=True)
    assert abs(_score("psnr", pred, gt, crop_border=crop_border) - ref_psnr) <= 1e-10
    assert abs(_score("ssim", pred, gt, crop_border=crop_border) - ref_ssim) <= 1e-12


@pytest.mark.parametrize("crop_border", [0, 4], ids=["crop0", "crop4"])
@pytest.mark.parametrize(("image", "kind"), CASES[::2], ids=[f"{a}-{b}" for a, b in CASES[::2]])
def test_match_pyiqa_ycbcr(image, kind, crop_border):
    """pyiqa's psnry/ssim with color_space='ycbcr' (its default 'yiq' is a different Y, ~1.3 dB off).

    pyiqa's SSIM rounds Y to integers (MATLAB's uint8 rgb2ycbcr), so it is compared with our
    ``ssim-matlab``; pyiqa's PSNR adds eps=1e-8 to the MSE unless told eps=0.
    """
    import pyiqa

    gt = photo(image)
    pred = distort(gt, kind)
    p = pyiqa.create_metric("psnry", device="cpu", color_space="ycbcr", eps=0, crop_border=crop_border)
    s = pyiqa.create_metric("ssim", device="cpu", color_space="ycbcr", crop_border=crop_border)
    assert abs(_score("psnr", pred, gt, crop_border=crop_border) - p(_t(pred), _t(gt)).item()) <= 1e-4
    assert abs(_score("ssim-matlab", pred, gt, crop_border=crop_border) - s(_t(pred), _t(gt)).item()) <= 1e-6
    # and the two SSIM conventions really differ, so the choice is worth recording
    assert abs(_score("ssim", pred, gt, crop_border=crop_border) - s(_t(pred), _t(gt)).item()) > 1e-5


def test_crop_border_convention_is_per_side():
    """crop_border removes that many pixels from *each* side: corrupting only the border leaves PSNR unchanged."""
    gt = photo("astronaut")
    pred = distort(gt, "noise")
    spoiled = pred.copy()
    spoiled[:4] = 0
    spoiled[-4:] = 255
    spoiled[:, :4] = 0
    spoiled[:, -4:] = 255
    assert _score("psnr", spoiled, gt, crop_border=4) == _score("psnr", pred, gt, crop_border=4)
    assert _score("psnr", spoiled, gt, crop_border=3) < _score("psnr", pred, gt, crop_border=3)


def test_preset_default_crop_and_bad_inputs():
    assert create_metric("psnr").crop_border == 4
    with pytest.raises(ValueError, match="crop_border"):
        create_metric("ssim", crop_border=-1)
    gt = photo("astronaut", (16, 16))
    with pytest.raises(ValueError, match="too small"):
        _score("ssim", gt, gt, crop_border=4)
    with pytest.raises(ValueError, match="needs a target"):
        create_metric("psnr").update(_t(gt))
    with pytest.raises(KeyError, match="Did you mean"):
        create_metric("psnrr")
    with pytest.raises(TypeError):
        create_metric("psnr", bogus=1)


def test_identical_images_psnr_is_pyiqa_s_finite_value():
    """BasicSR gives identical images +inf (which cannot be averaged or stored); the suite takes
    pyiqa's eps convention instead: 10 * log10(1 / 1e-8) = 80 dB, what pyiqa's own psnr returns."""
    from basicsr.metrics.psnr_ssim import calculate_psnr
    from pyiqa.archs.psnr_arch import psnr

    gt = photo("chelsea")
    assert calculate_psnr(gt, gt, 4, test_y_channel=True) == float("inf")  # the reference's own value
    x = torch.from_numpy(gt).permute(2, 0, 1)[None].float() / 255
    assert float(psnr(x, x, test_y_channel=True)) == pytest.approx(80.0)
    assert _score("psnr", gt, gt) == pytest.approx(80.0)
    near = gt.copy()
    near[10, 10, 0] ^= 1
    assert _score("psnr", near, gt) == pytest.approx(
        calculate_psnr(near[..., ::-1], gt[..., ::-1], 4, test_y_channel=True)
    )
