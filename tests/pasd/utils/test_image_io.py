"""One image reader for the whole suite: same pixels, same suffixes, same error, same alpha rule everywhere."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image


@pytest.fixture
def deep_png(tmp_path):
    """A 16-bit colour PNG whose values are not multiples of 257 (where floor(v/256) != round(v/257))."""
    rgb = skimage.data.astronaut()[:8, :8].astype(np.uint16)
    deep = rgb * 257 + np.arange(64, dtype=np.uint16).reshape(8, 8, 1) * 3  # up to +189
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    return path, deep


def test_every_reader_decodes_16bit_the_same(deep_png, tmp_path):
    from benchmarks.datasets.base import read_rgb
    from benchmarks.metrics.images import read_image
    from benchmarks.plots.crops import load_rgb
    from pasd.degradation.image_io import read_rgb8
    from pasd.pipeline.batch import run_batch

    path, deep = deep_png
    expected = np.round(deep.astype(np.float64) / 257.0).astype(np.uint8)  # the documented rule
    seen = {}
    run_batch(lambda rgb, gen: seen.setdefault("infer", rgb.copy()), [path], tmp_path / "out", progress=False)
    got = {
        "datasets": read_rgb(path),
        "metrics": read_image(path).pixels,
        "synth": read_rgb8(path)[0],
        "report": load_rgb(path),
        "infer": seen["infer"],
    }
    for who, pixels in got.items():
        np.testing.assert_array_equal(pixels, expected, err_msg=who)
    # Pillow alone keeps only the high byte of 16-bit colour: that rule would differ here
    assert (np.asarray(Image.open(path).convert("RGB")) != expected).any()


def test_one_suffix_list_and_one_error_type():
    from benchmarks.datasets import base as datasets_base
    from benchmarks.metrics import images as metrics_images
    from benchmarks.plots import crops
    from pasd.degradation import image_io as degradation_io
    from pasd.pipeline import batch
    from pasd.utils import image_io

    for module in (datasets_base, degradation_io, batch, crops):
        assert module.IMAGE_SUFFIXES is image_io.IMAGE_SUFFIXES, module.__name__
    assert metrics_images.IMAGE_EXTENSIONS is image_io.IMAGE_SUFFIXES
    assert degradation_io.BadImageError is image_io.UnreadableImageError
    assert metrics_images.UnreadableImageError is image_io.UnreadableImageError


def test_translucent_alpha_has_one_rule(tmp_path):
    """metrics refused translucent alpha while infer dropped it silently; now both follow the policy."""
    from pasd.pipeline.batch import run_batch
    from pasd.utils import image_io

    rgba = np.dstack([skimage.data.astronaut()[:8, :8], np.full((8, 8), 100, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    with pytest.raises(image_io.UnreadableImageError, match="translucent alpha"):
        image_io.read_image(tmp_path / "t.png")
    summary = run_batch(lambda rgb, gen: rgb, [tmp_path / "t.png"], tmp_path / "a", progress=False)
    assert not summary.written and "translucent alpha" in summary.failed[0][1]
    summary = run_batch(
        lambda rgb, gen: rgb, [tmp_path / "t.png"], tmp_path / "b", progress=False, alpha="white"
    )
    composite = np.round(rgba[..., :3] * (100 / 255) + 255 * (1 - 100 / 255)).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(summary.written[0])), composite)


def test_unreadable_and_gray(tmp_path):
    from pasd.utils import image_io

    (tmp_path / "bad.png").write_bytes(b"\x89PNG not an image")
    with pytest.raises(image_io.UnreadableImageError, match="bad.png: unreadable or corrupt"):
        image_io.read_image(tmp_path / "bad.png")
    Image.fromarray(np.full((3, 4), 9, np.uint8), "L").save(tmp_path / "g.png")
    got = image_io.read_image(tmp_path / "g.png")
    assert got.pixels.shape == (3, 4, 3) and got.notes == (image_io.NOTE_GRAY,) and got.pixels.flags.writeable
    assert image_io.image_size(tmp_path / "g.png") == (4, 3)
    assert image_io.is_gray(got.pixels) and not image_io.is_gray(skimage.data.astronaut()[:4, :4])
