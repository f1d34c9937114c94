"""PASD UNet: PACA on/off, equivalence with diffusers' plain ControlNet path, SD weights, dtypes."""

from __future__ import annotations

import pytest
import torch
from diffusers import UNet2DConditionModel

from pasd.models import PASDUNet2DConditionModel
from tests.pasd.models.conftest import make_inputs, run_pasd


def test_paca_off_is_diffusers_unet_with_controlnet_residuals(pasd_models, sd_unet):
    """w/o PACA (Fig 7b) = the plain SD UNet + ControlNet residual addition, bit for bit."""
    unet, controlnet = pasd_models
    inputs = make_inputs()
    with torch.no_grad():
        _, down, mid = controlnet(
            inputs["sample"],
            10,
            inputs["encoder_hidden_states"],
            inputs["controlnet_cond"],
            return_dict=False,
        )
        ours = unet(
            inputs["sample"],
            10,
            inputs["encoder_hidden_states"],
            down_block_additional_residuals=down,
            mid_block_additional_residual=mid,
            use_paca=False,
        ).sample
        plain = sd_unet(inputs["sample"], 10, inputs["encoder_hidden_states"],
                        down_block_additional_residuals=down, mid_block_additional_residual=mid).sample  # fmt: skip
    torch.testing.assert_close(ours, plain, rtol=0, atol=0)


def test_paca_on_changes_the_output(pasd_models):
    unet, controlnet = pasd_models
    inputs = make_inputs()
    with torch.no_grad():
        on = run_pasd(unet, controlnet, inputs)
        off = run_pasd(unet, controlnet, inputs, use_paca=False)
        unet.paca_enabled = False
        switched_off = run_pasd(unet, controlnet, inputs)
    assert on.shape == (2, 4, 8, 8)
    assert (on - off).abs().max() > 1e-3
    torch.testing.assert_close(switched_off, off, rtol=0, atol=0)


def _zero_paca_outputs(unet):
    for name, param in unet.named_parameters():
        # full: a PACA transformer with zero proj_out is the identity; light: attn2_plus adds zero
        if ("pixel_attentions" in name and ".proj_out." in name) or ("attn2_plus.to_out" in name):
            torch.nn.init.zeros_(param)


def test_paca_path_reproduces_diffusers_when_paca_adds_nothing(pasd_models):
    """Checks our decoder loop (skips, residual order, upsampling) against diffusers' own forward."""
    unet, controlnet = pasd_models
    _zero_paca_outputs(unet)
    # 9 is odd: the decoder must force the upsampler's output size (forward_upsample_size)
    inputs = make_inputs(latent=9)
    # a text mask exercises the mask plumbing of both paths (tokens 5.. of sample 1 dropped)
    mask = torch.ones(2, 7)
    mask[1, 5:] = 0
    with torch.no_grad():
        on = run_pasd(unet, controlnet, inputs, encoder_attention_mask=mask)
        off = run_pasd(unet, controlnet, inputs, encoder_attention_mask=mask, use_paca=False)
        unmasked = run_pasd(unet, controlnet, inputs, use_paca=False)
    torch.testing.assert_close(on, off, rtol=1e-5, atol=1e-6)
    assert (off[1] - unmasked[1]).abs().max() > 1e-4
    torch.testing.assert_close(off[0], unmasked[0], rtol=1e-5, atol=1e-6)


def test_paca_sees_the_residual_of_its_own_skip(pasd_models):
    """Changing only the deepest residual changes the PACA output only through the matching layers."""
    unet, controlnet = pasd_models
    inputs = make_inputs()
    with torch.no_grad():
        _, down, mid = controlnet(
            inputs["sample"],
            10,
            inputs["encoder_hidden_states"],
            inputs["controlnet_cond"],
            return_dict=False,
        )
        kw = dict(mid_block_additional_residual=mid)
        base = unet(
            inputs["sample"], 10, inputs["encoder_hidden_states"], down_block_additional_residuals=down, **kw
        )
        bumped = list(down)
        bumped[0] = bumped[0] + 1.0  # conv_in skip: consumed by the last decoder layer only
        moved = unet(
            inputs["sample"],
            10,
            inputs["encoder_hidden_states"],
            down_block_additional_residuals=bumped,
            **kw,
        )
    assert (base.sample - moved.sample).abs().max() > 0


