"""At the released size our modules have exactly the released checkpoints' keys and shapes.

``data/stablesr_manifest.json`` (copied from the project's shared reference) lists every key and
shape of IceClear/StableSR 398ee93's ``UNetModelDualcondV2`` (``model.diffusion_model``),
``EncoderUNetModelWT`` (``structcond_stage_model``) and ``AutoencoderKLResi`` (``vqgan_cfw``),
built with ``configs/stableSRNew/v2-finetune_text_T_512.yaml`` on the meta device. Ours are built
on the meta device too and mapped through the strict name tables of ``baselines.stablesr.keys``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baselines.stablesr import configs, loading

MANIFEST = json.loads((Path(__file__).parent / "data" / "stablesr_manifest.json").read_text())
COMPONENTS = {"model.diffusion_model": "unet", "structcond_stage_model": "encoder", "vqgan_cfw": "cfw"}


@pytest.fixture(scope="module")
def release_models():
    return loading.empty_models(configs.load_config())


def _ours(models, component: str) -> dict[str, list[int]]:
    model = models[component]
    return {
        k: list(v) for k, v in loading.release_shapes(model, loading.key_groups(component, model)).items()
    }


def test_release_config_is_the_manifest_config():
    cfg = configs.load_config()
    for section in ("unet_config", "encoder_config", "vae_ddconfig"):
        shared = {k: v for k, v in MANIFEST[section].items() if k in cfg[section]}
        assert shared == cfg[section], section


@pytest.mark.parametrize("manifest", sorted(COMPONENTS))
def test_keys_and_shapes_equal_the_release(release_models, manifest):
    ours = _ours(release_models, COMPONENTS[manifest])
    release = MANIFEST["manifests"][manifest]
    assert sorted(set(release) - set(ours)) == [], "released keys we do not fill"
    assert sorted(set(ours) - set(release)) == [], "our parameters the release lacks"
    assert {k: v for k, v in ours.items() if v != release[k]} == {}, "shape mismatches"


def test_first_stage_is_the_cfw_layout_without_fusion(release_models):
    """``first_stage_model`` is LDM's plain ``AutoencoderKL``: the CFW keys minus the fusion layers."""
    cfw = {k: v for k, v in MANIFEST["manifests"]["vqgan_cfw"].items() if ".fusion_layer_" not in k}
    assert _ours(release_models, "first_stage") == cfw


def test_parameter_counts_add_up_to_the_released_file():
    """The released 6,481,647,231-byte file: fp32 UNet+SFT, encoder, SD 2.1 VAE and OpenCLIP-H text
    tower, plus Adam moments of the trainable SFT + encoder parameters, within 1.1 MB of pickle."""
    import math

    m = MANIFEST["manifests"]
    unet, enc = (
        sum(math.prod(s) for s in m[k].values()) for k in ("model.diffusion_model", "structcond_stage_model")
    )
    vae = sum(math.prod(s) for k, s in m["vqgan_cfw"].items() if ".fusion_layer_" not in k)
    w, layers, vocab, ctx = 1024, 24, 49408, 77
    text = vocab * w + ctx * w + layers * (12 * w * w + 13 * w) + 2 * w + w * w + 1
    spade = sum(math.prod(s) for k, s in m["model.diffusion_model"].items() if ".spade." in k)
    total = 4 * (unet + enc + vae + text) + 2 * 4 * (spade + enc)
    assert 0 < 6_481_647_231 - total < 1_100_000
