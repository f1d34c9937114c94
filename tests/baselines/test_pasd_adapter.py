"""PASD methods behind the Method interface (tiny random weights; no downloads)."""

import numpy as np
import pytest

import baselines
from baselines.base import METHODS, MethodNotAvailableError, create_method

NAMES = ("pasd", "pasd-light", "pasd-rrdb", "pasd-tiny", "pasd-abl-a", "pasd-abl-b", "pasd-abl-c", "pasd-abl-d",
         "pasd-stylize")  # fmt: skip


def test_all_variants_registered():
    assert baselines.METHODS is METHODS
    for name in NAMES:
        assert name in METHODS


def test_weights_and_flags():
    pasd = create_method("pasd")
    assert pasd.stochastic and pasd.scale == 4
    assert pasd.weights == ("sd15", "pasd", "coca-vit-l14")  # default prompt source: CoCa caption (official)
    assert create_method("pasd", prompt_source="class").weights == ("sd15", "pasd", "resnet50")
    assert create_method("pasd-light").weights[:2] == ("sd15", "pasd_light")
    assert create_method("pasd-rrdb").weights[:2] == ("sd15", "pasd_rrdb")
    assert create_method("pasd-abl-b").weights == ("sd15", "pasd")  # null prompt: no captioner
    tiny = create_method("pasd-tiny")
    assert tiny.random_weights and tiny.weights == () and "random weights" in tiny.label


def test_ablation_switches():
    b, c, d = (create_method(f"pasd-abl-{x}").options for x in "bcd")
    assert (b["prompt_source"], b["added_prompt"], b["negative_prompt"]) == ("none", "", "")
    assert c["prompt_source"] == "caption" and c["negative_prompt"] == ""
    assert d["prompt_source"] == "none" and d["added_prompt"] == "" and d["negative_prompt"]


def test_unavailable_variants_explain_why(tmp_path):
    with pytest.raises(MethodNotAvailableError, match="never|not release"):
        create_method("pasd-abl-a")
    with pytest.raises(MethodNotAvailableError, match="style_model"):
        create_method("pasd-stylize")
    with pytest.raises(MethodNotAvailableError, match="neither a pasd.hub artifact"):
        create_method("pasd-stylize", style_model="/x/toonyou.safetensors")
    (tmp_path / "toonyou.safetensors").write_bytes(b"")
    sty = create_method("pasd-stylize", style_model=str(tmp_path / "toonyou.safetensors"))
    assert sty.task == "stylization" and sty.scale == 1
    assert create_method("pasd-stylize", style_model="toonyou").weights[-1] == "toonyou"


def test_unknown_param_is_rejected():
    with pytest.raises(ValueError, match="unknown params"):
        create_method("pasd", step=3)


def test_missing_weights_reported(isolated_caches):
    assert create_method("pasd").missing_weights() == ["sd15", "pasd", "coca-vit-l14"]
    from pasd.hub import MissingWeightsError

    with pytest.raises(MissingWeightsError, match="pasd-bench weights fetch sd15"):
        create_method("pasd")(np.zeros((8, 8, 3), np.uint8), seed=0)


def test_tiny_runs_real_pipeline(isolated_caches):
    from PIL import Image
    from skimage.data import chelsea

    lq = np.asarray(Image.fromarray(chelsea()).resize((24, 16)))
    m = create_method("pasd-tiny", process_size=64)
    a = m(lq, seed=0)
    assert a.shape == (64, 96, 3) and a.dtype == np.uint8
    assert (isolated_caches / "pasd-home" / "tiny").is_dir()  # built on first use, under PASD_BENCH_HOME
    assert np.array_equal(a, m(lq, seed=0))
    assert not np.array_equal(a, m(lq, seed=1))
    with pytest.raises(ValueError, match="seed"):
        m(lq)


class _FakePipe:
    """Records what the adapter asks the pipeline for (the ablations are only prompt switches)."""

    def __init__(self):
        self.calls = []

    def __call__(self, image, **kwargs):
        from types import SimpleNamespace

        self.calls.append(kwargs)
        h, w = image.shape[:2]
        return SimpleNamespace(images=[np.zeros((h * kwargs["upscale"], w * kwargs["upscale"], 3), np.uint8)])


@pytest.mark.parametrize(
    ("name", "prompt", "negative"),
    [("pasd-abl-b", "", ""), ("pasd-abl-d", "", "blurry, dotted"), ("pasd-abl-c", "a cat, clean", "")],
)
def test_ablations_reach_the_pipeline(name, prompt, negative):
    from pasd.pipeline.prompts import create_prompt_source

    m = create_method(name)
    m.pipe = _FakePipe()
    # stand-in for the captioner (c): a fixed "a cat"; b and d use the null source
    caption = m.options["prompt_source"] == "caption"
    m.prompt_source = create_prompt_source("fixed", text="a cat") if caption else create_prompt_source("none")
    m._loaded = True
    out = m(np.zeros((8, 8, 3), np.uint8), seed=3)
    assert out.shape == (32, 32, 3)
    call = m.pipe.calls[0]
    assert call["prompt"].startswith(prompt) and (prompt or call["prompt"] == "")
    assert call["negative_prompt"].startswith(negative) and (negative or call["negative_prompt"] == "")
    assert call["num_inference_steps"] == 20 and call["guidance_scale"] == 9.0
