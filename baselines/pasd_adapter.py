"""PASD behind the :class:`~baselines.base.Method` interface: released models, Table 3 ablations,
personalized stylization and a tiny random-weight variant for plumbing runs.

Table 3 ablations are inference switches of the released model (paper: "we simply replace them
with null-text prompt"): (b) DR only = null positive and negative prompt; (c) high-level info,
no negative prompt; (d) negative prompt, null positive prompt. (a) removes the DR module at
training time and was never released.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from baselines.base import METHODS, Method, MethodNotAvailableError
from pasd.pipeline.prompts import ADDED_PROMPT, NEGATIVE_PROMPT

logger = logging.getLogger(__name__)

#: prompt source -> the pasd.hub artifact it needs
_SOURCE_WEIGHTS = {
    "caption": "coca-vit-l14",
    "blip": "blip-caption",
    "class": "resnet50",
    "detect": "yolov8n",
}
#: params every PASD method accepts (the runner passes preset params straight through)
_PARAMS = (
    "steps", "cfg", "conditioning_scale", "prompt_source", "prompt", "added_prompt", "negative_prompt",
    "process_size", "color_fix", "tile", "tile_batch", "dtype", "init_latents", "added_noise_level",
    "use_paca", "style_model", "style_alpha", "lora", "lora_multiplier", "lora_semantics", "guess_mode",
    "color_fix_precision", "tile_overlap", "vae_encoder_tile", "vae_decoder_tile", "pasd_model",
)  # fmt: skip


class _PASDMethod(Method):
    """Shared PASD adapter: loads the pipeline lazily, composes the prompt, runs one image per call."""

    stochastic = True
    allowed_params = _PARAMS
    # peak RSS of PASDPipeline per output pixel, fp32 on CPU, measured with
    # `python benchmarks/perf/pasd_memory.py` (~446 B at 1024^2 and 2048^2 outputs, tiny weights;
    # the full-resolution image buffers dominate, so real weights need at least this)
    bytes_per_output_pixel = 450.0
    release: ClassVar[str] = "pasd"
    #: preset defaults of this variant (the caller's params override them)
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)  # refuses params not in _PARAMS
        self.options = {
            "steps": 20, "cfg": 9.0, "conditioning_scale": 1.0, "prompt_source": "caption", "prompt": "",
            "added_prompt": ADDED_PROMPT, "negative_prompt": NEGATIVE_PROMPT, "process_size": 768,
            "color_fix": "wavelet", "tile": 320, "tile_batch": 1, "dtype": "auto", "init_latents": "lq",
            "added_noise_level": 900, "use_paca": None, "style_model": None, "style_alpha": 1.0, "lora": None,
            "lora_multiplier": 0.6, "lora_semantics": "official", "guess_mode": False,
            "color_fix_precision": "uint8", "tile_overlap": 8, "vae_encoder_tile": 1024, "vae_decoder_tile": 224,
            "pasd_model": None,
            **self.defaults, **params,
        }  # fmt: skip
        if self.options["pasd_model"]:  # pin the checkpoint (a run folder's newest) so options name it
            from pasd.training.checkpoint import find_model_dir

            try:
                self.options["pasd_model"] = str(find_model_dir(self.options["pasd_model"]).resolve())
            except FileNotFoundError as exc:
                raise MethodNotAvailableError(f"{self.name}: {exc}") from None
        if self.options["dtype"] == "auto":  # the effective dtype changes the outputs: resolve it here
            self.options["dtype"] = "fp16" if str(device).startswith("cuda") else "fp32"
        extra = _SOURCE_WEIGHTS.get(self.options["prompt_source"])
        base = tuple(type(self).weights)
        if self.options["pasd_model"]:  # a trained folder replaces the release: its artifact is not used
            base = tuple(a for a in base if a != self.release)
        self.weights = base + ((extra,) if extra and not self.random_weights and extra not in base else ())

    def cache_identity(self) -> dict[str, Any]:
        """The base identity plus, for a trained ``pasd_model``, its weights' SHA-256s (not only mtimes)."""
        ident = super().cache_identity()
        if self.options["pasd_model"]:
            from pasd.training.checkpoint import model_identity

            ident["pasd_model"] = model_identity(self.options["pasd_model"])
        return ident

    def _model_dirs(self):
        from pasd import hub
        from pasd.models import release_checkpoint_dir

        if self.options["pasd_model"]:  # a folder from `pasd-bench train` (or any release-layout copy)
            return hub.resolve("sd15"), Path(self.options["pasd_model"])
        return hub.resolve("sd15"), release_checkpoint_dir(self.release)

    def load(self) -> None:
        from pasd.pipeline.build import load_pipeline
        from pasd.pipeline.prompts import create_prompt_source

        o = self.options
        base, pasd_dir = self._model_dirs()
        self.pipe = load_pipeline(
            base, pasd_dir, device=self.device, dtype=o["dtype"], style_model=self._style_model_path(),
            style_alpha=o["style_alpha"], lora=o["lora"], lora_multiplier=o["lora_multiplier"],
            lora_semantics=o["lora_semantics"],
        )  # fmt: skip
        self.pipe.set_progress_bar_config(disable=True)
        kwargs = {"text": o["prompt"]} if o["prompt_source"] == "fixed" else {}
        if o["prompt_source"] in _SOURCE_WEIGHTS:
            kwargs["device"] = self.device
        self.prompt_source = create_prompt_source(o["prompt_source"], **kwargs).ensure_loaded()

    def _style_model_path(self):
        return self.options["style_model"]

    def prompt_for(self, image: np.ndarray) -> str:
        """The positive prompt for one LQ image (high-level text + user prompt + added words)."""
        from PIL import Image

        o = self.options
        user = "" if o["prompt_source"] == "fixed" else o["prompt"]
        return self.prompt_source.compose(self.prompt_source(Image.fromarray(image)), user, o["added_prompt"])

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        import torch

        o = self.options
        out = self.pipe(
            image, prompt=self.prompt_for(image), negative_prompt=o["negative_prompt"],
            upscale=self.scale, process_size=o["process_size"], num_inference_steps=o["steps"],
            guidance_scale=o["cfg"], conditioning_scale=o["conditioning_scale"],
            generator=torch.Generator("cpu").manual_seed(int(seed or 0)), init_latents=o["init_latents"],
            added_noise_level=o["added_noise_level"], color_fix=o["color_fix"], tile_size=o["tile"],
            tile_batch=o["tile_batch"], tile_overlap=o["tile_overlap"], use_paca=o["use_paca"],
            guess_mode=o["guess_mode"], color_fix_precision=o["color_fix_precision"],
            vae_encoder_tile=o["vae_encoder_tile"], vae_decoder_tile=o["vae_decoder_tile"], output_type="np",
        )  # fmt: skip
        return out.images[0]


