"""SD img2img, ControlNet and InstructPix2Pix on the personalized base (tiny random weights, no downloads).

Golden slices pin the numerics of each tiny pipeline (diffusers style: a 3x3 corner of the
output, within 2 grey levels); they catch a changed default, scheduler or conversion, not quality.
"""

import numpy as np
import pytest
import torch
from PIL import Image

from baselines.base import MethodNotAvailableError, create_method
from baselines.ip2p_merge import add_difference
from baselines.sd_stylize import fit_image, fit_size
from tests.baselines import tiny_diffusion

FAST = {"steps": 2, "resolution": 128}  # 150x100 input -> 192x128 working size


@pytest.fixture(scope="module")
def weights_root(tmp_path_factory):
    """A ``$PASD_BENCH_HOME`` with every tiny artifact (built once for the module)."""
    home = tmp_path_factory.mktemp("stylize-home")
    tiny_diffusion.write_all(home / "weights")
    return home


@pytest.fixture
def home(isolated_caches, weights_root, monkeypatch):
    monkeypatch.setenv("PASD_BENCH_HOME", str(weights_root))
    return weights_root


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    from skimage.data import chelsea

    return np.asarray(Image.fromarray(chelsea()).resize((150, 100), Image.BICUBIC))


GOLDEN = {
    "sd-img2img": [128, 132, 139, 128, 124, 131, 126, 112, 119],
    "controlnet-tile": [129, 132, 140, 130, 124, 129, 126, 110, 114],
    "controlnet-canny": [128, 131, 142, 128, 123, 130, 126, 111, 118],
    "instructpix2pix": [146, 148, 153, 147, 164, 177, 149, 166, 171],
}
CASES = [
    ("sd-img2img", "sd-img2img", {}),
    ("controlnet-tile", "controlnet", {"control": "tile"}),
    ("controlnet-canny", "controlnet", {"control": "canny"}),
    ("instructpix2pix", "instructpix2pix", {}),
]


@pytest.mark.library_init  # the golden slice depends on how transformers initialises the tiny text encoder
@pytest.mark.parametrize(("key", "name", "params"), CASES, ids=[c[0] for c in CASES])
def test_end_to_end_deterministic_per_seed_with_golden_slice(home, image, key, name, params):
    m = create_method(name, style_model="toonyou", **FAST, **params)
    assert m.missing_weights() == [] and "toonyou" in m.weights and m.stochastic
    out = m(image, seed=0)
    assert out.shape == (128, 192, 3) and out.dtype == np.uint8  # edit_cli's fitted size, not the input's
    assert np.array_equal(out, m(image, seed=0))
    assert not np.array_equal(out, m(image, seed=1))
    got = out[:3, :3, 0].astype(int).flatten()
    assert np.abs(got - np.array(GOLDEN[key])).max() <= 2, got.tolist()
    with pytest.raises(ValueError, match="seed"):
        m(image)


@pytest.mark.parametrize("name", ["sd-img2img", "controlnet"])
def test_style_model_replaces_the_unet(home, image, name):
    m = create_method(name, style_model="toonyou", **FAST)
    m(image, seed=0)
    want = tiny_diffusion.style_unet().state_dict()
    got = m.pipe.unet.state_dict()
    assert all(torch.equal(got[k], v) for k, v in want.items())  # via the single file's LDM keys


def test_style_model_as_a_diffusers_folder(home, image, tmp_path):
    tiny_diffusion.style_unet().save_pretrained(tmp_path / "toon" / "unet")
    a = create_method("sd-img2img", style_model=str(tmp_path / "toon"), **FAST)
    assert a.weights == ("sd15",)  # a path is not an artifact
    b = create_method("sd-img2img", style_model="toonyou", **FAST)
    assert np.array_equal(a(image, seed=0), b(image, seed=0))  # same UNet weights, same bytes


def test_ip2p_pipeline_runs_the_merged_unet(home, image):
    from diffusers import UNet2DConditionModel

    m = create_method("instructpix2pix", style_model="toonyou", **FAST)
    m(image, seed=0)
    ip2p = UNet2DConditionModel.from_pretrained(
        str(home / "weights" / "instruct-pix2pix" / "unet")
    ).state_dict()
    base = UNet2DConditionModel.from_pretrained(str(home / "weights" / "sd15" / "unet")).state_dict()
    style = tiny_diffusion.style_unet().state_dict()
    got = m.pipe.unet.state_dict()
    for k, v in ip2p.items():
        if k == "conv_in.weight":
            torch.testing.assert_close(got[k][:, :4], v[:, :4] + style[k] - base[k])
            assert torch.equal(got[k][:, 4:], v[:, 4:])  # image-conditioning channels untouched
        else:
            torch.testing.assert_close(got[k], v + style[k] - base[k])


