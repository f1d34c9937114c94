"""``PASDPipeline``: Real-ISR (and colorization) with a PASD ControlNet + PACA UNet on SD1.5.

Defaults follow the official release (yangxy/PASD ``test_pasd.py`` + ``pipeline_pasd.py``): UniPC
multistep, 20 steps, CFG 9.0 with a negative prompt, conditioning scale 1.0, latents initialised
from the VAE-encoded LQ noised to the first timestep and re-noised at level 900, square Gaussian
latent tiles above 320x320 latent px, VAE tiling only above 1088 px (encode) / 246 latent px
(decode) with shared GroupNorm statistics, decode rounded to ``uint8`` and then the wavelet colour
fix on the 8-bit images (truncated back to ``uint8``), bicubic resize to the requested size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from diffusers import AutoencoderKL, DiffusionPipeline, UniPCMultistepScheduler
from diffusers.loaders import StableDiffusionLoraLoaderMixin
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image
from transformers import CLIPTextModel, CLIPTokenizer

from pasd.models import PASDControlNetModel, PASDUNet2DConditionModel, load_pasd_models
from pasd.pipeline.color_fix import COLOR_FIXES, ColorFix, apply_color_fix, color_fix_uint8
from pasd.pipeline.images import (
    ImageLike,
    merge_luma,
    pil_to_tensor,
    processing_image,
    tensor_to_uint8,
    to_pil,
)
from pasd.pipeline.prompts import COLORIZE_NEGATIVE_PROMPT, NEGATIVE_PROMPT
from pasd.pipeline.tiling import DEFAULT_OVERLAP, DEFAULT_TILE, tiled_predict
from pasd.pipeline.vae_tiling import DECODER_TILE, ENCODER_TILE, decode_hidden, encode_hidden

logger = logging.getLogger(__name__)

Task = Literal["realisr", "colorization"]
ColorFixPrecision = Literal["uint8", "float"]
#: official --added_noise_level: the LQ latent is re-noised at this timestep
ADDED_NOISE_LEVEL = 900
#: official --upscale default (the README's Real-ISR commands pass --upscale 4)
OFFICIAL_UPSCALE = 1


def _zero_uncond(residual: torch.Tensor) -> torch.Tensor:
    """Interleave zeros before each conditional row: ``[r1, r2] -> [0, r1, 0, r2]``."""
    both = torch.stack([torch.zeros_like(residual), residual], dim=1)
    return both.reshape(-1, *residual.shape[1:])


@dataclass
class PASDPipelineOutput(BaseOutput):
    """``images``: PIL images or ``uint8`` arrays; ``prompts``: the positive prompt of each."""

    images: list
    prompts: list[str]


class PASDPipeline(DiffusionPipeline, StableDiffusionLoraLoaderMixin):
    """VAE + CLIP text encoder + PASD UNet + PASD ControlNet + scheduler.

    Example:
        >>> pipe = PASDPipeline.from_pretrained("sd15_dir", "pasd_dir/checkpoint-100000")  # doctest: +SKIP
        >>> pipe(lq_image, prompt="a cat, clean, high-resolution, 8k").images[0]  # doctest: +SKIP
    """

    model_cpu_offload_seq = "text_encoder->controlnet->unet->vae"

    def __init__(
        self,
        vae: AutoencoderKL,
        text_encoder: CLIPTextModel,
        tokenizer: CLIPTokenizer,
        unet: PASDUNet2DConditionModel,
        controlnet: PASDControlNetModel,
        scheduler: UniPCMultistepScheduler,
    ) -> None:
        super().__init__()
        self.register_modules(
            vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, controlnet=controlnet,
            scheduler=scheduler,
        )  # fmt: skip
        self.vae_scale_factor = 2 ** (len(self.vae.config.block_out_channels) - 1)

    @classmethod
    def from_pretrained(  # type: ignore[override]
        cls,
        base_sd_dir: str | Path,
        pasd_dir: str | Path | None = None,
        torch_dtype: torch.dtype | None = None,
        zero_snr: bool = False,
        scheduler_dir: str | Path | None = None,
    ) -> PASDPipeline:
        """Load the SD parts from ``base_sd_dir`` and ``unet``/``controlnet`` from ``pasd_dir``.

        Args:
            base_sd_dir: A diffusers SD1.5 folder (``vae``, ``text_encoder``, ``tokenizer``, ``scheduler``),
                or a folder written by :meth:`save_pretrained` (then ``pasd_dir`` may be omitted).
            pasd_dir: A released ``checkpoint-N`` folder holding ``unet`` and ``controlnet``.
            torch_dtype: Weight dtype (fp16/bf16 on GPU).
            zero_snr: Rescale the betas to zero terminal SNR with trailing timesteps (colorization).
            scheduler_dir: A folder with ``scheduler_config.json`` to use instead of the base's.

        Returns:
            The pipeline (UniPC scheduler built from the base scheduler config).

        Raises:
            FileNotFoundError: If a folder is missing a part.
            CheckpointMismatchError: If the PASD weights do not fit.
        """
        base = Path(base_sd_dir)
        pasd = Path(pasd_dir) if pasd_dir is not None else base
        for sub in ("vae", "text_encoder", "tokenizer", "scheduler"):
            if not (base / sub).is_dir():
                raise FileNotFoundError(f"{base / sub} not found; --base must be a diffusers SD1.5 folder")
        unet, controlnet = load_pasd_models(pasd, torch_dtype=torch_dtype)
        sched_dir = Path(scheduler_dir) if scheduler_dir is not None else base / "scheduler"
        config = UniPCMultistepScheduler.load_config(str(sched_dir))
        if zero_snr:
            config.update(rescale_betas_zero_snr=True, timestep_spacing="trailing")
        pipe = cls(
            vae=AutoencoderKL.from_pretrained(str(base / "vae"), torch_dtype=torch_dtype),
            text_encoder=CLIPTextModel.from_pretrained(str(base / "text_encoder"), dtype=torch_dtype),
            tokenizer=CLIPTokenizer.from_pretrained(str(base / "tokenizer")),
            unet=unet,
            controlnet=controlnet,
            scheduler=UniPCMultistepScheduler.from_config(config),
        )
        pipe.base_sd_dir = base  # where personalization finds the SD config of single-file checkpoints
        return pipe

    # -- pieces -------------------------------------------------------------------------------
    def encode_text(self, prompts: list[str], device: torch.device) -> torch.Tensor:
        """CLIP last hidden states of ``prompts`` padded to the tokenizer length."""
        ids = self.tokenizer(
            prompts, padding="max_length", max_length=self.tokenizer.model_max_length, truncation=True,
            return_tensors="pt",
        ).input_ids.to(device)  # fmt: skip
        return self.text_encoder(ids)[0].to(self.unet.dtype)

    def encode_latents(self, control: torch.Tensor, generator: torch.Generator | None,
                       tile: int | None = ENCODER_TILE) -> torch.Tensor:  # fmt: skip
        """Sampled, scaled VAE latent of ``control`` in [0, 1] (tiled above ``tile`` + padding)."""
        from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

        hidden = encode_hidden(self.vae.encoder, (control * 2.0 - 1.0).to(self.vae.dtype), tile)
        if self.vae.quant_conv is not None:
            hidden = self.vae.quant_conv(hidden)
        latents = DiagonalGaussianDistribution(hidden).sample(generator)
        return latents * self.vae.config.scaling_factor

    def decode_latents(self, latents: torch.Tensor, tile: int | None = DECODER_TILE) -> torch.Tensor:
        """VAE decode of scaled latents to ``[-1, 1]`` (tiled above ``tile`` + padding)."""
        z = latents.to(self.vae.dtype) / self.vae.config.scaling_factor
        if self.vae.post_quant_conv is not None:
            z = self.vae.post_quant_conv(z)
        return decode_hidden(self.vae.decoder, z, tile)

    def prepare_latents(
        self,
        control: torch.Tensor,
        generator: torch.Generator | None,
        init: Literal["lq", "noise"],
        added_noise_level: int,
        vae_tile: int | None = ENCODER_TILE,
    ) -> torch.Tensor:
        """Initial latents: the noised LQ latent (official default) or pure noise."""
        b, _, h, w = control.shape
        shape = (b, self.unet.config.in_channels, h // self.vae_scale_factor, w // self.vae_scale_factor)
        device, dtype = control.device, self.unet.dtype
        if init == "noise":
            return (
                randn_tensor(shape, generator=generator, device=device, dtype=dtype)
                * self.scheduler.init_noise_sigma
            )
        latents = self.encode_latents(control, generator, vae_tile).to(dtype)
        first_t = self.scheduler.timesteps[:1].repeat(b)
        noise = randn_tensor(latents.shape, generator=generator, device=device, dtype=dtype)
        latents = self.scheduler.add_noise(latents, noise, first_t)
        # the official code noises twice: to the first step, then again at `added_noise_level`. With
        # sigma-based schedulers (UniPC since diffusers 0.22, so also the release's 0.29.2) add_noise
        # maps a timestep that is not on the inference schedule (900 of linspace 999, 949, ...) to the
        # last, least-noisy step: the second noising is a small perturbation, as in the official runs.
        added_t = torch.full((b,), added_noise_level, dtype=torch.long, device=device)
        added = randn_tensor(latents.shape, generator=generator, device=device, dtype=dtype)
        return self.scheduler.add_noise(latents, added, added_t) * self.scheduler.init_noise_sigma

    def predict_noise(self, latents, t, embeds, control, conditioning_scale: float, use_paca: bool | None,
                      guess_mode: bool = False, cond_latents: torch.Tensor | None = None):  # fmt: skip
        """ControlNet + UNet on one (batched) latent; ``embeds``/``control`` already match the batch.

        In guess mode with CFG (``cond_latents`` given) the ControlNet runs on the conditional half
        only (``cond_latents``, the second half of ``embeds``) and the unconditional half gets zero
        residuals, hence zero PACA context, as in the official pipeline.
        """
        cfg_guess = cond_latents is not None
        # rows are [uncond, cond] per tile; the ControlNet sees the cond rows only
        _, down, mid = self.controlnet(
            cond_latents if cfg_guess else latents, t,
            encoder_hidden_states=embeds[1::2] if cfg_guess else embeds, controlnet_cond=control,
            conditioning_scale=conditioning_scale, guess_mode=guess_mode, return_dict=False,
        )  # fmt: skip
        if cfg_guess:
            down = [_zero_uncond(d) for d in down]
            mid = _zero_uncond(mid)
        return self.unet(
            latents, t, encoder_hidden_states=embeds, down_block_additional_residuals=down,
            mid_block_additional_residual=mid, use_paca=use_paca, return_dict=False,
        )[0]  # fmt: skip

    # -- main entry ---------------------------------------------------------------------------
    @torch.no_grad()
    def __call__(
        self,
        image: ImageLike | list[ImageLike],
        prompt: str | list[str] = "",
        negative_prompt: str | None = None,
        task: Task = "realisr",
        upscale: int = OFFICIAL_UPSCALE,
        process_size: int = 768,
        num_inference_steps: int = 20,
        guidance_scale: float = 9.0,
        conditioning_scale: float = 1.0,
        generator: torch.Generator | None = None,
        init_latents: Literal["lq", "noise"] = "lq",
        added_noise_level: int = ADDED_NOISE_LEVEL,
        color_fix: ColorFix = "wavelet",
        color_fix_precision: ColorFixPrecision = "uint8",
        tile_size: int = DEFAULT_TILE,
        tile_overlap: int = DEFAULT_OVERLAP,
        tile_batch: int = 1,
        vae_encoder_tile: int | None = ENCODER_TILE,
        vae_decoder_tile: int | None = DECODER_TILE,
        guess_mode: bool = False,
        use_paca: bool | None = None,
        output_type: Literal["pil", "np"] = "pil",
        return_dict: bool = True,
    ) -> PASDPipelineOutput | tuple:
        """Restore (or colorize) each image.

        Args:
            image: One or several LQ images (PIL or ``uint8`` RGB arrays; sizes may differ).
            prompt: Positive prompt(s), e.g. from :func:`pasd.pipeline.prompts.compose_prompt`.
            negative_prompt: Default: the official negative prompt of the task; ``""`` = none (ablation).
            task: ``"realisr"`` or ``"colorization"`` (grayscale control, scale 1, input luma kept).
            upscale: Output size / input size (Real-ISR; colorization always 1). Official default 1.
            process_size: Short side the control image is raised to.
            num_inference_steps, guidance_scale, conditioning_scale: Sampler settings.
            generator: Seeded ``torch.Generator`` (CPU generators give device-independent noise).
            init_latents: ``"lq"`` (noised LQ latent, default) or ``"noise"``.
            added_noise_level: Timestep of the second noising of the LQ latent.
            color_fix: ``wavelet`` (default), ``adain`` or ``none``.
            color_fix_precision: ``"uint8"`` (official: decode rounded to 8 bits, fix, truncate) or
                ``"float"`` (fix on the float decode, round once).
            tile_size, tile_overlap, tile_batch: Latent tiling (used when the latent's area exceeds
                ``tile_size**2``; square tiles of side ``min(tile_size, h, w)``).
            vae_encoder_tile, vae_decoder_tile: VAE tile sides (pixels / latent pixels), tiled only
                above one tile plus padding; None: never tile.
            guess_mode: diffusers' guess mode (ControlNet on the conditional half only under CFG,
                residuals scaled 0.1..1 with depth).
            use_paca: Force PACA on/off (ablation "w/o PACA"); None keeps the model's setting.
            output_type: ``"pil"`` or ``"np"`` (``uint8`` arrays).
            return_dict: Return :class:`PASDPipelineOutput` instead of ``(images, prompts)``.

        Raises:
            ValueError: For an unknown option or a prompt list of the wrong length.
        """
        images = image if isinstance(image, list) else [image]
        prompts = prompt if isinstance(prompt, list) else [prompt] * len(images)
        self.check_inputs(images, prompts, task, color_fix, output_type, guidance_scale, num_inference_steps)
        if color_fix_precision not in ("uint8", "float"):
            raise ValueError(f"color_fix_precision {color_fix_precision!r} is not one of ('uint8', 'float')")
        if negative_prompt is None:
            negative_prompt = COLORIZE_NEGATIVE_PROMPT if task == "colorization" else NEGATIVE_PROMPT
        outs = []
        for img, text in zip(images, prompts):
            out = self._restore_one(
                to_pil(img), text, negative_prompt, task, upscale, process_size, num_inference_steps,
                guidance_scale, conditioning_scale, generator, init_latents, added_noise_level, color_fix,
                color_fix_precision, tile_size, tile_overlap, tile_batch, (vae_encoder_tile, vae_decoder_tile),
                guess_mode, use_paca,
            )  # fmt: skip
            outs.append(Image.fromarray(out) if output_type == "pil" else out)
        self.maybe_free_model_hooks()
        return PASDPipelineOutput(images=outs, prompts=prompts) if return_dict else (outs, prompts)

    @staticmethod
    def check_inputs(images, prompts, task, color_fix, output_type, guidance_scale, steps) -> None:
        """Validate options before any network runs."""
        if task not in ("realisr", "colorization"):
            raise ValueError(f"task {task!r} is not one of ('realisr', 'colorization')")
        if color_fix not in COLOR_FIXES:
            raise ValueError(f"color_fix {color_fix!r} is not one of {COLOR_FIXES}")
        if output_type not in ("pil", "np"):
            raise ValueError(f"output_type {output_type!r} is not one of ('pil', 'np')")
        if len(prompts) != len(images):
            raise ValueError(f"{len(prompts)} prompts for {len(images)} images")
        if steps < 1 or guidance_scale < 0:
            raise ValueError(
                f"need num_inference_steps >= 1 and guidance_scale >= 0, got {steps}, {guidance_scale}"
            )

    def denoise(self, control, prompt, negative, steps, cfg, cond_scale, generator, init, noise_level,
                tile, overlap, tile_batch, vae_tile, guess_mode, use_paca) -> torch.Tensor:  # fmt: skip
        """The official denoising loop on one control image; returns the final latents."""
        device = control.device
        do_cfg = cfg > 1.0
        embeds = self.encode_text([negative, prompt] if do_cfg else [prompt], device)
        self.scheduler.set_timesteps(steps, device=device)
        latents = self.prepare_latents(control, generator, init, noise_level, vae_tile)
        cfg_guess = guess_mode and do_cfg
        # the control image is doubled for CFG except in guess mode (ControlNet on the cond half only)
        control_in = torch.cat([control] * 2) if do_cfg and not guess_mode else control
        n = embeds.shape[0]

        def predict(lat: torch.Tensor, ctl: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
            k = lat.shape[0] // n  # tiles stacked in this call
            return self.predict_noise(
                lat, t, embeds.repeat(k, 1, 1), ctl, cond_scale, use_paca, guess_mode,
                cond if cfg_guess else None,
            )  # fmt: skip

        for t in self.progress_bar(self.scheduler.timesteps):
            model_in = self.scheduler.scale_model_input(torch.cat([latents] * 2) if do_cfg else latents, t)
            h, w = model_in.shape[-2:]
            if h * w <= tile * tile:  # official rule: tile only when the latent exceeds one tile's area
                noise = predict(model_in, control_in, latents)
            else:  # float32 blend, handed to the scheduler as in the official pipeline
                noise = tiled_predict(
                    predict, model_in, control_in, tile, overlap, tile_batch, self.vae_scale_factor,
                    cond_latents=latents if cfg_guess else None,
                )  # fmt: skip
            if do_cfg:
                uncond, cond = noise.chunk(2)
                noise = uncond + cfg * (cond - uncond)
            latents = self.scheduler.step(noise, t, latents, return_dict=False)[0].to(self.unet.dtype)
        return latents

    def _restore_one(self, lq, prompt, negative, task, upscale, process_size, steps, cfg, cond_scale, generator,
                     init, noise_level, color_fix, precision, tile, overlap, tile_batch, vae_tiles, guess_mode,
                     use_paca) -> np.ndarray:  # fmt: skip
        device = self._execution_device
        colorize = task == "colorization"
        src = lq.convert("L").convert("RGB") if colorize else lq
        scale = 1 if colorize else upscale
        control_img = processing_image(src, scale, process_size, colorize)
        control = pil_to_tensor(control_img).to(device, self.controlnet.dtype)
        latents = self.denoise(
            control, prompt, negative, steps, cfg, cond_scale, generator, init, noise_level, tile, overlap,
            tile_batch, vae_tiles[0], guess_mode, use_paca,
        )  # fmt: skip
        # diffusers' postprocess: denormalise in the decode dtype, float32, round to uint8
        decoded = (self.decode_latents(latents, vae_tiles[1]) / 2 + 0.5).clamp(0, 1).float()
        if colorize:
            import cv2

            # official: cv2 bilinear back to the input size, then Y of the gray input + UV of the output
            out = cv2.resize(tensor_to_uint8(decoded[0]), src.size, interpolation=cv2.INTER_LINEAR)
            return merge_luma(np.asarray(src), out)
        if precision == "uint8":
            out = color_fix_uint8(tensor_to_uint8(decoded[0]), np.asarray(control_img), color_fix)
        else:
            fixed = apply_color_fix(decoded, pil_to_tensor(control_img).to(device), color_fix)
            out = tensor_to_uint8(fixed[0])
        img = Image.fromarray(out)
        target = (lq.size[0] * upscale, lq.size[1] * upscale)
        return np.asarray(img.resize(target, Image.BICUBIC) if img.size != target else img)
