"""InstructPix2Pix samples as ``edit_cli.py`` does: k-diffusion Euler ancestral, draw for draw.

The reference is ``edit_cli.py``'s sampling block (timothybrooks/instruct-pix2pix @ 926ff6c):
``CFGDenoiser`` around ``K.external.CompVisDenoiser(model)``, ``sigmas = model_wrap.get_sigmas(steps)``,
``torch.manual_seed(seed); z = torch.randn_like(c_concat) * sigmas[0]``, then
``K.sampling.sample_euler_ancestral``. With k-diffusion installed the test uses the package itself;
otherwise the transcription below of its four pieces (k_diffusion/external.py ``DiscreteSchedule``,
``DiscreteEpsDDPMDenoiser``; k_diffusion/sampling.py ``get_ancestral_step``, ``sample_euler_ancestral``),
which ``test_transcription_equals_k_diffusion`` checks against the package where it is installed.
The LDM stand-in is the tiny 8-channel UNet with LDM's ``apply_model`` for ``conditioning_key: hybrid``
and LDM's float64-made, float32-stored ``alphas_cumprod``.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
import torch

from baselines.base import create_method
from baselines.sd_stylize import fit_image
from tests.baselines import tiny_diffusion

HAVE_K = importlib.util.find_spec("k_diffusion") is not None


class TinyLDM(torch.nn.Module):
    """What CompVisDenoiser reads from an LDM: ``alphas_cumprod`` and ``apply_model`` (hybrid conditioning)."""

    def __init__(self, unet, beta_start=0.00085, beta_end=0.012, steps=1000):
        super().__init__()
        self.unet = unet
        betas = torch.linspace(beta_start**0.5, beta_end**0.5, steps, dtype=torch.float64) ** 2
        self.register_buffer("alphas_cumprod", torch.cumprod(1 - betas, 0).float())

    def apply_model(self, x, t, cond):
        xc = torch.cat([x, *cond["c_concat"]], dim=1)
        return self.unet(xc, t, encoder_hidden_states=torch.cat(cond["c_crossattn"], 1)).sample


class CFGDenoiser(torch.nn.Module):
    """edit_cli.py's guidance: (cond, img-cond, uncond) in one batch, text and image scales."""

    def __init__(self, model):
        super().__init__()
        self.inner_model = model

    def forward(self, z, sigma, cond, uncond, text_cfg_scale, image_cfg_scale):
        cfg_z, cfg_sigma = torch.cat([z] * 3), torch.cat([sigma] * 3)
        cfg_cond = {
            "c_crossattn": [
                torch.cat([cond["c_crossattn"][0], uncond["c_crossattn"][0], uncond["c_crossattn"][0]])
            ],
            "c_concat": [torch.cat([cond["c_concat"][0], cond["c_concat"][0], uncond["c_concat"][0]])],
        }
        out_cond, out_img_cond, out_uncond = self.inner_model(cfg_z, cfg_sigma, cond=cfg_cond).chunk(3)
        return (
            out_uncond
            + text_cfg_scale * (out_cond - out_img_cond)
            + image_cfg_scale * (out_img_cond - out_uncond)
        )


class CompVisDenoiser(torch.nn.Module):
    """k-diffusion's CompVisDenoiser (eps model, no quantization), transcribed."""

    def __init__(self, model):
        super().__init__()
        self.inner_model = model
        self.sigmas = ((1 - model.alphas_cumprod) / model.alphas_cumprod) ** 0.5
        self.log_sigmas = self.sigmas.log()

    def get_sigmas(self, n):
        t = torch.linspace(len(self.sigmas) - 1, 0, n)
        low, high, w = t.floor().long(), t.ceil().long(), t.frac()
        sig = ((1 - w) * self.log_sigmas[low] + w * self.log_sigmas[high]).exp()
        return torch.cat([sig, sig.new_zeros([1])])

    def sigma_to_t(self, sigma):
        log_sigma = sigma.log()
        dists = log_sigma - self.log_sigmas[:, None]
        low = dists.ge(0).cumsum(dim=0).argmax(dim=0).clamp(max=self.log_sigmas.shape[0] - 2)
        high = low + 1
        lo, hi = self.log_sigmas[low], self.log_sigmas[high]
        w = ((lo - log_sigma) / (lo - hi)).clamp(0, 1)
        return ((1 - w) * low + w * high).view(sigma.shape)

    def forward(self, x, sigma, **kwargs):
        c_out, c_in = -sigma[:, None, None, None], 1 / (sigma[:, None, None, None] ** 2 + 1) ** 0.5
        return x + self.inner_model.apply_model(x * c_in, self.sigma_to_t(sigma), **kwargs) * c_out


