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


def test_the_newer_readers_decode_16bit_the_same(deep_png, tmp_path):
    """Modules added after the one reader: imported outputs, own folders, the study, training data."""
    import shutil

    from baselines import create_method
    from benchmarks.datasets import create_dataset
    from benchmarks.study.encode import decode_rgb
    from pasd.training.data import _image_size

    path, deep = deep_png
    expected = np.round(deep.astype(np.float64) / 257.0).astype(np.uint8)
    for sub in ("lq", "hq", "out"):
        (tmp_path / sub).mkdir()
    shutil.copy(path, tmp_path / "lq" / "deep.png")
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "hq" / "deep.png")
    shutil.copy(path, tmp_path / "out" / "deep.png")
    ds = create_dataset("folder", tmp_path, lq="lq", hq="hq")
    item = ds.items()[0]
    got = {
        "folder dataset": ds.load_lq(item),
        "folder method": create_method("folder", path=str(tmp_path / "out"), scale=1).process_item(
            expected, None, names=("deep",)
        ),
        "study": decode_rgb(path),
    }
    for who, pixels in got.items():
        np.testing.assert_array_equal(pixels, expected, err_msg=who)
    assert _image_size(path) == (8, 8)


def test_the_newer_modules_use_the_one_suffix_list():
    from baselines.folder_adapter import FolderMethod
    from benchmarks.study import create
    from pasd.utils import image_io

    assert FolderMethod.suffixes is image_io.IMAGE_SUFFIXES
    assert create.IMAGE_EXTS is image_io.IMAGE_SUFFIXES


def test_the_study_composites_translucent_pixels_over_its_page_grey(tmp_path):
    from benchmarks.study.encode import SURROUND, decode_rgb
    from pasd.utils.image_io import read_image

    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 0], rgba[0, 0, 3], rgba[1, 1, 3] = 200, 255, 64
    Image.fromarray(rgba).save(tmp_path / "a.png")
    want = np.round(np.array([200, 0, 0]) * 64 / 255 + SURROUND * (1 - 64 / 255)).astype(np.uint8)
    assert tuple(decode_rgb(tmp_path / "a.png")[1, 1]) == tuple(want)
    assert tuple(read_image(tmp_path / "a.png", matte=SURROUND).pixels[0, 0]) == (200, 0, 0)
    with pytest.raises(ValueError, match="matte must be a grey level"):
        read_image(tmp_path / "a.png", matte=300)


def test_only_the_one_module_decodes_image_files():
    """No other library module opens image files itself (perf scripts call their peers' readers on purpose)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    allowed = {
        "pasd/utils/image_io.py",
        "benchmarks/study/gold.py",  # decodes its own in-memory JPEG round trip (a decoy), not a file
        "benchmarks/study/encode.py",  # re-reads the PNG bytes it just encoded, to verify them
    }
    offenders = []
    for pkg in ("pasd", "baselines", "benchmarks"):
        for py in sorted((root / pkg).rglob("*.py")):
            rel = py.relative_to(root).as_posix()
            if rel in allowed or rel.startswith("benchmarks/perf/"):
                continue
            for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    name = owner.id if isinstance(owner, ast.Name) else ""
                    if (name, node.func.attr) in {
                        ("Image", "open"),
                        ("cv2", "imread"),
                        ("imageio", "imread"),
                    }:
                        offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


def test_baselines_never_import_benchmarks():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    bad = []
    for py in sorted((root / "baselines").rglob("*.py")):
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [
                f"{py.relative_to(root)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "benchmarks"
            ]
    assert not bad, bad