def test_light_has_no_paca_in_the_plain_up_block(pasd_models):
    unet, _ = pasd_models
    keys = unet.paca_state_dict_keys()
    if unet.config.paca_type == "light":
        assert keys and not any(k.startswith("up_blocks.0.") for k in keys)  # up_blocks.0 is UpBlock2D
        assert all(".attn2_plus." in k or ".norm2_plus." in k or ".proj_in_plus." in k for k in keys)
    else:
        layers = {k.split(".transformer_blocks")[0].split(".proj")[0].split(".norm.")[0] for k in keys}
        assert layers == {f"up_blocks.{b}.pixel_attentions.{j}" for b in range(2) for j in range(3)}


def test_from_sd_unet_reports_new_paca_weights(sd_unet):
    model = PASDUNet2DConditionModel(**{k: v for k, v in sd_unet.config.items() if not k.startswith("_")})
    new = model.load_sd_weights(sd_unet.state_dict())
    assert sorted(new) == sorted(model.paca_state_dict_keys()) and len(new) > 0
    ours = model.state_dict()
    assert all(torch.equal(ours[k], v) for k, v in sd_unet.state_dict().items())
    # personalization: a different base under trained PACA layers leaves the PACA weights alone
    paca_before = {k: ours[k].clone() for k in new}
    other = {k: torch.randn_like(v) for k, v in sd_unet.state_dict().items()}
    model.load_sd_weights(other)
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in paca_before.items())
    assert torch.equal(after["conv_in.weight"], other["conv_in.weight"])
    broken = dict(sd_unet.state_dict())
    broken.pop("conv_in.weight")
    broken["not.a.key"] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"conv_in\.weight.*not\.a\.key"):
        model.load_sd_weights(broken)


def test_same_inputs_same_outputs(pasd_models):
    unet, controlnet = pasd_models
    with torch.no_grad():
        a = run_pasd(unet, controlnet, make_inputs(seed=3))
        b = run_pasd(unet, controlnet, make_inputs(seed=3))
    torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "fp16"])
def test_half_precision_runs_on_cpu(pasd_models, dtype):
    unet, controlnet = pasd_models
    with torch.no_grad():
        reference = run_pasd(unet, controlnet, make_inputs())
        unet, controlnet = unet.to(dtype), controlnet.to(dtype)
        out = run_pasd(unet, controlnet, {k: v.to(dtype) for k, v in make_inputs().items()})
    assert out.dtype == dtype and torch.isfinite(out).all()
    # same network: half-precision result stays near the float32 one (tiny random weights, loose bound)
    assert (out.float() - reference).abs().max() < 0.1 * reference.abs().max()


def test_gradient_checkpointing_matches_and_backprops(pasd_models):
    unet, controlnet = pasd_models
    inputs = make_inputs()
    unet.train()
    plain = run_pasd(unet, controlnet, inputs)
    unet.enable_gradient_checkpointing()
    ckpt = run_pasd(unet, controlnet, inputs)
    torch.testing.assert_close(ckpt, plain)
    ckpt.square().mean().backward()
    paca = [p for n, p in unet.named_parameters() if n in set(unet.paca_state_dict_keys())]
    assert all(p.grad is not None for p in paca)


def test_residual_count_must_match(pasd_models):
    unet, controlnet = pasd_models
    inputs = make_inputs()
    with torch.no_grad():
        _, down, mid = controlnet(
            inputs["sample"],
            10,
            inputs["encoder_hidden_states"],
            inputs["controlnet_cond"],
            return_dict=False,
        )
        with pytest.raises(ValueError, match="5 down-block residuals"):
            unet(inputs["sample"], 10, inputs["encoder_hidden_states"],
                 down_block_additional_residuals=down[:-1], mid_block_additional_residual=mid)  # fmt: skip


def test_config_errors():
    with pytest.raises(ValueError, match="paca_type"):
        PASDUNet2DConditionModel(paca_type="heavy")
    with pytest.raises(ValueError, match="UpBlock2D"):
        PASDUNet2DConditionModel(up_block_types=("SimpleCrossAttnUpBlock2D",) * 4)


def test_plain_diffusers_unet_is_untouched(sd_unet):
    assert type(sd_unet) is UNet2DConditionModel
    assert not any("pixel_attentions" in k or "_plus" in k for k in sd_unet.state_dict())
