"""StableSR's respaced DDPM schedule and sampling step, with the official arithmetic.

The official scripts register the SD linear schedule (1000 steps, betas from
``linspace(sqrt(0.00085), sqrt(0.012))**2`` in float64), keep its ``sqrt(alphas_cumprod)`` for
``q_sample_respace``, pick ``ddpm_steps`` timesteps with guided diffusion's ``space_timesteps``,
derive the respaced betas ``1 - abar_t / abar_prev`` from the *float32* buffers and register those
(LDM ``DDPM.register_schedule``, numpy). The network sees the original timestep of each step;
the posterior uses the respaced index. diffusers' ``DDPMScheduler`` has no respacing and derives
its posterior coefficients differently (torch, from ``alphas_cumprod``), so it would drift from the
official numbers; the few formulas are written out here instead, in the official dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


def space_timesteps(num_timesteps: int, steps: int) -> list[int]:
    """Evenly strided timesteps of one section (guided diffusion's ``space_timesteps(T, [steps])``).

    Raises:
        ValueError: If ``steps`` is not in ``[1, num_timesteps]``.
    """
    if not 1 <= steps <= num_timesteps:
        raise ValueError(f"steps must be in [1, {num_timesteps}], got {steps}")
    stride = 1 if steps <= 1 else (num_timesteps - 1) / (steps - 1)
    # round() of the accumulated float stride, as the official loop does
    taken, cur = [], 0.0
    for _ in range(steps):
        taken.append(round(cur))
        cur += stride
    return sorted(set(taken))


def _buffers(betas: np.ndarray) -> dict[str, np.ndarray]:
    """LDM ``register_schedule`` in numpy; the dtypes follow numpy's promotion of the official code."""
    alphas = 1.0 - betas
    abar = np.cumprod(alphas, axis=0)
    abar_prev = np.append(1.0, abar[:-1])  # float64 even for float32 betas (np.append promotes)
    post_var = betas * (1.0 - abar_prev) / (1.0 - abar)
    return {
        "alphas_cumprod": abar,
        "sqrt_alphas_cumprod": np.sqrt(abar),
        "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - abar),
        "sqrt_recip_alphas_cumprod": np.sqrt(1.0 / abar),
        "sqrt_recipm1_alphas_cumprod": np.sqrt(1.0 / abar - 1),
        "posterior_log_variance_clipped": np.log(np.maximum(post_var, 1e-20)),
        "posterior_mean_coef1": betas * np.sqrt(abar_prev) / (1.0 - abar),
        "posterior_mean_coef2": (1.0 - abar_prev) * np.sqrt(alphas) / (1.0 - abar),
    }


@dataclass(frozen=True)
class RespacedSchedule:
    """The buffers the official sampler reads, as float32 tensors (LDM's ``to_torch``).

    Attributes:
        timesteps: Original timestep of each respaced index (``ori_timesteps``), ascending.
        q_sqrt_abar / q_sqrt_one_minus_abar: The 1000-step schedule's buffers, for the start
            latent ``q_sample_respace(lq_latent, t=999)``.
    """

    timesteps: tuple[int, ...]
    sqrt_recip_alphas_cumprod: torch.Tensor
    sqrt_recipm1_alphas_cumprod: torch.Tensor
    posterior_mean_coef1: torch.Tensor
    posterior_mean_coef2: torch.Tensor
    posterior_log_variance_clipped: torch.Tensor
    q_sqrt_abar: torch.Tensor
    q_sqrt_one_minus_abar: torch.Tensor

    @classmethod
    def build(
        cls, steps: int, timesteps: int = 1000, linear_start: float = 0.00085, linear_end: float = 0.0120
    ) -> RespacedSchedule:
        """The schedule of ``--ddpm_steps steps`` (the scripts re-register it from scratch)."""
        betas = (
            torch.linspace(linear_start**0.5, linear_end**0.5, timesteps, dtype=torch.float64) ** 2
        ).numpy()
        full = {k: torch.tensor(v, dtype=torch.float32) for k, v in _buffers(betas).items()}
        use = set(space_timesteps(timesteps, steps))
        new_betas, last = [], 1.0
        for i, abar in enumerate(full["alphas_cumprod"]):
            if i in use:  # float32 tensor arithmetic, as the script iterates the registered buffer
                new_betas.append((1 - abar / last).numpy())
                last = abar
        respaced = {k: torch.tensor(v, dtype=torch.float32) for k, v in _buffers(np.array(new_betas)).items()}
        return cls(
            timesteps=tuple(sorted(use)),
            sqrt_recip_alphas_cumprod=respaced["sqrt_recip_alphas_cumprod"],
            sqrt_recipm1_alphas_cumprod=respaced["sqrt_recipm1_alphas_cumprod"],
            posterior_mean_coef1=respaced["posterior_mean_coef1"],
            posterior_mean_coef2=respaced["posterior_mean_coef2"],
            posterior_log_variance_clipped=respaced["posterior_log_variance_clipped"],
            q_sqrt_abar=full["sqrt_alphas_cumprod"],
            q_sqrt_one_minus_abar=full["sqrt_one_minus_alphas_cumprod"],
        )

    def start_latent(self, lq_latent: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """``q_sample_respace(lq_latent, t=999)``: the canvas script starts from the noised LQ latent."""
        t = len(self.q_sqrt_abar) - 1
        return (
            self.q_sqrt_abar[t].to(noise.device) * lq_latent
            + self.q_sqrt_one_minus_abar[t].to(noise.device) * noise
        )

    def step(self, i: int, x: torch.Tensor, eps: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """One ancestral DDPM step at respaced index ``i`` (LDM ``p_sample``, ``clip_denoised=False``).

        ``noise`` is drawn even at ``i == 0`` (the official code draws it and masks it out), so the
        random stream stays aligned with the official one.
        """

        def at(buf: torch.Tensor) -> torch.Tensor:
            return buf[i].to(x.device)

        x0 = at(self.sqrt_recip_alphas_cumprod) * x - at(self.sqrt_recipm1_alphas_cumprod) * eps
        mean = at(self.posterior_mean_coef1) * x0 + at(self.posterior_mean_coef2) * x
        if i == 0:
            return mean
        return mean + (0.5 * at(self.posterior_log_variance_clipped)).exp() * noise
