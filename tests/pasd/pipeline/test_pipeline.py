"""End-to-end PASDPipeline on tiny random-weight models (CPU, a few seconds per call)."""

import numpy as np
import pytest
import torch

from pasd.pipeline import PASDPipeline

FAST = {"num_inference_steps": 2, "process_size": 64, "output_type": "np"}


def _run(pipe, image, seed=0, **kwargs):
    # CPU generator: the same noise on every device
    opts = {**FAST, **kwargs}
    return pipe(image, prompt="a photo", generator=torch.Generator("cpu").manual_seed(seed), **opts).images[0]


def test_output_size_and_seeds(pipe, lq_image):
    a = _run(pipe, lq_image, upscale=4)
    assert a.shape == (96, 128, 3) and a.dtype == np.uint8
    assert np.array_equal(a, _run(pipe, lq_image, upscale=4))
    assert not np.array_equal(a, _run(pipe, lq_image, seed=1, upscale=4))


def test_pil_output_and_odd_sizes(pipe):
    from PIL import Image

    img = np.random.default_rng(0).integers(0, 255, (13, 19, 3), dtype=np.uint8)
    out = pipe(Image.fromarray(img), upscale=2, num_inference_steps=1, process_size=64).images[0]
    assert isinstance(out, Image.Image) and out.size == (38, 26)


def test_tiled_denoising_matches_untiled(pipe, lq_image):
    img = lq_image[:, :24]  # 24x24 -> x4 -> 96 px -> 12x12 latent: tiles of 8 with overlap 4
    whole = _run(pipe, img, process_size=96, tile_size=320).astype(float)
    tiled = _run(pipe, img, process_size=96, tile_size=8, tile_overlap=4).astype(float)
    batched = _run(pipe, img, process_size=96, tile_size=8, tile_overlap=4, tile_batch=4).astype(float)
    other_seed = _run(pipe, img, seed=1, process_size=96, tile_size=320).astype(float)
    seed_gap = np.abs(whole - other_seed).mean()
    assert np.abs(whole - tiled).mean() < 0.3 * seed_gap
    assert np.abs(tiled - batched).max() <= 2  # batching tiles only reorders float sums


def test_paca_switch_changes_output(pipe, lq_image):
    on = _run(pipe, lq_image, upscale=1)
    off = _run(pipe, lq_image, upscale=1, use_paca=False)
    assert np.abs(on.astype(int) - off.astype(int)).mean() > 1


def test_pure_noise_init_differs_from_lq_init(pipe, lq_image):
    lq = _run(pipe, lq_image, upscale=1, color_fix="none")
    noise = _run(pipe, lq_image, upscale=1, color_fix="none", init_latents="noise")
    assert noise.shape == lq.shape and not np.array_equal(lq, noise)


def test_colorization_keeps_input_luma(pipe, lq_image):
    import cv2

    out = _run(pipe, lq_image, task="colorization")
    assert out.shape == lq_image.shape
    y_in = cv2.cvtColor(lq_image, cv2.COLOR_RGB2YUV)[..., 0].astype(int)
    y_out = cv2.cvtColor(out, cv2.COLOR_RGB2YUV)[..., 0].astype(int)
    # exact up to YUV<->RGB rounding, except where the random chroma pushes RGB out of [0, 255]
    unclipped = ((out > 0) & (out < 255)).all(-1)
    assert unclipped.mean() > 0.5
    assert np.abs(y_in - y_out)[unclipped].max() <= 2


def test_merge_luma_keeps_luma_exactly():
    import cv2

    from pasd.pipeline.images import merge_luma

    rng = np.random.default_rng(0)
    gray = np.repeat(rng.integers(60, 200, (16, 16, 1), dtype=np.uint8), 3, axis=2)
    tint = np.clip(gray.astype(int) + [20, -10, -15], 0, 255).astype(np.uint8)
    out = merge_luma(gray, tint)
    y = cv2.cvtColor(out, cv2.COLOR_RGB2YUV)[..., 0].astype(int)
    assert np.abs(y - gray[..., 0]).max() <= 1
    assert (out[..., 0].astype(int) - out[..., 2]).mean() > 10  # the tint's colour came through


def test_save_pretrained_round_trip(pipe, lq_image, tmp_path):
    pipe.save_pretrained(tmp_path / "saved")
    again = PASDPipeline.from_pretrained(tmp_path / "saved")
    again.set_progress_bar_config(disable=True)
    assert np.array_equal(_run(pipe, lq_image, upscale=1), _run(again, lq_image, upscale=1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"task": "inpaint"}, "task"), ({"color_fix": "hist"}, "color_fix"), ({"output_type": "pt"}, "output_type"),
     ({"num_inference_steps": 0}, "num_inference_steps"), ({"prompt": ["a", "b"]}, "2 prompts")],
)  # fmt: skip
def test_bad_options_fail_before_denoising(pipe, lq_image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pipe(lq_image, **kwargs)


def test_missing_folder_parts(tiny_dirs, tmp_path):
    with pytest.raises(FileNotFoundError, match="diffusers SD1.5 folder"):
        PASDPipeline.from_pretrained(tmp_path, tiny_dirs[1])


def test_tiled_vae_matches_untiled(pipe, lq_image, monkeypatch):
    from pasd.pipeline import vae_tiling

    img = lq_image[:, :24]
    whole = _run(pipe, img, process_size=96, vae_encoder_tile=None, vae_decoder_tile=None).astype(float)
    # 96 px control: encoder tiles of 32 px (+8 pad), decoder tiles of 4 latent px (+2 pad)
    enc, dec = vae_tiling.encode_hidden, vae_tiling.decode_hidden
    monkeypatch.setattr("pasd.pipeline.pipeline.encode_hidden", lambda net, x, tile: enc(net, x, 32, 8))
    monkeypatch.setattr("pasd.pipeline.pipeline.decode_hidden", lambda net, z, tile: dec(net, z, 4, 2))
    tiled = _run(pipe, img, process_size=96).astype(float)
    monkeypatch.undo()
    other_seed = _run(pipe, img, seed=1, process_size=96).astype(float)
    assert not np.array_equal(whole, tiled)  # the tiled path really ran
    assert np.abs(whole - tiled).mean() < 0.3 * np.abs(whole - other_seed).mean()


def test_bf16_runs_close_to_fp32(tiny_dirs, lq_image):
    from pasd.pipeline.build import load_pipeline

    fp32 = load_pipeline(*tiny_dirs, dtype="fp32")
    bf16 = load_pipeline(*tiny_dirs, dtype="bf16")
    assert bf16.unet.dtype == torch.bfloat16 and bf16.controlnet.dtype == torch.bfloat16
    for p in (fp32, bf16):
        p.set_progress_bar_config(disable=True)
    a, b = (_run(p, lq_image, upscale=1).astype(float) for p in (fp32, bf16))
    assert np.abs(a - b).mean() < 5
