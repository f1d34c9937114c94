"""Figures: exact PNG pixel sizes; comparison-grid crops are the source pixels, magnified."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmarks.plots import comparison_grid, metric_bar_chart, per_image_distribution
from benchmarks.plots.crops import auto_crop, draw_rect, find_image, magnify
from benchmarks.results import ResultsStore
from tests.benchmarks.results.store_data import IMAGES, fill_store, write_images


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    fill_store(root)
    with ResultsStore(root) as s:
        return s.set_level(), s.per_image()


def png(path):
    with Image.open(path) as im:
        return im.format, im.size, np.asarray(im.convert("RGB"))


def test_bar_chart_size(frames, tmp_path):
    sl, _ = frames
    out = metric_bar_chart(sl, "sample", "psnr", tmp_path / "bar.png", size=(640, 360), dpi=80)
    fmt, size, pix = png(out)
    assert (fmt, size) == ("PNG", (640, 360))
    assert (pix == [214, 39, 40]).all(axis=2).any()  # the best bar is drawn red
    with pytest.raises(ValueError, match="no results"):
        metric_bar_chart(sl, "sample", "musiq", tmp_path / "x.png")


def test_bar_chart_without_numbers(frames, tmp_path):
    sl, _ = frames
    # only "weights missing" cells: an empty chart with the status written, no crash
    fmt, size, _ = png(metric_bar_chart(sl, "sample", "fid", tmp_path / "fid.png", size=(400, 300)))
    assert size == (400, 300)


@pytest.mark.parametrize("kind", ["box", "violin"])
def test_distribution_size(frames, tmp_path, kind):
    _, pi = frames
    out = per_image_distribution(pi, "sample", "lpips", tmp_path / f"{kind}.png", kind=kind, size=(500, 300))
    assert png(out)[:2] == ("PNG", (500, 300))


def test_distribution_errors(frames, tmp_path):
    _, pi = frames
    with pytest.raises(ValueError, match="kind 'bar'"):
        per_image_distribution(pi, "sample", "psnr", tmp_path / "x.png", kind="bar")
    with pytest.raises(ValueError, match="no per-image values"):
        per_image_distribution(pi, "realsr", "psnr", tmp_path / "x.png")


@pytest.fixture(scope="module")
def image_dirs(tmp_path_factory):
    return write_images(tmp_path_factory.mktemp("imgs"), size=64)


def test_grid_crops_match_source_pixels(image_dirs, tmp_path):
    methods = {m: image_dirs[m] for m in ("bicubic", "lanczos", "pasd-tiny")}
    crops = {"astronaut": (10, 20, 16, 12), "coffee": (40, 0, 24, 24)}
    lay = comparison_grid(
        ["astronaut", "coffee"], methods, tmp_path / "grid.png", lq_dir=image_dirs["lq"], hq_dir=image_dirs["hq"],
        crops=crops, panel=96,
    )  # fmt: skip
    fmt, size, pix = png(tmp_path / "grid.png")
    assert fmt == "PNG" and size == lay.size
    assert lay.columns == [
        "LQ input",
        "HQ (ground truth)",
        "Bicubic",
        "Lanczos",
        "pasd-tiny (random weights)",
    ]
    folders = [image_dirs["lq"], image_dirs["hq"], *methods.values()]
    for name, (x, y, w, h) in crops.items():
        z = int(lay.factors[name])
        assert z == 96 // max(w, h)
        for col, folder in enumerate(folders):
            src = png(folder / f"{name}.png")[2]
            if col == 0:  # LQ is shown nearest-neighbour upscaled to the output size (x4)
                src = np.repeat(np.repeat(src, 4, axis=0), 4, axis=1)
            zx, zy, zw, zh = lay.zoom_boxes[name][col]
            assert (zw, zh) == (w * z, h * z)
            np.testing.assert_array_equal(
                pix[zy : zy + zh, zx : zx + zw], magnify(src[y : y + h, x : x + w], z)
            )
        # the full view carries the red crop rectangle
        vx, vy, vw, vh = lay.view_boxes[name][1]
        view = pix[vy : vy + vh, vx : vx + vw]
        assert (view == [255, 0, 0]).all(axis=2).sum() > 2 * (w + h)


def test_grid_missing_output_and_errors(image_dirs, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "chelsea.png").write_bytes((image_dirs["bicubic"] / "chelsea.png").read_bytes())
    lay = comparison_grid(
        IMAGES[:2], {"bicubic": image_dirs["bicubic"], "pasd": partial}, tmp_path / "g.png", panel=64
    )
    assert lay.missing == {"astronaut": ["PASD"], "chelsea": []}
    zx, zy, zw, zh = lay.zoom_boxes["astronaut"][1]
    assert (png(tmp_path / "g.png")[2][zy + 1, zx + 1] == 200).all()  # grey "missing" panel
    with pytest.raises(ValueError, match="does not fit"):
        comparison_grid(
            ["chelsea"],
            {"bicubic": image_dirs["bicubic"]},
            tmp_path / "x.png",
            crops={"chelsea": (60, 60, 10, 10)},
        )
    with pytest.raises(ValueError, match="in none of the output folders"):
        comparison_grid(["nope"], {"bicubic": image_dirs["bicubic"]}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_auto_crop_finds_texture():
    img = np.zeros((64, 64, 3), np.uint8)
    img[40:56, 8:24] = np.indices((16, 16)).sum(0)[..., None] % 2 * 255  # a checkerboard patch
    x, y, w, h = auto_crop(img, 16)
    assert (w, h) == (16, 16) and abs(x - 8) <= 4 and abs(y - 40) <= 4


def test_helpers(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "0001_LR4.png")
    assert find_image(tmp_path, "0001") == tmp_path / "0001_LR4.png"
    assert find_image(tmp_path, "0002") is None
    out = draw_rect(np.zeros((10, 10, 3), np.uint8), (2, 2, 6, 6), width=1)
    assert out[2, 2:8, 0].tolist() == [255] * 6 and out[4, 4, 0] == 0
    assert magnify(np.arange(4).reshape(2, 2), 2).tolist() == [
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [2, 2, 3, 3],
        [2, 2, 3, 3],
    ]
