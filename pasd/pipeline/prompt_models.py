"""Prompt sources backed by networks: ResNet-50 class, YOLOv8 detection counts, CoCa and BLIP captions.

Weights come only from :mod:`pasd.hub` (``resnet50``, ``yolov8n``, ``coca-vit-l14``, ``blip-caption``); a missing
artifact raises :class:`pasd.hub.MissingWeightsError` naming ``pasd-bench weights fetch NAME``.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import torch
from PIL import Image

from pasd.pipeline.prompts import CAPTION_SUBSTITUTIONS, PROMPT_SOURCES, PromptSource, substitute_words

logger = logging.getLogger(__name__)

#: the official script keeps the top ImageNet class only when its probability reaches this
CLASS_MIN_PROB = 0.1


@PROMPT_SOURCES.register("class")
class ResNetClassPromptSource(PromptSource):
    """Top-1 ImageNet class of torchvision's ResNet-50 (``IMAGENET1K_V2``) when its prob >= 0.1.

    Args:
        weights_path: Explicit checkpoint file or folder (else ``pasd.hub.resolve_file("resnet50")``).
        device: Torch device.
        min_prob: Probability threshold.
    """

    name = "class"

    def __init__(
        self, weights_path: str | Path | None = None, device: str = "cpu", min_prob: float = CLASS_MIN_PROB
    ):
        self.weights_path, self.device, self.min_prob = weights_path, device, min_prob

    def load(self) -> None:
        from torchvision.models import ResNet50_Weights, resnet50

        from pasd.hub import resolve_file

        path = resolve_file("resnet50", path=self.weights_path)
        meta = ResNet50_Weights.IMAGENET1K_V2  # preprocessing + category names only: no download
        model = resnet50(weights=None)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        self.model = model.eval().to(self.device)
        self.preprocess, self.categories = meta.transforms(), meta.meta["categories"]

    @torch.no_grad()
    def describe(self, image: Image.Image) -> str:
        batch = self.preprocess(image).unsqueeze(0).to(self.device)
        probs = self.model(batch).squeeze(0).float().softmax(0)
        prob, idx = probs.max(0)
        return self.categories[int(idx)] if float(prob) >= self.min_prob else ""


@PROMPT_SOURCES.register("detect")
class YoloDetectPromptSource(PromptSource):
    """Object counts from ultralytics YOLOv8n, e.g. ``"2 dog, 1 person"`` (optional extra ``yolo``).

    Args:
        weights_path: Explicit ``yolov8n.pt`` (else ``pasd.hub.resolve_file("yolov8n")``).
        device: Torch device.
        imgsz: Inference size (official: 640).
    """

    name = "detect"

    def __init__(self, weights_path: str | Path | None = None, device: str = "cpu", imgsz: int = 640):
        self.weights_path, self.device, self.imgsz = weights_path, device, imgsz

    def load(self) -> None:
        from pasd.hub import resolve_file
        from pasd.utils.optional import require

        path = resolve_file("yolov8n", path=self.weights_path)
        ultralytics = require("ultralytics", "yolo")
        self.model = ultralytics.YOLO(str(path))

    def describe(self, image: Image.Image) -> str:
        result = self.model.predict(image, imgsz=self.imgsz, verbose=False, save=False, device=self.device)[0]
        classes = [int(c) for c in result.boxes.cls.cpu().tolist()]
        return format_counts([result.names[c] for c in classes])


def format_counts(names: list[str]) -> str:
    """``["dog", "person", "dog"]`` -> ``"2 dog, 1 person"`` (first-seen order, as the official code)."""
    return ", ".join(f"{n} {name}" for name, n in Counter(names).items())


#: the official default captioner (test_pasd.py load_high_level_net, without --use_blip)
COCA_MODEL = "coca_ViT-L-14"
COCA_PRETRAINED = "mscoco_finetuned_laion2B-s13B-b90k"


@PROMPT_SOURCES.register("caption")
class CocaCaptionPromptSource(PromptSource):
    """The official default caption: open_clip CoCa ViT-L/14 fine-tuned on MS-COCO, beam search.

    Reproduces test_pasd.py: ``open_clip.create_model_and_transforms("coca_ViT-L-14",
    pretrained="mscoco_finetuned_laion2B-s13B-b90k")``, its validation transform,
    ``model.generate(image)`` with open_clip's defaults (beam search, 6 beams in 3 groups, 30
    tokens), ``open_clip.decode`` cut at ``<end_of_text>``, then "blurry"->"clear",
    "noisy"->"clean". The caption keeps open_clip's trailing space. The official script leaves the
    model on the CPU in float32 (its ``torch.cuda.amp.autocast`` has no effect there); this source
    runs float32 on ``device``.

    Args:
        weights_path: Explicit checkpoint file or folder (else ``pasd.hub.resolve_file("coca-vit-l14")``,
            which also finds open_clip's own Hugging Face cache entry).
        device: Torch device.
        model_name: open_clip model config (tests register a tiny one).
    """

    name = "caption"

    def __init__(
        self, weights_path: str | Path | None = None, device: str = "cpu", model_name: str = COCA_MODEL
    ):
        self.weights_path, self.device, self.model_name = weights_path, device, model_name

    def load(self) -> None:
        from pasd.hub import resolve_file

        path = resolve_file("coca-vit-l14", path=self.weights_path)
        try:
            import open_clip
        except ImportError as exc:  # declared as a dependency; a broken install should still say so
            raise ImportError("the CoCa caption source needs open_clip: pip install open_clip_torch") from exc
        from pasd.compat.open_clip_beam import ensure_coca_generate

        ensure_coca_generate()
        model, _, transform = open_clip.create_model_and_transforms(self.model_name, pretrained=str(path))
        self.model, self.transform, self.open_clip = model.eval().to(self.device), transform, open_clip

    @torch.no_grad()
    def describe(self, image: Image.Image) -> str:
        batch = self.transform(image).unsqueeze(0).to(self.device)
        generated = self.model.generate(batch)
        caption = self.open_clip.decode(generated[0].cpu()).split("<end_of_text>")[0]
        return substitute_words(caption.replace("<start_of_text>", ""), CAPTION_SUBSTITUTIONS)


#: LAVIS ``blip_caption`` generation defaults (beam search), its prompt is stripped from the output
BLIP_PROMPT = "a picture of "
BLIP_GENERATE = {"num_beams": 3, "max_length": 30, "min_length": 10, "repetition_penalty": 1.0}


@PROMPT_SOURCES.register("blip")
class BlipCaptionPromptSource(PromptSource):
    """The ``--use_blip`` caption: BLIP base (COCO captions), degradation words made positive.

    The official code runs LAVIS ``blip_caption``/``base_coco``; LAVIS is not installable next to
    current transformers, so this uses the transformers port (``blip-caption`` artifact) with
    LAVIS's generation settings: the prompt "a picture of ", beam search with 3 beams, 10-30
    tokens, the prompt removed from the caption. The weights are a conversion, so captions can
    differ from LAVIS's in rare near-ties.

    Args:
        weights_path: Explicit model folder (else ``pasd.hub.resolve("blip-caption")``).
        device: Torch device.
        generate_kwargs: Overrides of :data:`BLIP_GENERATE`.
    """

    name = "blip"

    def __init__(
        self, weights_path: str | Path | None = None, device: str = "cpu", generate_kwargs: dict | None = None
    ):
        self.weights_path, self.device = weights_path, device
        self.generate_kwargs = {**BLIP_GENERATE, **(generate_kwargs or {})}

    def load(self) -> None:
        from transformers import BlipForConditionalGeneration, BlipProcessor

        from pasd.hub import resolve

        folder = resolve("blip-caption", path=self.weights_path)
        self.processor = BlipProcessor.from_pretrained(str(folder))
        self.model = BlipForConditionalGeneration.from_pretrained(str(folder)).eval().to(self.device)

    @torch.no_grad()
    def describe(self, image: Image.Image) -> str:
        inputs = self.processor(images=image, text=BLIP_PROMPT, return_tensors="pt").to(self.device)
        ids = self.model.generate(**inputs, **self.generate_kwargs)
        text = self.processor.decode(ids[0], skip_special_tokens=True).strip()
        caption = text[len(BLIP_PROMPT) :] if text.startswith(BLIP_PROMPT.strip()) else text
        return substitute_words(caption.strip(), CAPTION_SUBSTITUTIONS)
