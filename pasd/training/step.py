"""One PASD training step's loss, ``L = L_DF + alpha * L_DR`` (paper Eq. 4-5), as ``train_pasd.py`` computes it.

``L_DF`` is the MSE between the UNet's prediction and the noise (or v, for v-prediction bases) at
a timestep drawn uniformly from ``[0, 999]``; the latents are a VAE posterior sample of the GT in
[-1, 1] times the VAE scaling factor; the ControlNet sees the LQ in [0, 1]. ``L_DR`` is
:func:`pasd.models.dr_loss` on the DR module's three RGB estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from pasd.models.losses import dr_loss


@dataclass
class StepLosses:
    """The total loss (to backpropagate) and its two terms (detached, for logging)."""

    loss: torch.Tensor
    diffusion: torch.Tensor
    dr: torch.Tensor


def encode_prompts(
    tokenizer: Any, text_encoder: Any, captions: list[str], device: torch.device
) -> torch.Tensor:
    """CLIP last hidden states of ``captions``, padded to the tokenizer's length (SD's conditioning)."""
    ids = tokenizer(
        captions, max_length=tokenizer.model_max_length, padding="max_length", truncation=True,
        return_tensors="pt",
    ).input_ids.to(device)  # fmt: skip
    return text_encoder(ids)[0]


def diffusion_target(scheduler: Any, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor):
    """The regression target of the base's ``prediction_type`` (epsilon: the noise; v_prediction: v).

    Raises:
        ValueError: For other prediction types (the official script supports only these two).
    """
    kind = scheduler.config.prediction_type
    if kind == "epsilon":
        return noise
    if kind == "v_prediction":
        return scheduler.get_velocity(latents, noise, timesteps)
    raise ValueError(f"prediction_type {kind!r} is not supported; allowed: 'epsilon', 'v_prediction'")


def compute_losses(
    module: torch.nn.Module,
    vae: Any,
    text_encoder: Any,
    tokenizer: Any,
    noise_scheduler: Any,
    batch: dict[str, Any],
    use_dr: bool = True,
    dr_weight: float = 1.0,
) -> StepLosses:
    """The loss of one (micro-)batch from :class:`~pasd.training.data.TrainCollate`.

    Args:
        module: :class:`~pasd.training.models.PASDTrainingModule` (possibly DDP-wrapped).
        vae, text_encoder, tokenizer: The frozen SD parts (any dtype; run without gradients).
        noise_scheduler: SD's ``DDPMScheduler``.
        batch: ``hq``, ``lq``, ``noise``, ``vae_noise``, ``timesteps``, ``captions`` on the device.
        use_dr: Add ``L_DR`` (False for Table 3 (a): the model then has no RGB heads).
        dr_weight: ``alpha``.

    Returns:
        :class:`StepLosses`.

    Raises:
        ValueError: If ``use_dr`` does not match whether the ControlNet returns RGB estimates.
    """
    device = batch["hq"].device
    gt = batch["hq"] * 2.0 - 1.0
    with torch.no_grad():
        posterior = vae.encode(gt.to(vae.dtype)).latent_dist
        # posterior.sample() with the sample's own noise (so a sample is the same on any rank)
        latents = posterior.mean + posterior.std * batch["vae_noise"].to(posterior.mean.dtype)
        latents = (latents * vae.config.scaling_factor).float()
        text = encode_prompts(tokenizer, text_encoder, batch["captions"], device)
    noise, timesteps = batch["noise"].float(), batch["timesteps"]
    noisy = noise_scheduler.add_noise(latents, noise, timesteps)
    pred, rgbs = module(noisy, timesteps, text, batch["lq"])
    target = diffusion_target(noise_scheduler, latents, noise, timesteps)
    loss_df = F.mse_loss(pred.float(), target.float(), reduction="mean")
    if use_dr != bool(rgbs):
        raise ValueError(f"use_dr={use_dr} but the ControlNet returned {len(rgbs)} RGB estimates")
    loss_dr = dr_loss(rgbs, gt) if use_dr else loss_df.new_zeros(())
    loss = loss_df + dr_weight * loss_dr if use_dr else loss_df
    return StepLosses(loss, loss_df.detach(), loss_dr.detach())
