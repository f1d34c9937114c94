"""Our fast/explicit-RNG primitives against basicsr's on the same parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from basicsr.data import degradations as bd
from basicsr.utils import DiffJPEG, USMSharp
from basicsr.utils.img_process_util import filter2D

from pasd.degradation.filters import filter2d, usm_sharpen
from pasd.degradation.jpeg import FastJPEG
from pasd.degradation.kernels import build_kernel
from pasd.degradation.noise import add_noise, gaussian_noise, poisson_noise


@pytest.fixture
def img(hq_batch):
    return hq_batch[:1].clone()


@pytest.mark.parametrize("gray", [False, True], ids=["color", "gray"])
def test_gaussian_noise_equals_basicsr(img, gray):
    torch.manual_seed(1234)
    ref = bd.generate_gaussian_noise_pt(img, sigma=7.5, gray_noise=int(gray))
    ours = gaussian_noise(img, 7.5, gray, seed=1234)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)


@pytest.mark.parametrize("gray", [False, True], ids=["color", "gray"])
def test_poisson_noise_equals_basicsr(img, gray):
    torch.manual_seed(99)
    ref = bd.generate_poisson_noise_pt(img, scale=1.3, gray_noise=int(gray))
    ours = poisson_noise(img, 1.3, gray, seed=99)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)


def test_noise_needs_one_image(hq_batch):
    with pytest.raises(ValueError, match="one image"):
        gaussian_noise(hq_batch, 5.0, False, seed=0)
    with pytest.raises(KeyError, match="unknown noise type"):
        add_noise(hq_batch[:1], {"type": "speckle", "gray": False, "seed": 0})


def test_add_noise_clips_and_is_seeded(img):
    spec = {"type": "gaussian", "sigma": 30.0, "gray": False, "seed": 5}
    a, b = add_noise(img, spec), add_noise(img, spec)
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    assert not torch.equal(a, add_noise(img, {**spec, "seed": 6}))


def test_filter2d_equals_basicsr_padded_kernels(hq_batch):
    """Own-size kernels vs basicsr's filter2D on the same kernels zero-padded to 21.

    Equal up to float32 summation order (the zero taps are skipped), so atol 1e-6 on [0, 1] data.
    """
    specs = [
        {"type": "aniso", "size": 21, "sigma_x": 2.5, "sigma_y": 0.4, "theta": 0.7},
        {"type": "iso", "size": 7, "sigma_x": 1.0, "sigma_y": 1.0, "theta": 0.0},
        {"type": "sinc", "size": 13, "omega_c": 1.2},
        {"type": "pulse", "size": 1},
    ]
    ours = filter2d(hq_batch, [torch.from_numpy(build_kernel(s)).float() for s in specs])
    padded = torch.stack([torch.from_numpy(build_kernel(s, pad_to=21)).float() for s in specs])
    ref = filter2D(hq_batch, padded)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-6)
    assert torch.equal(ours[3], hq_batch[3])  # the pulse is an exact identity


def test_filter2d_errors(hq_batch):
    with pytest.raises(ValueError, match="one kernel per image"):
        filter2d(hq_batch, [torch.ones(3, 3)])
    with pytest.raises(ValueError, match="too small"):
        filter2d(hq_batch[:1, :, :5, :5], [torch.ones(21, 21) / 441])


def test_usm_matches_basicsr(hq_batch):
    """Separable blur vs basicsr's 51x51 filter: equal up to float rounding, except where a
    residual sits exactly on the 10/255 threshold; the soft mask then moves a pixel slightly."""
    ref = USMSharp()(hq_batch)
    ours = usm_sharpen(hq_batch)
    diff = (ours - ref).abs()
    assert diff.max() < 0.5 / 255  # below half an 8-bit level
    assert diff.mean() < 1e-5


@pytest.mark.parametrize("shape", [(3, 3, 64, 64), (1, 3, 37, 53), (2, 3, 130, 97)], ids=str)
def test_fast_jpeg_bit_equal_to_diffjpeg(shape):
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(shape, generator=gen)
    q = torch.rand(shape[0], generator=gen) * 70 + 30
    with torch.no_grad():
        ref = DiffJPEG(differentiable=False)(x, quality=q.clone())
    assert torch.equal(FastJPEG()(x, q), ref)


def test_fast_jpeg_keeps_quality_argument():
    q = torch.tensor([70.0])
    FastJPEG()(torch.rand(1, 3, 16, 16), q)
    assert q.item() == 70.0  # DiffJPEG overwrites it in place; we do not


def test_jpeg_quality_matters(hq_batch):
    x = hq_batch[:1]
    lo, hi = FastJPEG()(x, torch.tensor([30.0])), FastJPEG()(x, torch.tensor([95.0]))
    assert (lo - x).abs().mean() > (hi - x).abs().mean()
    assert np.isfinite(lo.numpy()).all()