@METHODS.register("pasd")
class PASDMethod(_PASDMethod):
    """PASD (released checkpoint-100000), official inference defaults, CoCa caption prompts."""

    name = "pasd"
    weights = ("sd15", "pasd")


@METHODS.register("pasd-light")
class PASDLightMethod(_PASDMethod):
    """PASD-light (PACA inside the cross-attention blocks)."""

    name = "pasd-light"
    weights = ("sd15", "pasd_light")
    release = "pasd_light"


@METHODS.register("pasd-rrdb")
class PASDRRDBMethod(_PASDMethod):
    """PASD with RRDB blocks in the degradation-removal module."""

    name = "pasd-rrdb"
    weights = ("sd15", "pasd_rrdb")
    release = "pasd_rrdb"


@METHODS.register("pasd-light-rrdb")
class PASDLightRRDBMethod(_PASDMethod):
    """PASD-light with RRDB blocks in the degradation-removal module (``pasd_light_rrdb`` release)."""

    name = "pasd-light-rrdb"
    weights = ("sd15", "pasd_light_rrdb")
    release = "pasd_light_rrdb"


@METHODS.register("pasd-abl-a")
class PASDAblationA(_PASDMethod):
    """Table 3 (a): no DR module, no high-level info, no negative prompt (never released).

    Param ``pasd_model=DIR``: a model trained with ``pasd-bench train pasd-abl-a`` (its run folder
    or one of its ``checkpoint-N`` folders).
    """

    name = "pasd-abl-a"
    weights = ("sd15",)
    defaults = {"prompt_source": "none", "added_prompt": "", "negative_prompt": ""}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        if not params.get("pasd_model"):
            raise MethodNotAvailableError(
                "pasd-abl-a needs a PASD model trained without the degradation-removal module (no toRGB "
                "heads, no L_DR loss), which the authors did not release: train one with `pasd-bench train "
                "pasd-abl-a --data HQ_DIR --out DIR` and set the param pasd_model=DIR"
            )
        super().__init__(device=device, **params)
        from pasd.training.checkpoint import has_dr_supervision

        if has_dr_supervision(self.options["pasd_model"]):
            raise MethodNotAvailableError(
                f"pasd-abl-a: {self.options['pasd_model']} was trained with the degradation-removal module "
                "(toRGB heads); Table 3 (a) needs one trained with dr = false (config pasd-abl-a)"
            )


