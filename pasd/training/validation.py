"""Validation during training: the current networks in :class:`~pasd.pipeline.PASDPipeline` on a fixed small set.

The set is built once: centre HQ crops at the training resolution and their LQ at 1/4 size,
degraded with ``pasd_x4`` under a fixed seed, so every validation sees the same inputs. Each run
writes ``validation/step-N/<id>.png`` and returns the mean of each metric (PSNR on Y by default;
callers may add others, e.g. LPIPS from the benchmark engine).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pasd.degradation.config import DegradationConfig
from pasd.degradation.image_io import read_rgb8, to_rgb8, to_tensor, write_png
from pasd.degradation.pipeline import DegradationPipeline
from pasd.degradation.sampling import image_rng, sample_params
from pasd.training.data import HQItem, read_caption

logger = logging.getLogger(__name__)

#: metric name -> fn(output uint8 HxWx3, HQ uint8 HxWx3) -> score
MetricFn = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class ValidationImage:
    """One fixed validation input: LQ (1/4 size), HQ crop and the positive prompt."""

    image_id: str
    lq: np.ndarray
    hq: np.ndarray
    prompt: str


def psnr_y(pred: np.ndarray, gt: np.ndarray) -> float:
    """PSNR (dB) on Y with a 4-pixel border crop: BasicSR's function, the suite's ``psnr`` convention."""
    # importing any pasd module installed the basicsr/torchvision shim already
    from basicsr.metrics.psnr_ssim import calculate_psnr

    # basicsr's Y formula expects BGR channel order
    return float(calculate_psnr(pred[..., ::-1], gt[..., ::-1], 4, test_y_channel=True))


def build_validation_set(
    items: Sequence[HQItem], n: int, resolution: int, config: DegradationConfig, seed: int
) -> list[ValidationImage]:
    """The first ``n`` images: centre crop, degrade (fixed seed, LQ at 1/scale), caption as prompt.

    Raises:
        ValueError: If ``items`` is empty.
    """
    from pasd.pipeline.prompts import ADDED_PROMPT, compose_prompt

    if not items:
        raise ValueError("no validation images")
    pipeline = DegradationPipeline(config)
    out = []
    for item in list(items)[:n]:
        img, _ = read_rgb8(item.path)
        h, w = img.shape[:2]
        top, left = (h - resolution) // 2, (w - resolution) // 2
        hq = np.ascontiguousarray(img[top : top + resolution, left : left + resolution])
        params = sample_params(config, image_rng(seed, f"validation/{item.image_id}"))
        lq = pipeline(to_tensor(hq)[None], [params])[0]
        prompt = compose_prompt(read_caption(item.caption_path), "", ADDED_PROMPT)
        out.append(ValidationImage(item.image_id, to_rgb8(lq), hq, prompt))
    return out


class Validator:
    """Run the pipeline on the validation set and score it.

    Args:
        images: From :func:`build_validation_set`.
        out_dir: The run folder (images go to ``validation/``).
        steps: Denoising steps (official inference: 20).
        metrics: Extra metric functions beside ``psnr``.
        use_paca: False for a model trained without PACA.
        seed: Seed of the pipeline's generator (the same for every validation).
    """

    def __init__(
        self,
        images: Sequence[ValidationImage],
        out_dir: str | Path,
        steps: int = 20,
        metrics: Mapping[str, MetricFn] | None = None,
        use_paca: bool = True,
        seed: int = 0,
    ) -> None:
        self.images, self.out_dir, self.steps = list(images), Path(out_dir) / "validation", steps
        self.metrics: dict[str, MetricFn] = {"psnr": psnr_y, **(metrics or {})}
        self.use_paca, self.seed = use_paca, seed
        for img in self.images:
            name = _file_name(img.image_id)
            write_png(self.out_dir / "lq" / name, img.lq)
            write_png(self.out_dir / "hq" / name, img.hq)

    @torch.no_grad()
    def __call__(self, step: int, unet: Any, controlnet: Any, vae: Any, text_encoder: Any, tokenizer: Any,
                 scheduler_config: Mapping[str, Any]) -> dict[str, float]:  # fmt: skip
        """Restore every validation image with the given networks; returns ``{"val_<metric>": mean}``."""
        from diffusers import UniPCMultistepScheduler

        from pasd.pipeline.pipeline import PASDPipeline

        pipe = PASDPipeline(
            vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, controlnet=controlnet,
            scheduler=UniPCMultistepScheduler.from_config(scheduler_config),
        )  # fmt: skip
        pipe.set_progress_bar_config(disable=True)
        was_training = unet.training, controlnet.training
        unet.eval(), controlnet.eval()
        scores: dict[str, list[float]] = {k: [] for k in self.metrics}
        try:
            for img in self.images:
                h = img.hq.shape[0]
                out = pipe(
                    img.lq, prompt=img.prompt, upscale=h // img.lq.shape[0], process_size=h,
                    num_inference_steps=self.steps, generator=torch.Generator("cpu").manual_seed(self.seed),
                    use_paca=self.use_paca, output_type="np",
                ).images[0]  # fmt: skip
                write_png(self.out_dir / f"step-{step:08d}" / _file_name(img.image_id), out)
                for name, fn in self.metrics.items():
                    scores[name].append(float(fn(out, img.hq)))
        finally:
            unet.train(was_training[0]), controlnet.train(was_training[1])
        return {f"val_{k}": float(np.mean(v)) for k, v in scores.items() if v}


def _file_name(image_id: str) -> str:
    return image_id.replace("/", "__") + ".png"
