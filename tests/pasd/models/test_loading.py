"""Save/load round trips and strict loading of released-layout folders."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from pasd.models import (
    CheckpointMismatchError,
    PASDControlNetModel,
    PASDUNet2DConditionModel,
    detect_paca_type,
    load_pasd_controlnet,
    load_pasd_models,
    load_pasd_unet,
)
from pasd.tiny import save_released_layout
from tests.pasd.models.conftest import make_inputs, run_pasd

WEIGHTS = "diffusion_pytorch_model.safetensors"


def _same_state(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_save_pretrained_round_trip(pasd_models, tmp_path):
    unet, controlnet = pasd_models
    unet.save_pretrained(tmp_path / "unet")
    controlnet.save_pretrained(tmp_path / "controlnet")
    unet2 = PASDUNet2DConditionModel.from_pretrained(tmp_path / "unet").eval()
    controlnet2 = PASDControlNetModel.from_pretrained(tmp_path / "controlnet").eval()
    assert unet2.config.paca_type == unet.config.paca_type
    assert _same_state(unet, unet2) and _same_state(controlnet, controlnet2)
    inputs = make_inputs()
    with torch.no_grad():
        torch.testing.assert_close(run_pasd(unet2, controlnet2, inputs), run_pasd(unet, controlnet, inputs))


def test_released_layout_loads_strictly_and_detects_the_variant(pasd_models, tmp_path):
    unet, controlnet = pasd_models
    save_released_layout(unet, controlnet, tmp_path)
    config = json.loads((tmp_path / "unet" / "config.json").read_text())
    assert config["_class_name"] == "UNet2DConditionModel" and "paca_type" not in config
    unet2, controlnet2 = load_pasd_models(tmp_path)
    assert unet2.config.paca_type == unet.config.paca_type
    assert _same_state(unet, unet2) and _same_state(controlnet, controlnet2)
    assert not unet2.training


def test_bin_weights_load_too(_pasd_models, tmp_path):
    controlnet = _pasd_models["pasd"][1]
    controlnet.save_pretrained(tmp_path / "controlnet", safe_serialization=False)
    assert (tmp_path / "controlnet" / "diffusion_pytorch_model.bin").is_file()
    assert _same_state(controlnet, load_pasd_controlnet(tmp_path / "controlnet"))


def test_missing_unexpected_and_misshaped_keys_are_named(_pasd_models, tmp_path):
    unet, controlnet = _pasd_models["pasd"]
    save_released_layout(unet, controlnet, tmp_path)
    path = tmp_path / "controlnet" / WEIGHTS
    state = load_file(path)
    state.pop("controlnet_mid_block.bias")
    state["controlnet_cond_embedding.extra.weight"] = torch.zeros(1)
    state["conv_in.bias"] = torch.zeros(7)
    save_file(state, path)
    with pytest.raises(CheckpointMismatchError) as err:
        load_pasd_controlnet(tmp_path / "controlnet")
    message = str(err.value)
    assert "1 missing keys: controlnet_mid_block.bias" in message
    assert "1 unexpected keys: controlnet_cond_embedding.extra.weight" in message
    assert "conv_in.bias: checkpoint [7]" in message


def test_wrong_forced_variant_is_rejected(pasd_models, tmp_path):
    unet, controlnet = pasd_models
    save_released_layout(unet, controlnet, tmp_path)
    other = "light" if unet.config.paca_type == "full" else "full"
    with pytest.raises(CheckpointMismatchError, match="missing keys"):
        load_pasd_unet(tmp_path / "unet", paca_type=other)
    with pytest.raises(ValueError, match="paca_type"):
        load_pasd_unet(tmp_path / "unet", paca_type="heavy")


def test_plain_sd_unet_and_missing_folders(sd_unet, tmp_path):
    sd_unet.save_pretrained(tmp_path / "sd_unet")
    with pytest.raises(ValueError, match="from_sd_unet"):
        load_pasd_unet(tmp_path / "sd_unet")
    with pytest.raises(FileNotFoundError, match="config.json"):
        load_pasd_unet(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="controlnet"):
        load_pasd_models(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no weights"):
        load_pasd_controlnet(tmp_path / "empty")


def test_detect_paca_type():
    assert detect_paca_type(["up_blocks.0.pixel_attentions.0.norm.weight"]) == "full"
    assert (
        detect_paca_type(["up_blocks.1.attentions.0.transformer_blocks.0.attn2_plus.to_q.weight"]) == "light"
    )
    with pytest.raises(ValueError, match="plain SD UNet"):
        detect_paca_type(["conv_in.weight"])


def test_load_release_through_the_hub(pasd_models, tmp_path, isolated_caches):
    from pasd.hub import MissingWeightsError
    from pasd.models import load_pasd_release, release_checkpoint_dir

    unet, controlnet = pasd_models
    name = "pasd_light" if unet.config.paca_type == "light" else "pasd"
    with pytest.raises(MissingWeightsError):
        load_pasd_release(name, path=tmp_path)
    from pasd.hub.registry import get_artifact

    unet_config = next(f.path for f in get_artifact(name).files if f.path.endswith("unet/config.json"))
    folder = tmp_path / unet_config.rsplit("/unet/", 1)[0]
    save_released_layout(unet, controlnet, folder)
    assert release_checkpoint_dir(name, path=tmp_path) == folder
    unet2, controlnet2 = load_pasd_release(name, path=tmp_path)
    assert _same_state(unet, unet2) and _same_state(controlnet, controlnet2)