@METHODS.register("pasd-abl-b")
class PASDAblationB(_PASDMethod):
    """Table 3 (b): DR only: null-text positive and negative prompts."""

    name = "pasd-abl-b"
    weights = ("sd15", "pasd")
    defaults = {"prompt_source": "none", "added_prompt": "", "negative_prompt": ""}


@METHODS.register("pasd-abl-c")
class PASDAblationC(_PASDMethod):
    """Table 3 (c): DR + high-level information (caption), null negative prompt."""

    name = "pasd-abl-c"
    weights = ("sd15", "pasd")
    defaults = {"negative_prompt": ""}


@METHODS.register("pasd-abl-d")
class PASDAblationD(_PASDMethod):
    """Table 3 (d): DR + negative prompt, null positive prompt (no high-level information)."""

    name = "pasd-abl-d"
    weights = ("sd15", "pasd")
    defaults = {"prompt_source": "none", "added_prompt": ""}


@METHODS.register("pasd-stylize")
class PASDStylizeMethod(_PASDMethod):
    """Personalized stylization (Table 2): the released PASD over a personalized base model, scale 1.

    Params: ``style_model`` (a :mod:`pasd.hub` artifact such as ``toonyou``, a diffusers folder or
    a single-file ``.safetensors``; see :mod:`baselines.style_model`), optional ``style_alpha``,
    ``lora``, ``lora_multiplier``. A preset sets ``style_model`` once for every Table 2 method.
    """

    name = "pasd-stylize"
    task = "stylization"
    scale = 1
    weights = ("sd15", "pasd")
    shared_params = ("style_model",)

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        from baselines.style_model import check_style_model

        style = check_style_model(self.name, params.get("style_model"))
        super().__init__(device=device, **params)
        self.weights = tuple(dict.fromkeys(self.weights + style))

    def _style_model_path(self):
        from baselines.style_model import resolve_style_model

        return resolve_style_model(self.options["style_model"])


@METHODS.register("pasd-tiny")
class PASDTinyMethod(_PASDMethod):
    """PASD's real pipeline with tiny random weights (built locally on first use): plumbing only."""

    name = "pasd-tiny"
    weights = ()
    random_weights = True
    defaults = {"steps": 2, "process_size": 64, "prompt_source": "none", "dtype": "fp32"}

    def _model_dirs(self):
        from pasd.pipeline.build import ensure_tiny_models

        return ensure_tiny_models()
