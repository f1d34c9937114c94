"""Official constants and golden slices (diffusers style) of the colour fix, tiling, VAE tiling and prompts.

Golden numbers were computed once with this code on fixed inputs; the official-output comparison
is ``test_official_refs.py``. A changed constant (noise level 900, 5 wavelet levels, Gaussian
variance 0.01, tile 320/8, VAE tiles 1024+32 / 224+11) fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from pasd.pipeline import color_fix, tiling, vae_tiling
from pasd.pipeline.pipeline import ADDED_NOISE_LEVEL, OFFICIAL_UPSCALE
from pasd.pipeline.prompts import ADDED_PROMPT, compose_prompt


def test_official_constants():
    assert ADDED_NOISE_LEVEL == 900 and OFFICIAL_UPSCALE == 1
    assert color_fix.WAVELET_LEVELS == 5 and color_fix.ADAIN_EPS == 1e-5
    assert (tiling.DEFAULT_TILE, tiling.DEFAULT_OVERLAP, tiling.TILE_GAUSSIAN_VAR) == (320, 8, 0.01)
    assert (vae_tiling.ENCODER_TILE, vae_tiling.ENCODER_PAD) == (1024, 32)
    assert (vae_tiling.DECODER_TILE, vae_tiling.DECODER_PAD) == (224, 11)
    # exact encode up to 1088 px, exact decode up to 246 latent px (1968 px)
    assert not vae_tiling.needs_tiling(1088, 1088, 1024, 32) and vae_tiling.needs_tiling(64, 1089, 1024, 32)
    assert not vae_tiling.needs_tiling(246, 10, 224, 11) and vae_tiling.needs_tiling(247, 10, 224, 11)


def test_gaussian_weights_match_official_formula():
    n, var = 320, 0.01
    # the official _gaussian_weights, written out: x centre (n-1)/2, y centre n/2, float64
    xs = np.exp(-((np.arange(n) - (n - 1) / 2) ** 2) / (n * n) / (2 * var)) / np.sqrt(2 * np.pi * var)
    ys = np.exp(-((np.arange(n) - n / 2) ** 2) / (n * n) / (2 * var)) / np.sqrt(2 * np.pi * var)
    w = tiling.gaussian_weights(n)
    assert w.dtype == torch.float64
    np.testing.assert_allclose(w.numpy(), np.outer(ys, xs), rtol=1e-12)
    np.testing.assert_allclose(
        [w[0, 0], w[160, 159], w[0, 319]], [2.38965e-10, 15.9135516, 2.38965e-10], rtol=1e-5
    )


def test_official_tile_grid():
    side, boxes = tiling.tile_boxes(200, 600, 320, 8)  # square tiles of min(320, 200, 600)
    assert side == 200
    assert boxes == [(0, 0), (0, 192), (0, 384), (0, 400)]  # x-major; last tile flush with the edge


@pytest.fixture(scope="module")
def photo_pair():
    from skimage.data import astronaut

    img = Image.fromarray(astronaut()).resize((64, 48), Image.BICUBIC)
    blurred = img.resize((16, 12), Image.BICUBIC).resize((64, 48), Image.BICUBIC)
    shifted = (np.asarray(img).astype(int) + [30, -20, 10]).clip(0, 255).astype(np.uint8)
    return shifted, np.asarray(blurred)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("wavelet", [186, 49, 0, 144, 58, 0, 27, 18, 0]),
     ("adain", [193, 76, 25, 157, 82, 27, 57, 48, 28])],
    ids=["wavelet", "adain"],
)  # fmt: skip
def test_uint8_colour_fix_golden(photo_pair, mode, expected):
    out, ref = photo_pair
    fixed = color_fix.color_fix_uint8(out, ref, mode)
    assert fixed.dtype == np.uint8 and fixed.shape == out.shape
    np.testing.assert_array_equal(fixed[:3, :3, 0].flatten(), expected)  # 3x3 corner, red channel


def test_uint8_colour_fix_truncates(photo_pair):
    out, ref = photo_pair
    fixed = color_fix.color_fix_uint8(out, ref, "wavelet")
    t = lambda a: torch.from_numpy(a.copy()).permute(2, 0, 1)[None].float() / 255  # noqa: E731
    exact = color_fix.wavelet_color_fix(t(out), t(ref))[0].permute(1, 2, 0).numpy() * 255
    np.testing.assert_array_equal(fixed, np.floor(exact.astype(np.float32)).astype(np.uint8))
    assert (np.round(exact) != fixed).any()  # rounding would differ: truncation is what is pinned


@pytest.mark.parametrize("levels", [3, 4, 6])
def test_wavelet_level_count_matters(photo_pair, levels):
    out, ref = photo_pair
    t = torch.from_numpy(ref.copy()).permute(2, 0, 1)[None].float() / 255
    assert not torch.allclose(color_fix.wavelet_split(t, levels)[1], color_fix.wavelet_split(t)[1], atol=1e-3)


@pytest.fixture(scope="module")
def tiny_vae():
    from pasd.tiny import build_tiny_vae

    return build_tiny_vae(0).eval()


def test_vae_single_tile_is_exact(tiny_vae):
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 48) * 2 - 1
    with torch.no_grad():
        whole = tiny_vae.encoder(x)
        one = vae_tiling.tiled_forward(tiny_vae.encoder, x, tile=64, pad=0, decoder=False)
    torch.testing.assert_close(one, whole, atol=2e-5, rtol=1e-4)


def test_vae_tiles_share_groupnorm_statistics(tiny_vae):
    torch.manual_seed(0)
    z = torch.randn(1, 4, 24, 20)
    with torch.no_grad():
        whole = tiny_vae.decoder(z)
        shared = vae_tiling.decode_hidden(tiny_vae.decoder, z, tile=8, pad=3)
    assert shared.shape == whole.shape == (1, 3, 192, 160)
    err = (shared - whole).abs().mean().item()
    # mean |tiled - untiled| with 3x3 tiles of 8 (+3 pad) latent px: measured 0.061; two different
    # latents differ by 0.29. The pad is far below the decoder's receptive field, hence the gap.
    assert err < 0.08, err
    np.testing.assert_allclose(
        shared[0, 0, :3, :3].flatten().numpy(),
        [-0.08474, -0.04829, -0.122, -0.06773, -0.0227, -0.01533, -0.1375, -0.14297, -0.06469],
        atol=1e-4,
    )


@pytest.mark.parametrize(
    ("rule", "high", "user", "expected"),
    [
        ("class", "tabby", "", f"tabby, {ADDED_PROMPT}"),
        ("class", "tabby", "a cat", f"a cat, tabby, {ADDED_PROMPT}"),
        ("class", "", "a cat", ADDED_PROMPT),  # below probability 0.1: user prompt dropped too
        ("detect", "2 dog, 1 person", "", f"2 dog, 1 person, {ADDED_PROMPT}"),
        ("detect", "2 dog", "park", f"park, 2 dog, {ADDED_PROMPT}"),
        ("detect", "", "park", f"park, {ADDED_PROMPT}"),
        ("caption", "a dog on grass . ", "", f"a dog on grass . {ADDED_PROMPT}"),
        ("caption", "a dog on grass . ", "sharp", f"a dog on grass .  sharp{ADDED_PROMPT}"),
        ("blip", "a dog on grass", "", f"a dog on grass{ADDED_PROMPT}"),
        ("blip", "a dog on grass", "sharp", f"a dog on grass, sharp{ADDED_PROMPT}"),
        ("none", "", "", ADDED_PROMPT),
        ("none", "", "sharp", f"sharp, {ADDED_PROMPT}"),
    ],
)
def test_official_prompt_strings(rule, high, user, expected):
    assert compose_prompt(high, user, ADDED_PROMPT, rule=rule) == expected


def test_unknown_prompt_rule():
    with pytest.raises(ValueError, match="prompt rule"):
        compose_prompt("", rule="bogus")