def sample_euler_ancestral(model, x, sigmas, extra_args):
    s_in = x.new_ones([x.shape[0]])
    for i in range(len(sigmas) - 1):
        denoised = model(x, sigmas[i] * s_in, **extra_args)
        sigma_from, sigma_to = sigmas[i], sigmas[i + 1]
        sigma_up = min(sigma_to, (sigma_to**2 * (sigma_from**2 - sigma_to**2) / sigma_from**2) ** 0.5)
        sigma_down = (sigma_to**2 - sigma_up**2) ** 0.5
        x = x + (x - denoised) / sigmas[i] * (sigma_down - sigmas[i])
        if sigmas[i + 1] > 0:
            x = x + torch.randn_like(x) * sigma_up
    return x


def _edit_cli_latents(pipe, fitted, instruction, steps, text_cfg, image_cfg, seed, use_package):
    """edit_cli.py's sampling block on the pipeline's own networks; the final latents."""
    with torch.no_grad():
        tok = pipe.tokenizer
        embed = lambda text: pipe.text_encoder(  # noqa: E731
            tok([text], padding="max_length", max_length=tok.model_max_length, truncation=True,
                return_tensors="pt").input_ids
        )[0]  # fmt: skip
        image = 2 * torch.tensor(np.asarray(fitted)).float() / 255 - 1
        image = image.permute(2, 0, 1)[None]
        cond = {"c_crossattn": [embed(instruction)], "c_concat": [pipe.vae.encode(image).latent_dist.mode()]}
        uncond = {"c_crossattn": [embed("")], "c_concat": [torch.zeros_like(cond["c_concat"][0])]}
        ldm = TinyLDM(pipe.unet)
        if use_package:
            import k_diffusion as K

            wrap, sample = K.external.CompVisDenoiser(ldm), K.sampling.sample_euler_ancestral
        else:
            wrap, sample = CompVisDenoiser(ldm), sample_euler_ancestral
        sigmas = wrap.get_sigmas(steps)
        extra = {"cond": cond, "uncond": uncond, "text_cfg_scale": text_cfg, "image_cfg_scale": image_cfg}
        torch.manual_seed(seed)
        z = torch.randn_like(cond["c_concat"][0]) * sigmas[0]
        kwargs = {"disable": True} if use_package else {}
        return sample(CFGDenoiser(wrap), z, sigmas, extra_args=extra, **kwargs)


@pytest.fixture(scope="module")
def ip2p_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("ip2p-home")
    tiny_diffusion.write_all(home / "weights")
    return home


@pytest.mark.parametrize(
    "use_package",
    [False, pytest.param(True, marks=pytest.mark.skipif(not HAVE_K, reason="k-diffusion not installed"))],
)
def test_ip2p_latents_equal_edit_cli_sampling(ip2p_home, isolated_caches, monkeypatch, use_package):
    from skimage.data import chelsea

    monkeypatch.setenv("PASD_BENCH_HOME", str(ip2p_home))
    steps, seed = 12, 3
    method = create_method("instructpix2pix", style_model="toonyou", steps=steps, resolution=128)
    method.load()
    pipe = method.pipe
    fitted = fit_image(chelsea()[::3, ::3].copy(), 128)

    def sample():
        return pipe(
            prompt="turn it into a cartoon", image=fitted, num_inference_steps=steps, guidance_scale=7.5,
            image_guidance_scale=1.5, generator=torch.Generator().manual_seed(seed), output_type="latent",
        ).images  # fmt: skip

    ours = sample()
    ref = _edit_cli_latents(pipe, fitted, "turn it into a cartoon", steps, 7.5, 1.5, seed, use_package)
    assert ours.shape == ref.shape and ref.abs().mean() > 1.0
    # float rounding and linear vs log-linear sigmas (at most 8.5e-5 relative): 3e-4 measured here
    torch.testing.assert_close(ours, ref, rtol=0, atol=2e-3)
    # the test can tell samplers apart: the same scheduler with "leading" spacing is far away
    from diffusers import EulerAncestralDiscreteScheduler

    pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(
        pipe.scheduler.config, timestep_spacing="leading"
    )
    other = sample()
    assert (other - ref).abs().max() > 0.1


@pytest.mark.skipif(not HAVE_K, reason="k-diffusion not installed")
def test_transcription_equals_k_diffusion():
    import k_diffusion as K

    torch.manual_seed(0)
    ldm = TinyLDM(torch.nn.Identity())
    ours, theirs = CompVisDenoiser(ldm), K.external.CompVisDenoiser(ldm)
    for n in (2, 12, 100):
        torch.testing.assert_close(ours.get_sigmas(n), theirs.get_sigmas(n), rtol=0, atol=0)
    sig = theirs.get_sigmas(50)[:-1]
    torch.testing.assert_close(ours.sigma_to_t(sig), theirs.sigma_to_t(sig), rtol=0, atol=0)

    def model(x, sigma):
        return x * 0.5 + torch.tanh(x) * sigma[:, None, None, None].clamp(max=1)

    x0 = torch.randn(1, 4, 8, 8) * 14.6
    torch.manual_seed(1)
    a = sample_euler_ancestral(model, x0, theirs.get_sigmas(10), {})
    torch.manual_seed(1)
    b = K.sampling.sample_euler_ancestral(model, x0, theirs.get_sigmas(10), disable=True)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert math.isfinite(float(a.abs().sum()))
