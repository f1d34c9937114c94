"""Personalization swaps only SD weights: PACA and ControlNet tensors stay bit-identical."""

import re

import numpy as np
import pytest
import torch

from pasd.pipeline.personalize import load_base_unet_state, merge_lora, swap_base_model
from pasd.tiny import build_tiny_unet


def _frozen(pipe):
    """Copies of the tensors personalization must not touch: PACA layers and the whole ControlNet."""
    paca = set(pipe.unet.paca_state_dict_keys())
    unet = {k: v.clone() for k, v in pipe.unet.state_dict().items() if k in paca}
    control = {k: v.clone() for k, v in pipe.controlnet.state_dict().items()}
    assert unet and control
    return unet, control


def _assert_untouched(pipe, frozen):
    unet, control = frozen
    now_u, now_c = pipe.unet.state_dict(), pipe.controlnet.state_dict()
    assert all(torch.equal(now_u[k], v) for k, v in unet.items())
    assert all(torch.equal(now_c[k], v) for k, v in control.items())


@pytest.fixture(scope="module")
def style_unet():
    return build_tiny_unet(seed=7)  # a "personalized" SD UNet: same layout, other weights


@pytest.mark.parametrize("alpha", [1.0, 0.25])
def test_folder_swap_blends_sd_weights_only(pipe, style_unet, tmp_path, alpha):
    style_unet.save_pretrained(tmp_path / "toon" / "unet")
    before = {k: v.clone() for k, v in pipe.unet.state_dict().items()}
    frozen = _frozen(pipe)
    swap_base_model(pipe, tmp_path / "toon", alpha=alpha)
    _assert_untouched(pipe, frozen)
    key = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"
    expected = alpha * style_unet.state_dict()[key] + (1 - alpha) * before[key]
    torch.testing.assert_close(pipe.unet.state_dict()[key], expected)


def _to_ldm(state: dict, layers: int = 2, n_blocks: int = 2) -> dict:
    """diffusers UNet names -> original SD (LDM) names, for the tiny layout (test-only inverse map)."""
    res = {"norm1": "in_layers.0", "conv1": "in_layers.2", "norm2": "out_layers.0", "conv2": "out_layers.3",
           "time_emb_proj": "emb_layers.1", "conv_shortcut": "skip_connection"}  # fmt: skip
    out = {}
    for key, value in state.items():
        k = key.replace("time_embedding.linear_1", "time_embed.0").replace(
            "time_embedding.linear_2", "time_embed.2"
        )
        k = (
            k.replace("conv_in", "input_blocks.0.0")
            .replace("conv_norm_out", "out.0")
            .replace("conv_out", "out.2")
        )
        if m := re.match(r"down_blocks\.(\d)\.(resnets|attentions)\.(\d)\.(.*)", k):
            i, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
            k = f"input_blocks.{i * (layers + 1) + j + 1}.{0 if kind == 'resnets' else 1}.{rest}"
        elif m := re.match(r"down_blocks\.(\d)\.downsamplers\.0\.conv\.(.*)", k):
            k = f"input_blocks.{(int(m[1]) + 1) * (layers + 1)}.0.op.{m[2]}"
        elif m := re.match(r"mid_block\.(resnets|attentions)\.(\d)\.(.*)", k):
            k = f"middle_block.{1 if m[1] == 'attentions' else 2 * int(m[2])}.{m[3]}"
        elif m := re.match(r"up_blocks\.(\d)\.(resnets|attentions)\.(\d)\.(.*)", k):
            i, kind, j, rest = int(m[1]), m[2], int(m[3]), m[4]
            k = f"output_blocks.{i * (layers + 1) + j}.{0 if kind == 'resnets' else 1}.{rest}"
        elif m := re.match(r"up_blocks\.(\d)\.upsamplers\.0\.(.*)", k):
            i = int(m[1])
            has_attn = any(x.startswith(f"up_blocks.{i}.attentions") for x in state)
            k = f"output_blocks.{i * (layers + 1) + layers}.{2 if has_attn else 1}.{m[2]}"
        if re.match(r"(input_blocks\.\d+\.0|middle_block\.[02]|output_blocks\.\d+\.0)\.", k):
            for new, old in res.items():
                k = re.sub(rf"\.{new}\.", f".{old}.", k)
        out[f"model.diffusion_model.{k}"] = value
    return out


