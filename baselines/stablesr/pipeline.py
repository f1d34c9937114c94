"""StableSR inference as the official canvas-tile script runs it (``sr_val_ddpm_text_T_vqganfin_oldcanvas_tile.py``).

Per image: RGB [0, 255] -> [-1, 1]; bicubic upsampling by ``max(input_size / short side, upscale)``
(``F.interpolate``, no antialias) and clamp; reflect padding to a multiple of 32 (both sides padded
as soon as one is not aligned, as the script's formula does); VAE patches if larger than
``vae_tile_size``; per patch: LQ latent = ``scale_factor * first_stage.encode(lq).sample()``, start
latent ``q_sample(lq_latent, t=999)``, ``steps`` respaced DDPM steps with the latent canvas, CFW
decode with ``dec_w``, colour fix towards the LQ; clamp to [0, 1], bicubic back down if the input
was upscaled by more than ``upscale``, crop the padding, ``x * 255`` truncated to uint8.

Random numbers are drawn in the official order from generators seeded with ``seed`` (the script's
``--seed``; re-seeded per VAE patch as the script calls ``seed_everything`` there): the posterior
sample from a CPU generator (the official ``torch.randn(shape).to(device)``), the start and step
noise on the device (one generator on CPU, where the official code also uses one stream). The start
noise is the official ``randn_like(init_latent)``, which fills the latent in its memory order: the
script builds the LQ tensor by transposing an HWC array, so it is channels-last, the encoder keeps
that layout, and the noise is sampled into a channels-last tensor (checked on CPU for every input
path; on CPU that gives other numbers than a contiguous draw).
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from baselines.stablesr.color_fix import apply_color_fix
from baselines.stablesr.loading import StableSRModels
from baselines.stablesr.schedule import RespacedSchedule
from baselines.stablesr.settings import Precision, StableSRSettings
from baselines.stablesr.text import encode_empty_prompt
from baselines.stablesr.tiling import canvas_tiles, gaussian_weights, vae_patches

logger = logging.getLogger(__name__)


class StableSRPipeline:
    """The released networks plus the official sampling procedure.

    Args:
        models: :func:`~baselines.stablesr.loading.load_stablesr` output (moved to ``device``).
        device: ``"cpu"``, ``"cuda"``, ...
    """

    def __init__(self, models: StableSRModels, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.models = models.to(self.device)
        self.scale_factor = float(models.config["scale_factor"])
        self._contexts: dict[str, torch.Tensor] = {}
        self._schedules: dict[int, RespacedSchedule] = {}

    def _autocast(self, precision: Precision) -> contextlib.AbstractContextManager:
        # the script wraps sampling in autocast("cuda"), which does nothing to CPU tensors
        if precision == "autocast" and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def _context(self, precision: Precision) -> torch.Tensor:
        if precision not in self._contexts:
            self._contexts[precision] = encode_empty_prompt(self.models.text)
        return self._contexts[precision]

    def _schedule(self, steps: int) -> RespacedSchedule:
        if steps not in self._schedules:
            cfg = self.models.config
            self._schedules[steps] = RespacedSchedule.build(
                steps, cfg["timesteps"], cfg["linear_start"], cfg["linear_end"]
            )
        return self._schedules[steps]

    @torch.no_grad()
    def __call__(
        self, image: np.ndarray, seed: int, settings: StableSRSettings | None = None, progress: bool = False
    ) -> np.ndarray:
        """Super-resolve one image.

        Args:
            image: ``uint8`` RGB ``(H, W, 3)``.
            seed: The official ``--seed``.
            settings: Sampling flags (default: the paper's).
            progress: Show a tqdm bar over the denoising steps.

        Returns:
            ``uint8`` RGB; ``(upscale * H, upscale * W, 3)`` except in the official rounding corner
            cases (short side under ``input_size / upscale`` with unaligned sides), which the
            :class:`~baselines.stablesr_adapter.StableSRMethod` adapter resolves.

        Raises:
            TypeError / ValueError: For a non-uint8 or non-RGB image, or bad settings.
        """
        settings = settings or StableSRSettings()
        settings.check()
        if (
            not isinstance(image, np.ndarray)
            or image.dtype != np.uint8
            or image.ndim != 3
            or image.shape[2] != 3
        ):
            raise ValueError(
                f"image must be a uint8 (H, W, 3) array, got {getattr(image, 'dtype', type(image))}"
            )
        with self._autocast(settings.precision):
            # built as the script's read_image does: the NCHW view of an HWC array is channels-last,
            # a layout the resampling and the convolutions keep (and the start noise inherits)
            lq = torch.from_numpy((image.astype(np.float32) / 255.0)[None].transpose(0, 3, 1, 2)).to(
                self.device
            )
            lq = (lq - 0.5) / 0.5
            h, w = lq.shape[-2:]
            scale = max(settings.input_size / min(h, w), settings.upscale)
            lq = F.interpolate(lq, size=(int(h * scale), int(w * scale)), mode="bicubic").clamp(-1, 1)
            ori_h, ori_w = lq.shape[-2:]
            if ori_h % 32 or ori_w % 32:
                pad_h, pad_w = (ori_h // 32 + 1) * 32 - ori_h, (ori_w // 32 + 1) * 32 - ori_w
                lq = F.pad(lq, (0, pad_w, 0, pad_h), mode="reflect")
            if lq.shape[-2] > settings.vae_tile_size or lq.shape[-1] > settings.vae_tile_size:
                sr = self._patched(lq, seed, settings, progress)
            else:
                sr = self._restore(lq, seed, settings, progress)
            sr = torch.clamp((sr + 1.0) / 2.0, min=0.0, max=1.0)
            if scale > settings.upscale:
                size = (
                    int(lq.shape[-2] * settings.upscale / scale),
                    int(lq.shape[-1] * settings.upscale / scale),
                )
                sr = F.interpolate(sr, size=size, mode="bicubic").clamp(0.0, 1.0)
            sr = sr[:, :, :ori_h, :ori_w]
            # the script casts with astype(uint8): truncation, not rounding
            return (sr[0].permute(1, 2, 0).cpu().numpy() * 255).astype(np.uint8)

    def _patched(
        self, lq: torch.Tensor, seed: int, settings: StableSRSettings, progress: bool
    ) -> torch.Tensor:
        """VAE patches blended with Gaussian weights (official ``ImageSpliterTh.update_gaussian``).

        A patch cut short by the border gets a Gaussian of its own size; the official splitter
        uses a full-size one there and fails on the shape mismatch.
        """
        acc, norm = torch.zeros_like(lq), torch.zeros_like(lq)
        for y0, y1, x0, x1 in vae_patches(*lq.shape[-2:], settings.vae_tile_size, settings.vae_tile_stride):
            out = self._restore(lq[:, :, y0:y1, x0:x1], seed, settings, progress)
            weight = gaussian_weights(x1 - x0, y1 - y0).to(lq.device)
            acc[:, :, y0:y1, x0:x1] += out * weight
            norm[:, :, y0:y1, x0:x1] += weight
        return acc.div(norm)

    def _restore(
        self, lq: torch.Tensor, seed: int, settings: StableSRSettings, progress: bool
    ) -> torch.Tensor:
        """One (patch of an) upsampled LQ in [-1, 1] -> colour-fixed CFW decode in [-1, 1]."""
        m = self.models
        noise_gen = torch.Generator(self.device).manual_seed(seed)
        post_gen = noise_gen if self.device.type == "cpu" else torch.Generator("cpu").manual_seed(seed)
        posterior = m.first_stage.encode(lq).latent_dist
        # the official DiagonalGaussianDistribution.sample draws float32 noise on the CPU
        draw = torch.randn(posterior.mean.shape, generator=post_gen).to(self.device)
        lat = self.scale_factor * (posterior.mean + posterior.std * draw)
        context = self._context(settings.precision)
        schedule = self._schedule(settings.steps)
        x = schedule.start_latent(
            lat, _randn_like_latent(lat.shape, _channels_last(lq), noise_gen, self.device)
        )
        for i in tqdm(
            reversed(range(settings.steps)), total=settings.steps, disable=not progress, desc="StableSR"
        ):
            eps = self._canvas_eps(x, lat, context, schedule.timesteps[i], settings)
            x = schedule.step(i, x, eps, torch.randn(x.shape, generator=noise_gen, device=self.device))
        _, feats = m.cfw.encode_with_features(lq)
        out = m.cfw.decode_with_fusion(x / self.scale_factor, feats, settings.dec_w)
        return apply_color_fix(out, lq, settings.color_fix)

    def _canvas_eps(
        self, x: torch.Tensor, lat: torch.Tensor, context: torch.Tensor, t: int, settings: StableSRSettings
    ) -> torch.Tensor:
        """Noise prediction over the latent canvas (official ``p_mean_variance_canvas``)."""
        tile = settings.input_size // 8
        corners = canvas_tiles(*x.shape[-2:], tile, settings.tile_overlap)
        weight = gaussian_weights(tile, tile).to(x.device)
        preds = []
        for k in range(0, len(corners), settings.tile_batch):
            batch = corners[k : k + settings.tile_batch]
            xin = torch.cat([x[:, :, y : y + tile, x0 : x0 + tile] for y, x0 in batch])
            cin = torch.cat([lat[:, :, y : y + tile, x0 : x0 + tile] for y, x0 in batch])
            tt = torch.full((len(batch),), t, device=x.device, dtype=torch.long)
            struct = self.models.encoder(cin, tt)
            ctx = context.expand(len(batch), -1, -1)
            preds.extend(self.models.unet(xin, tt, ctx, struct_cond=struct).sample.split(1))
        noise_pred, contributors = (
            torch.zeros(x.shape, device=x.device),
            torch.zeros(x.shape, device=x.device),
        )
        for (y, x0), pred in zip(corners, preds):
            noise_pred[:, :, y : y + tile, x0 : x0 + tile] += pred * weight
            contributors[:, :, y : y + tile, x0 : x0 + tile] += weight
        return noise_pred / contributors


def _channels_last(t: torch.Tensor) -> bool:
    """Whether ``t``'s strides put channels innermost (the layout convolutions then propagate)."""
    return t.dim() == 4 and t.shape[1] > 1 and t.stride(1) == 1


def _randn_like_latent(
    shape: torch.Size, channels_last: bool, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """``torch.randn_like`` of a latent of ``shape`` in that layout.

    Not ``randn(...).permute``: PyTorch's CPU sampler fills a contiguous tensor with a vectorised
    Box-Muller and a strided one element by element, so the layout changes the numbers themselves.
    """
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return torch.empty(shape, device=device, memory_format=fmt).normal_(generator=generator)
