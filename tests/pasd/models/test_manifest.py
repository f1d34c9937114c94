"""At SD1.5 size our classes have exactly the released checkpoints' keys and shapes.

The manifest (``data/pasd_checkpoint_manifest.json``, copied from the project's shared reference)
lists every state_dict key and shape of yangxy/PASD@396f9ac's UNet/ControlNet (full, RRDB, light)
built with diffusers 0.29.2. Models are built on the meta device: no memory, about a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pasd.models import PASDControlNetModel, PASDUNet2DConditionModel

MANIFEST = json.loads((Path(__file__).parent / "data" / "pasd_checkpoint_manifest.json").read_text())


def _build(name: str) -> torch.nn.Module:
    config = MANIFEST["unet_config"]
    with torch.device("meta"):
        if name.endswith("_unet"):
            return PASDUNet2DConditionModel(**config, paca_type="light" if "light" in name else "full")
        unet = PASDUNet2DConditionModel(**config)
        return PASDControlNetModel.from_unet(unet, load_weights_from_unet=False, use_rrdb="rrdb" in name)


def test_manifest_lists_the_five_released_models():
    assert sorted(MANIFEST["manifests"]) == sorted(
        ["pasd_unet", "pasd_controlnet", "pasd_rrdb_controlnet", "pasd_light_unet", "pasd_light_controlnet"]
    )


@pytest.mark.parametrize("name", sorted(MANIFEST["manifests"]))
def test_keys_and_shapes_equal_the_release(name):
    ours = {k: list(v.shape) for k, v in _build(name).state_dict().items()}
    release = MANIFEST["manifests"][name]
    assert sorted(set(release) - set(ours)) == [], "missing keys"
    assert sorted(set(ours) - set(release)) == [], "extra keys"
    assert {k: v for k, v in ours.items() if v != release[k]} == {}, "shape mismatches"


def test_sd15_config_constant_is_the_release_config():
    from pasd.models import SD15_UNET_CONFIG

    as_lists = {k: list(v) if isinstance(v, tuple) else v for k, v in SD15_UNET_CONFIG.items()}
    assert as_lists == MANIFEST["unet_config"]