def test_single_file_checkpoint_swap(pipe, style_unet, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "toonyou_tiny.safetensors"
    save_file({k: v.contiguous() for k, v in _to_ldm(style_unet.state_dict()).items()}, str(path))
    converted, vae = load_base_unet_state(path, pipe.unet.config)
    assert vae is None
    for k, v in style_unet.state_dict().items():
        assert torch.equal(converted[k], v), k
    frozen = _frozen(pipe)
    swap_base_model(pipe, path)
    _assert_untouched(pipe, frozen)
    key = "up_blocks.1.resnets.2.conv1.weight"
    assert torch.equal(pipe.unet.state_dict()[key], style_unet.state_dict()[key])


def test_single_file_swaps_text_encoder(pipe, style_unet, tmp_path):
    """Official misc.py: a single file's CLIP text encoder (SD1.5 ``text_model.`` keys) replaces ours."""
    from safetensors.torch import save_file

    from pasd.tiny import build_tiny_text_encoder

    donor = build_tiny_text_encoder(seed=5).state_dict()
    # SD1.5 layout whatever transformers flattens: cond_stage_model.transformer.text_model.*
    ldm_te = {
        f"cond_stage_model.transformer.text_model.{k.removeprefix('text_model.')}": v
        for k, v in donor.items()
    }
    path = tmp_path / "style_te.safetensors"
    save_file(
        {k: v.contiguous() for k, v in {**_to_ldm(style_unet.state_dict()), **ldm_te}.items()}, str(path)
    )
    frozen = _frozen(pipe)
    swap_base_model(pipe, path)
    _assert_untouched(pipe, frozen)
    now = pipe.text_encoder.state_dict()
    assert now.keys() == donor.keys()
    assert all(torch.equal(now[k], v) for k, v in donor.items())


def test_lora_file_is_rejected_as_base_model(pipe, tmp_path):
    from safetensors.torch import save_file

    save_file({"lora_unet_x.lora_down.weight": torch.zeros(2, 2)}, str(tmp_path / "l.safetensors"))
    with pytest.raises(ValueError, match="LoRA"):
        swap_base_model(pipe, tmp_path / "l.safetensors")
    with pytest.raises(ValueError, match="alpha"):
        swap_base_model(pipe, tmp_path, alpha=1.5)


def test_lora_merge_changes_attention_only(pipe, tmp_path, lq_image):
    pytest.importorskip("peft")
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    donor = build_tiny_unet(seed=0)
    torch.manual_seed(3)
    donor.add_adapter(LoraConfig(r=2, lora_alpha=2, target_modules=["to_q", "to_v"], init_lora_weights=False))
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(donor))
    StableDiffusionPipeline.save_lora_weights(tmp_path, unet_lora_layers=layers, safe_serialization=True)
    key = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"
    before = pipe.unet.state_dict()[key].clone()
    frozen = _frozen(pipe)
    merge_lora(pipe, tmp_path / "pytorch_lora_weights.safetensors", multiplier=0.6)
    _assert_untouched(pipe, frozen)
    after = pipe.unet.state_dict()
    assert not torch.equal(after[key], before)
    assert not any("lora" in k for k in after)  # fused, adapter layers removed
    out = pipe(lq_image, upscale=1, num_inference_steps=1, process_size=64, output_type="np").images[0]
    assert out.shape == lq_image.shape and np.isfinite(out).all()


def test_lcm_lora_switches_scheduler(pipe, tmp_path, lq_image):
    pytest.importorskip("peft")
    from diffusers import LCMScheduler, StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    from pasd.pipeline.personalize import enable_lcm_lora

    donor = build_tiny_unet(seed=0)
    donor.add_adapter(LoraConfig(r=2, lora_alpha=2, target_modules=["to_k"], init_lora_weights=False))
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(donor))
    StableDiffusionPipeline.save_lora_weights(
        tmp_path / "lcm", unet_lora_layers=layers, safe_serialization=True
    )
    frozen = _frozen(pipe)
    enable_lcm_lora(pipe, tmp_path / "lcm")
    _assert_untouched(pipe, frozen)
    assert isinstance(pipe.scheduler, LCMScheduler)
    out = pipe(
        lq_image, upscale=1, num_inference_steps=2, guidance_scale=1.0, process_size=64, output_type="np"
    )
    assert out.images[0].shape == lq_image.shape


def test_official_lora_merge_ignores_alpha(pipe, tmp_path):
    """PASD's converter: W += multiplier * up @ down per kohya pair, the file's .alpha skipped."""
    from safetensors.torch import save_file

    from pasd.pipeline.personalize import merge_lora

    layer = pipe.unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_k
    # transformers 4 wraps the CLIP parts in .text_model, transformers 5 flattened it; kohya keys keep it
    te_layer = getattr(pipe.text_encoder, "text_model", pipe.text_encoder).encoder.layers[0].self_attn.q_proj
    g = torch.Generator().manual_seed(0)
    up, down = (
        torch.randn(layer.weight.shape[0], 2, generator=g),
        torch.randn(2, layer.weight.shape[1], generator=g),
    )
    tup, tdown = (
        torch.randn(te_layer.weight.shape[0], 2, generator=g),
        torch.randn(2, te_layer.weight.shape[1], generator=g),
    )
    key = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k"
    tkey = "lora_te_text_model_encoder_layers_0_self_attn_q_proj"
    save_file({f"{key}.lora_up.weight": up, f"{key}.lora_down.weight": down, f"{key}.alpha": torch.tensor(1.0),
               f"{tkey}.lora_up.weight": tup, f"{tkey}.lora_down.weight": tdown}, str(tmp_path / "style.safetensors"))  # fmt: skip
    before, te_before = layer.weight.detach().clone(), te_layer.weight.detach().clone()
    merge_lora(pipe, tmp_path / "style.safetensors", multiplier=0.6)
    torch.testing.assert_close(
        layer.weight.detach(), before + 0.6 * up @ down
    )  # alpha/rank = 0.5 not applied
    torch.testing.assert_close(te_layer.weight.detach(), te_before + 0.6 * tup @ tdown)
