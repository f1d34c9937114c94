"""Prompt sources: pluggable registry, null/fixed sources, composition, network sources on tiny weights."""

import pytest
import torch
from PIL import Image

from pasd.hub import MissingWeightsError
from pasd.pipeline.prompt_models import format_counts
from pasd.pipeline.prompts import (
    ADDED_PROMPT,
    PROMPT_SOURCES,
    PromptSource,
    compose_prompt,
    create_prompt_source,
    substitute_words,
)

IMG = Image.new("RGB", (40, 30), (120, 80, 40))


def test_null_source_gives_empty_prompt():
    assert create_prompt_source("none")(IMG) == ""
    assert compose_prompt("", "", "") == ""


def test_fixed_source_and_composition():
    assert create_prompt_source("fixed", text="a dog")(IMG) == "a dog"
    source = create_prompt_source("fixed", text="a dog")
    assert source.compose(source(IMG)) == f"a dog, {ADDED_PROMPT}"  # official: f"{prompt}, " + added


def test_sources_are_pluggable():
    @PROMPT_SOURCES.register("mean-colour")
    class MeanColour(PromptSource):
        def describe(self, image):
            return "reddish" if image.getpixel((0, 0))[0] > 100 else "dark"

    assert create_prompt_source("mean-colour")(IMG) == "reddish"
    with pytest.raises(KeyError, match="mean-colour|Did you mean|caption"):
        create_prompt_source("captio")


def test_official_word_substitutions():
    assert substitute_words("a blurry photo of a noisy street") == "a clear photo of a clean street"
    from pasd.pipeline.prompts import COLORIZE_SUBSTITUTIONS

    assert substitute_words("a black and white photo", COLORIZE_SUBSTITUTIONS) == "a color photo"


def test_detection_counts_format():
    assert format_counts(["dog", "person", "dog"]) == "2 dog, 1 person"
    assert format_counts([]) == ""


@pytest.mark.parametrize(("name", "artifact"), [("class", "resnet50"), ("blip", "blip-caption"),
                                                ("caption", "coca-vit-l14"), ("detect", "yolov8n")])  # fmt: skip
def test_missing_weights_error_names_fetch_command(isolated_caches, name, artifact):
    with pytest.raises(MissingWeightsError, match=f"pasd-bench weights fetch {artifact}"):
        create_prompt_source(name)(IMG)


@pytest.fixture(scope="module")
def resnet_file(tmp_path_factory):
    """A torchvision resnet50 state_dict (real format) whose head always says class 281 (tabby)."""
    from torchvision.models import resnet50

    torch.manual_seed(0)
    model = resnet50(weights=None)
    state = {k: v.half() for k, v in model.state_dict().items()}  # half: a smaller temp file
    state["fc.weight"].zero_()
    state["fc.bias"].zero_()
    state["fc.bias"][281] = 20.0
    path = tmp_path_factory.mktemp("rn") / "resnet50.pth"
    torch.save(state, path)
    return path


def test_resnet_class_source_reads_hub_layout(isolated_caches, resnet_file):
    import shutil

    from pasd.hub import get_artifact

    rel = get_artifact("resnet50").files[0].path
    dest = isolated_caches / "pasd-home" / "weights" / "resnet50" / rel
    dest.parent.mkdir(parents=True)
    shutil.copy(resnet_file, dest)
    src = create_prompt_source("class")
    assert src(IMG) == "tabby"
    src.min_prob = 1.01  # nothing clears an impossible threshold
    assert src(IMG) == ""


def _save_tiny_blip(out):
    """A random BLIP captioner in transformers' format whose decoder always says "blurry"."""
    import json

    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "blurry", "noisy", "photo"]
    out.mkdir(parents=True)
    images = BlipImageProcessor(size={"height": 32, "width": 32})
    proc = BlipProcessor(
        image_processor=images, tokenizer=BertTokenizer(vocab={w: i for i, w in enumerate(words)})
    )
    small = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}
    config = BlipConfig(
        text_config={**small, "vocab_size": len(words), "encoder_hidden_size": 16, "bos_token_id": 2,
                     "sep_token_id": 3, "pad_token_id": 0, "max_position_embeddings": 40},
        vision_config={**small, "image_size": 32, "patch_size": 8},
    )  # fmt: skip
    torch.manual_seed(0)
    model = BlipForConditionalGeneration(config).eval()
    head = model.text_decoder.cls.predictions
    with torch.no_grad():
        head.decoder.weight.zero_()
        head.bias.zero_()
        head.bias[words.index("blurry")] = 10.0
    model.save_pretrained(out)
    # the Hub repo (at the pinned commit) ships pytorch_model.bin, not model.safetensors
    (out / "model.safetensors").unlink()
    torch.save(model.state_dict(), out / "pytorch_model.bin")
    proc.save_pretrained(out)
    # the artifact's file list (the Hub repo's files) also names these, which transformers 5 no longer writes
    (out / "vocab.txt").write_text("\n".join(words) + "\n")
    images.to_json_file(out / "preprocessor_config.json")
    (out / "special_tokens_map.json").write_text(json.dumps({"pad_token": "[PAD]", "sep_token": "[SEP]"}))


def test_blip_caption_source_substitutes_words(isolated_caches):
    _save_tiny_blip(isolated_caches / "pasd-home" / "weights" / "blip-caption")
    source = create_prompt_source("blip", generate_kwargs={"max_length": 7, "min_length": 1, "num_beams": 1})
    # "blurry" x3 made positive; the tiny vocabulary lacks "picture of", so only "a" of the prompt survives
    assert source(IMG) == "a clear clear clear"
