import pytest
import torch
import torch.nn.functional as F

from pasd.pipeline.color_fix import adain_color_fix, apply_color_fix, wavelet_color_fix, wavelet_split


def _images(seed=0):
    g = torch.Generator().manual_seed(seed)
    ref = F.interpolate(torch.rand(1, 3, 2, 2, generator=g), size=64, mode="bicubic").clamp(0.2, 0.8)
    detail = 0.05 * torch.randn(1, 3, 64, 64, generator=g)
    # the "diffusion output": the reference's content with a colour cast and new high frequencies
    out = (ref * 0.7 + torch.tensor([0.15, -0.05, 0.1]).view(1, 3, 1, 1) + detail).clamp(0, 1)
    return out, ref


def test_wavelet_split_is_exact():
    x = torch.rand(2, 3, 20, 24)
    high, low = wavelet_split(x)
    torch.testing.assert_close(high + low, x)


def test_wavelet_takes_low_frequencies_from_reference():
    out, ref = _images()

    def lowpass(x):
        return F.avg_pool2d(x, 32)

    before = (lowpass(out) - lowpass(ref)).abs().max()
    fixed = wavelet_color_fix(out, ref)
    after = (lowpass(fixed) - lowpass(ref)).abs().max()
    # a 32-px average is far below the wavelet's cut-off; what is left comes from the borders
    assert before > 0.1
    assert after < before / 8
    # and the output's high frequencies survive
    hi_out, _ = wavelet_split(out)
    hi_fixed, _ = wavelet_split(fixed)
    assert torch.corrcoef(torch.stack([hi_out.flatten(), hi_fixed.flatten()]))[0, 1] > 0.9


def test_adain_matches_channel_statistics():
    out, ref = _images(1)
    fixed = adain_color_fix(out, ref)
    torch.testing.assert_close(fixed.mean((2, 3)), ref.mean((2, 3)), atol=1e-3, rtol=0)
    torch.testing.assert_close(fixed.std((2, 3)), ref.std((2, 3)), atol=1e-3, rtol=0)


def test_none_and_errors():
    out, ref = _images()
    assert apply_color_fix(out, ref, "none") is out
    with pytest.raises(ValueError, match="not one of"):
        apply_color_fix(out, ref, "histogram")
    with pytest.raises(ValueError, match="one shape"):
        wavelet_color_fix(out, ref[:, :, :32])
