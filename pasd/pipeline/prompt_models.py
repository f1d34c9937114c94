"""Prompt sources backed by networks: ResNet-50 class, YOLOv8 detection counts, BLIP caption.

Weights come only from :mod:`pasd.hub` (``resnet50``, ``yolov8n``, ``blip-caption``); a missing
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


@PROMPT_SOURCES.register("caption")
class BlipCaptionPromptSource(PromptSource):
    """A BLIP caption (transformers ``BlipForConditionalGeneration``), degradation words made positive.

    The official default captioner is BLIP base fine-tuned on COCO (via LAVIS); the ``blip-caption``
    artifact is the same model family in transformers format.

    Args:
        weights_path: Explicit model folder (else ``pasd.hub.resolve("blip-caption")``).
        device: Torch device.
        max_new_tokens: Caption length limit.
    """

    name = "caption"

    def __init__(self, weights_path: str | Path | None = None, device: str = "cpu", max_new_tokens: int = 30):
        self.weights_path, self.device, self.max_new_tokens = weights_path, device, max_new_tokens

    def load(self) -> None:
        from transformers import BlipForConditionalGeneration, BlipProcessor

        from pasd.hub import resolve

        folder = resolve("blip-caption", path=self.weights_path)
        self.processor = BlipProcessor.from_pretrained(str(folder))
        self.model = BlipForConditionalGeneration.from_pretrained(str(folder)).eval().to(self.device)

    @torch.no_grad()
    def describe(self, image: Image.Image) -> str:
        inputs = self.processor(images=image, return_tensors="pt").to(self.device)
        ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens)
        caption = self.processor.decode(ids[0], skip_special_tokens=True).strip()
        return substitute_words(caption, CAPTION_SUBSTITUTIONS)
