"""Tiny SD/PASD models shared by the model tests (built once per session; tests copy before mutating)."""

from __future__ import annotations

import copy

import pytest
import torch

from pasd.tiny import TEXT_DIM, build_tiny_pasd, build_tiny_unet

# No enable_full_determinism(): it switches torch to deterministic-only kernels for the whole
# pytest process (other packages' tests too); CPU kernels used here are deterministic anyway,
# which test_unet.py::test_same_inputs_same_outputs checks.


@pytest.fixture(scope="session")
def sd_unet():
    """A random tiny SD UNet (the base every tiny PASD model is built from)."""
    return build_tiny_unet(seed=0).eval()


@pytest.fixture(scope="session")
def _pasd_models(sd_unet):
    return {v: build_tiny_pasd(v, seed=0, unet=sd_unet) for v in ("pasd", "pasd_light")}


@pytest.fixture(params=["pasd", "pasd_light"], ids=["full", "light"])
def pasd_models(request, _pasd_models):
    """``(unet, controlnet)`` of one variant, a private copy per test."""
    return copy.deepcopy(_pasd_models[request.param])


def make_inputs(batch: int = 2, latent: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    """Latents, text embeddings and an LQ image in [0, 1] for the tiny models."""
    # CPU generator: identical numbers on every machine
    g = torch.Generator("cpu").manual_seed(seed)
    return {
        "sample": torch.randn(batch, 4, latent, latent, generator=g),
        "encoder_hidden_states": torch.randn(batch, 7, TEXT_DIM, generator=g),
        "controlnet_cond": torch.rand(batch, 3, 8 * latent, 8 * latent, generator=g),
    }


def run_pasd(unet, controlnet, inputs, timestep=10, **unet_kwargs) -> torch.Tensor:
    """ControlNet then UNet, as one denoising step does."""
    rgbs, down, mid = controlnet(
        inputs["sample"],
        timestep,
        inputs["encoder_hidden_states"],
        inputs["controlnet_cond"],
        return_dict=False,
    )
    return unet(
        inputs["sample"], timestep, inputs["encoder_hidden_states"],
        down_block_additional_residuals=down, mid_block_additional_residual=mid, **unet_kwargs,
    ).sample  # fmt: skip
