"""PASD ControlNet: call signature, outputs, scaling, zero init, weight copy from the UNet."""

from __future__ import annotations

import copy

import pytest
import torch

from pasd.models import PASDControlNetModel, PASDControlNetOutput
from tests.pasd.models.conftest import make_inputs


@pytest.fixture
def controlnet(_pasd_models):
    """The full and light releases share the ControlNet architecture: one variant suffices."""
    return copy.deepcopy(_pasd_models["pasd"][1])


def _call(controlnet, inputs, **kwargs):
    return controlnet(
        inputs["sample"], 10, inputs["encoder_hidden_states"], inputs["controlnet_cond"], **kwargs
    )


def test_output_and_tuple_agree(controlnet):
    inputs = make_inputs()
    with torch.no_grad():
        out = _call(controlnet, inputs)
        rgbs, down, mid = _call(controlnet, inputs, return_dict=False)
    assert isinstance(out, PASDControlNetOutput)
    assert [tuple(r.shape) for r in out.rgbs] == [(2, 3, 32, 32), (2, 3, 16, 16), (2, 3, 8, 8)]
    # one residual per skip connection of the tiny UNet: conv_in + 2 layers x 2 blocks + 1 downsampler
    assert [tuple(r.shape) for r in out.down_block_res_samples] == (
        [(2, 32, 8, 8)] * 3 + [(2, 32, 4, 4)] + [(2, 64, 4, 4)] * 2
    )
    assert out.mid_block_res_sample.shape == (2, 64, 4, 4)
    for a, b in zip((*out.rgbs, *out.down_block_res_samples, out.mid_block_res_sample), (*rgbs, *down, mid)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_residuals_are_scaled_by_conditioning_scale(controlnet):
    inputs = make_inputs()
    with torch.no_grad():
        full = _call(controlnet, inputs, conditioning_scale=1.0)
        half = _call(controlnet, inputs, conditioning_scale=0.5)
    assert full.mid_block_res_sample.abs().sum() > 0
    for a, b in zip(full.down_block_res_samples, half.down_block_res_samples):
        torch.testing.assert_close(b, 0.5 * a)
    torch.testing.assert_close(half.mid_block_res_sample, 0.5 * full.mid_block_res_sample)
    # the DR estimates do not depend on the scale
    for a, b in zip(full.rgbs, half.rgbs):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_guess_mode_scales_with_depth(controlnet):
    inputs = make_inputs()
    with torch.no_grad():
        plain = _call(controlnet, inputs)
        guess = _call(controlnet, inputs, guess_mode=True)
    scales = torch.logspace(-1, 0, len(plain.down_block_res_samples) + 1)
    torch.testing.assert_close(guess.down_block_res_samples[0], plain.down_block_res_samples[0] * scales[0])
    torch.testing.assert_close(guess.mid_block_res_sample, plain.mid_block_res_sample)


def test_fresh_controlnet_gives_zero_residuals_and_copies_the_unet(sd_unet):
    controlnet = PASDControlNetModel.from_unet(sd_unet)
    for name in ("conv_in", "time_embedding", "down_blocks", "mid_block"):
        ours, theirs = getattr(controlnet, name).state_dict(), getattr(sd_unet, name).state_dict()
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    with torch.no_grad():
        out = _call(controlnet, make_inputs())
    assert all(torch.count_nonzero(r) == 0 for r in out.down_block_res_samples)
    assert torch.count_nonzero(out.mid_block_res_sample) == 0
    assert all(r.abs().sum() > 0 for r in out.rgbs)


def test_bgr_order_flips_the_lq(controlnet):
    inputs = make_inputs()
    bgr = PASDControlNetModel.from_config(
        {**controlnet.config, "controlnet_conditioning_channel_order": "bgr"}
    )
    bgr.load_state_dict(controlnet.state_dict())
    with torch.no_grad():
        a = _call(controlnet, {**inputs, "controlnet_cond": inputs["controlnet_cond"].flip(1)})
        b = _call(bgr.eval(), inputs)
    torch.testing.assert_close(a.mid_block_res_sample, b.mid_block_res_sample)


def test_config_errors():
    with pytest.raises(ValueError, match="addition_embed_type"):
        PASDControlNetModel(addition_embed_type="text_time")


def test_from_unet_rrdb_and_config_roundtrip(sd_unet):
    controlnet = PASDControlNetModel.from_unet(sd_unet, use_rrdb=True, load_weights_from_unet=False)
    assert controlnet.config.use_rrdb is True and controlnet.config.return_rgbs is True
    assert any(k.startswith("controlnet_cond_embedding.preprocesser.1.") for k in controlnet.state_dict())
    rebuilt = PASDControlNetModel.from_config(controlnet.config)
    assert rebuilt.state_dict().keys() == controlnet.state_dict().keys()
