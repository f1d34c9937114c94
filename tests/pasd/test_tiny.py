"""Tiny SD/PASD folders: every component loads back with the real loaders and runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pasd import tiny


@pytest.fixture(scope="module")
def sd_dir(tmp_path_factory):
    return tiny.save_tiny_sd(tmp_path_factory.mktemp("tiny") / "sd15")


def test_sd_folder_is_a_working_stable_diffusion_pipeline(sd_dir):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(sd_dir, safety_checker=None, requires_safety_checker=False)
    assert pipe.vae_scale_factor == 8
    assert pipe.unet.config.cross_attention_dim == pipe.text_encoder.config.hidden_size == tiny.TEXT_DIM
    ids = pipe.tokenizer(
        "the cat and the dog", padding="max_length", max_length=77, return_tensors="pt"
    ).input_ids
    assert ids.shape == (1, 77) and int(ids.max()) < pipe.text_encoder.config.vocab_size
    assert ids[0, 0].item() == pipe.tokenizer.bos_token_id
    image = pipe("a cat", num_inference_steps=2, height=64, width=64, output_type="np",
                 generator=torch.Generator("cpu").manual_seed(0)).images  # fmt: skip
    assert image.shape == (1, 64, 64, 3) and np.isfinite(image).all()


def test_sd_folder_is_rewritten_in_place(sd_dir, tmp_path):
    out = tiny.save_tiny_sd(tmp_path / "sd", seed=1)
    tiny.save_tiny_sd(out, seed=1)
    assert sorted(p.name for p in out.iterdir()) == [
        "model_index.json", "scheduler", "text_encoder", "tokenizer", "unet", "vae",
    ]  # fmt: skip
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging leftovers


@pytest.mark.parametrize("variant", ["pasd_rrdb", "pasd_light"])
def test_pasd_folder_loads_as_the_release_does(sd_dir, tmp_path, variant):
    from diffusers import UNet2DConditionModel

    from pasd.models import load_pasd_models

    out = tiny.save_tiny_pasd(tmp_path / variant, variant=variant, sd_dir=sd_dir)
    unet, controlnet = load_pasd_models(out)
    paca_type, use_rrdb = tiny.VARIANTS[variant]
    assert unet.config.paca_type == paca_type and controlnet.config.use_rrdb is use_rrdb
    # the frozen SD part is the SD folder's UNet, as in training
    base = UNet2DConditionModel.from_pretrained(sd_dir / "unet").state_dict()
    ours = unet.state_dict()
    assert all(torch.equal(ours[k], v) for k, v in base.items())
    # randomized zero convolutions: the ControlNet really conditions the UNet
    assert controlnet.controlnet_mid_block.weight.abs().sum() > 0


def test_unknown_variant():
    with pytest.raises(KeyError, match="pasd_light"):
        tiny.build_tiny_pasd("pasd_heavy")


def test_tiny_coca_is_a_function_of_its_seed(tmp_path):
    """open_clip leaves CoCa's caption projection uninitialised (torch.empty); the tiny one must not be."""
    pytest.importorskip("open_clip")
    junk = [torch.full((32 * 49408,), 7.0) for _ in range(4)]  # freed memory torch.empty may hand out again
    del junk
    a = torch.load(tiny.save_tiny_coca(tmp_path / "a", seed=0), weights_only=True)
    junk = [torch.full((32 * 49408,), -3.0) for _ in range(4)]
    del junk
    b = torch.load(tiny.save_tiny_coca(tmp_path / "b", seed=0), weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    proj = a["text_decoder.text_projection"]
    assert proj.shape == (32, 49408)
    # open_clip's intended init: normal(0, width ** -0.5)
    assert abs(float(proj.std()) - 32**-0.5) < 0.01 and abs(float(proj.mean())) < 0.01