def test_add_difference_equals_its_formula():
    from diffusers import UNet2DConditionModel

    from pasd.tiny import build_tiny_unet, tiny_unet_config

    torch.manual_seed(11)
    ip2p = UNet2DConditionModel(**{**tiny_unet_config(), "in_channels": 8}).state_dict()
    style, base = build_tiny_unet(1).state_dict(), build_tiny_unet(2).state_dict()
    merged = add_difference(ip2p, style, base, multiplier=0.5)
    assert set(merged) == set(ip2p) and all(merged[k].shape == ip2p[k].shape for k in ip2p)
    k = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"
    assert torch.allclose(merged[k], ip2p[k] + 0.5 * (style[k] - base[k]))
    ci = merged["conv_in.weight"]
    assert torch.allclose(
        ci[:, :4], ip2p["conv_in.weight"][:, :4] + 0.5 * (style["conv_in.weight"] - base["conv_in.weight"])
    )
    assert torch.equal(ci[:, 4:], ip2p["conv_in.weight"][:, 4:])
    same = add_difference(ip2p, base, base)  # no personalization: InstructPix2Pix unchanged
    assert all(torch.equal(same[k], ip2p[k]) for k in ip2p)
    half = {kk: v.half() for kk, v in ip2p.items()}
    assert add_difference(half, style, base)[k].dtype == torch.float16
    with pytest.raises(KeyError, match="differ"):
        add_difference(ip2p, {**style, "extra.weight": torch.zeros(1)}, base)
    with pytest.raises(ValueError, match="vs SD1.5"):
        add_difference({**ip2p, k: torch.zeros(3, 3)}, style, base)


def test_control_images(home, image):
    import cv2

    tile = create_method("controlnet", style_model="toonyou", **FAST)
    canny = create_method(
        "controlnet", style_model="toonyou", control="canny", canny_low=50, canny_high=150, **FAST
    )
    fitted = fit_image(image, 128)
    assert tile.control_image(fitted) is fitted
    edges = np.asarray(canny.control_image(fitted))
    assert edges.shape == (128, 192, 3) and np.array_equal(
        edges[..., 1], cv2.Canny(np.asarray(fitted), 50, 150)
    )
    assert canny.weights[:2] == ("sd15", "controlnet-canny") and tile.weights[:2] == (
        "sd15",
        "controlnet-tile",
    )
    with pytest.raises(ValueError, match="control='depth' is not one of"):
        create_method("controlnet", style_model="toonyou", control="depth")


def test_fit_follows_edit_cli():
    assert fit_size(1024, 1024) == (512, 512)  # FFHQ
    assert fit_size(2040, 1356) == (576, 384)  # Flickr2K: the short side rounds up to 384 first
    assert fit_size(1356, 2040) == (384, 576)
    assert fit_size(640, 480) == (512, 384)
    img = np.zeros((100, 150, 3), np.uint8)
    assert fit_image(img, 512).size == (576, 384)
    assert fit_size(400, 10, 64) == (2560, 64)  # the short side never drops below 64


def test_empty_instruction_returns_the_fitted_input(home, image):
    m = create_method("instructpix2pix", style_model="toonyou", instruction="", **FAST)
    assert np.array_equal(m(image, seed=0), np.asarray(fit_image(image, 128)))


def test_style_model_problems_are_clear(isolated_caches):
    for name in ("sd-img2img", "controlnet", "instructpix2pix"):
        with pytest.raises(MethodNotAvailableError, match="needs a personalized base model"):
            create_method(name)
        with pytest.raises(MethodNotAvailableError, match="neither a pasd.hub artifact"):
            create_method(name, style_model="/nowhere/toon.safetensors")
        assert "toonyou" in create_method(name, style_model="toonyou").missing_weights()
    m = create_method("sd-img2img", style_model="toonyou")
    assert (m.options["strength"], m.options["steps"], m.options["cfg"]) == (
        0.8,
        50,
        7.5,
    )  # diffusers defaults
    ip = create_method("instructpix2pix", style_model="toonyou").options
    assert (ip["steps"], ip["cfg"], ip["image_cfg"]) == (100, 7.5, 1.5)  # edit_cli.py defaults
    with pytest.raises(ValueError, match="unknown params"):
        create_method("sd-img2img", style_model="toonyou", strenght=0.5)


def test_full_single_file_replaces_vae_and_text_encoder(home):
    """A single file with VAE keys (a full checkpoint) also brings its VAE and CLIP text encoder."""
    from diffusers import StableDiffusionImg2ImgPipeline

    from baselines.style_model import load_ldm_text_encoder
    from pasd.tiny import build_tiny_text_encoder

    pipe = StableDiffusionImg2ImgPipeline.from_pretrained(str(home / "weights" / "sd15"), safety_checker=None)
    other = build_tiny_text_encoder(seed=9).state_dict()
    ckpt = {f"cond_stage_model.transformer.{k}": v for k, v in other.items()}
    ckpt["cond_stage_model.transformer.text_model.embeddings.position_ids"] = torch.arange(77)[None]
    assert load_ldm_text_encoder(pipe.text_encoder, ckpt)
    got = pipe.text_encoder.state_dict()
    assert all(torch.equal(got[k], v) for k, v in other.items())
    assert not load_ldm_text_encoder(pipe.text_encoder, {"model.diffusion_model.x": torch.zeros(1)})
