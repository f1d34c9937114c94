"""CartoonGAN, AnimeGANv2 and DCT-Net adapters against their official test procedures (no downloads).

The reference images in ``tests/baselines/data/`` were made once by the official scripts
(CartoonGAN-Test-Pytorch-Torch ``test.py`` with ``--load_size`` typed as int and PNG output;
animegan2-pytorch ``test.py``'s ``test()``) from the weight files that
:func:`tests.baselines.gan_weights.released_random_state` writes; ``gan_official_keys.json``
lists the official modules' parameter names and shapes.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from baselines.archs import AnimeGANv2Generator, CartoonGANGenerator
from baselines.base import MethodNotAvailableError, create_method
from baselines.gan_stylizers import cartoongan_size
from tests.baselines.gan_weights import save_released

DATA = Path(__file__).parent / "data"


def _png(name: str) -> np.ndarray:
    return np.asarray(Image.open(DATA / name).convert("RGB"))


@pytest.fixture
def gan_home(isolated_caches):
    """``$PASD_BENCH_HOME/weights/<artifact>/<file>`` holding the released-format random generators."""
    home = isolated_caches / "pasd-home" / "weights"
    save_released(CartoonGANGenerator(), home / "cartoongan-hayao" / "Hayao_net_G_float.pth")
    save_released(AnimeGANv2Generator(), home / "animeganv2-paprika" / "paprika.pt")
    return home


@pytest.mark.parametrize(
    ("tag", "cls"), [("cartoongan", CartoonGANGenerator), ("animeganv2", AnimeGANv2Generator)]
)
def test_parameter_layout_is_the_official_one(tag, cls):
    official = json.loads((DATA / "gan_official_keys.json").read_text())[tag]
    ours = {k: list(v.shape) for k, v in cls().state_dict().items()}
    assert list(ours) == list(official)  # names and order
    assert ours == official


def test_cartoongan_matches_official_test_script(gan_home):
    m = create_method("cartoongan", load_size=64)
    out = m(_png("gan_input.png"))
    ref = _png("cartoongan_hayao_load64.png")
    assert out.shape == ref.shape == (44, 64, 3)  # 150x100 -> 64x42, generator rounds 42 up to 44
    assert np.abs(out.astype(int) - ref).max() <= 1  # float summation order may differ by one level
    assert (out == ref).mean() > 0.99
    assert "released weights" in m.label and not m.stochastic


@pytest.mark.parametrize(
    ("align", "golden", "shape"),
    [(False, "animeganv2_paprika.png", (100, 148, 3)), (True, "animeganv2_paprika_align.png", (100, 150, 3))],
    ids=["test-py-default", "align-corners"],
)
def test_animegan_matches_official_test_script(gan_home, align, golden, shape):
    out = create_method("animegan", upsample_align=align)(_png("gan_input.png"))
    ref = _png(golden)
    assert out.shape == ref.shape == shape  # without align the x2 decoder loses the odd pixels
    assert np.abs(out.astype(int) - ref).max() <= 1
    assert (out == ref).mean() > 0.99


def test_resize_rule_of_cartoongan_test_script():
    assert cartoongan_size(451, 300, 450) == (450, 299)  # landscape: width to 450, height floored
    assert cartoongan_size(300, 451, 450) == (299, 450)
    assert cartoongan_size(512, 512, 450) == (450, 450)  # square takes the `else` branch
    assert cartoongan_size(100, 50, 450) == (450, 225)  # small images are upscaled too


def test_styles_pick_their_artifact_and_bad_params_fail():
    assert create_method("cartoongan", style="shinkai").weights == ("cartoongan-shinkai",)
    assert create_method("animegan", style="face-paint-512-v2").weights == ("animeganv2-face-paint-512-v2",)
    assert create_method("animegan").options == {"style": "paprika", "upsample_align": False, "x32": False}
    with pytest.raises(ValueError, match="style='ghibli' is not one of"):
        create_method("cartoongan", style="ghibli")
    with pytest.raises(ValueError, match="unknown params"):
        create_method("animegan", steps=3)
    with pytest.raises(ValueError, match="load_size"):
        create_method("cartoongan", load_size="450")


def test_missing_weights_name_the_artifact(isolated_caches):
    from pasd.hub import MissingWeightsError

    m = create_method("cartoongan", style="paprika")
    assert m.missing_weights() == ["cartoongan-paprika"]
    with pytest.raises(MissingWeightsError, match="pasd-bench weights fetch cartoongan-paprika"):
        m(np.zeros((16, 16, 3), np.uint8))


def test_dctnet_without_its_extra_says_how_to_install():
    import importlib.util

    if importlib.util.find_spec("tensorflow") and importlib.util.find_spec("modelscope"):
        pytest.skip("the [dctnet] extra is installed here")
    with pytest.raises(MethodNotAvailableError, match=r"not available: pip install pasd-bench\[dctnet\]"):
        create_method("dct-net")


def test_dctnet_output_conversion_matches_cv2_imwrite(tmp_path):
    import cv2

    from baselines.dctnet_adapter import to_rgb_uint8

    rng = np.random.default_rng(0)
    bgr = rng.uniform(-20, 275, size=(9, 7, 3))
    bgr[0, :3, 0] = [0.5, 1.5, 2.5]  # halves: cv2 rounds them to even
    cv2.imwrite(str(tmp_path / "r.png"), bgr)  # what run_sdk.py does with OUTPUT_IMG
    ref = cv2.imread(str(tmp_path / "r.png"))[:, :, ::-1]
    assert np.array_equal(to_rgb_uint8(bgr), ref)


def test_dctnet_feeds_modelscope_an_rgb_image(monkeypatch, tmp_path):
    """With the extra present, the adapter hands ModelScope's pipeline a PIL (RGB) image and reads OUTPUT_IMG."""
    import sys
    import types

    import baselines.dctnet_adapter as dct

    seen = {}

    def fake_pipeline(task, model):
        seen["task"], seen["model"] = task, model

        def run(img):
            seen["input"] = np.asarray(img)
            return {
                "output_img": np.asarray(img)[:, :, ::-1].astype(np.float32)
            }  # BGR floats, as the graph gives

        return run

    mods = {
        "modelscope": types.ModuleType("modelscope"),
        "modelscope.pipelines": types.SimpleNamespace(pipeline=fake_pipeline),
        "modelscope.utils": types.ModuleType("modelscope.utils"),
        "modelscope.utils.constant": types.SimpleNamespace(
            Tasks=types.SimpleNamespace(image_portrait_stylization="ips")
        ),
        "modelscope.outputs": types.SimpleNamespace(
            OutputKeys=types.SimpleNamespace(OUTPUT_IMG="output_img")
        ),
    }
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.setattr(dct, "missing_modules", lambda: [])
    monkeypatch.setattr(dct, "import_tensorflow_safely", lambda: None)  # the fakes need no TensorFlow
    monkeypatch.setattr("pasd.hub.resolve", lambda name: tmp_path / name)
    img = _png("gan_input.png")
    out = create_method("dct-net")(img)
    assert seen["task"] == "ips" and seen["model"] == str(tmp_path / "dct-net")
    assert np.array_equal(seen["input"], img) and np.array_equal(out, img)
