"""Building a synthetic set from a folder: reproducible bytes, resume, bad inputs."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from pasd.degradation import load_config
from pasd.degradation.image_io import read_rgb8
from pasd.degradation.synth import synthesize_folder

from .conftest import photo


def _bgr(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def hq_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("hq")
    cv2.imwrite(str(d / "astronaut.png"), _bgr(photo("astronaut", size=100)))  # 100 % 4 == 0
    cv2.imwrite(str(d / "coffee.jpg"), _bgr(photo("coffee", size=96)))
    return d


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    rgb = photo("chelsea", size=98)  # not a multiple of 4 -> mod-crop
    cv2.imwrite(str(d / "gray.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    rgba = np.dstack([_bgr(rgb), np.full(rgb.shape[:2], 200, np.uint8)])
    cv2.imwrite(str(d / "rgba.png"), rgba)
    cv2.imwrite(str(d / "deep.png"), _bgr(rgb).astype(np.uint16) * 257)
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (d / "empty.jpg").write_bytes(b"")
    cv2.imwrite(str(d / "tiny.png"), _bgr(photo("rocket", size=32)))
    (d / "notes.txt").write_text("not an image")
    return d


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def first_run(hq_dir, config, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "set"
    report = synthesize_folder(hq_dir, out, config, seed=0, crop=64, progress=False)
    return out, report


def test_writes_lq_hq_manifest(first_run, config):
    out, report = first_run
    assert sorted(report.done) == ["astronaut", "coffee"] and not report.skipped
    files = _files(out)
    assert set(files) == {
        "HQ/astronaut.png",
        "HQ/coffee.png",
        "LQ/astronaut.png",
        "LQ/coffee.png",
        "manifest.json",
    }
    lq, _ = read_rgb8(out / "LQ/astronaut.png")
    hq, _ = read_rgb8(out / "HQ/astronaut.png")
    assert hq.shape == (64, 64, 3) and lq.shape == (16, 16, 3)
    m = json.loads(files["manifest.json"])
    assert m["settings"]["seed"] == 0 and m["settings"]["crop"] == 64 and m["settings"]["scale"] == 4
    assert m["settings"]["config"]["name"] == "pasd_x4" and "torch" in m["versions"]
    entry = m["images"]["coffee"]
    assert entry["source"] == "coffee.jpg" and entry["status"] == "ok"
    assert {"kernel1", "kernel2", "sinc", "stage1", "stage2", "final"} <= set(entry["params"])
    assert entry["crop"]["height"] == 64 and 0 <= entry["crop"]["top"] <= 96 - 64


def test_same_bytes_twice_and_with_workers(first_run, hq_dir, config, tmp_path):
    out, _ = first_run
    again = synthesize_folder(hq_dir, tmp_path / "again", config, seed=0, crop=64, workers=2, progress=False)
    assert sorted(again.done) == ["astronaut", "coffee"]
    assert _files(tmp_path / "again") == _files(out)


def test_other_seed_differs(first_run, hq_dir, config, tmp_path):
    out, _ = first_run
    synthesize_folder(hq_dir, tmp_path / "s1", config, seed=1, crop=64, progress=False)
    assert _files(tmp_path / "s1")["LQ/coffee.png"] != _files(out)["LQ/coffee.png"]


def test_resume_skips_finished_and_redoes_missing(hq_dir, config, tmp_path):
    out = tmp_path / "r"
    synthesize_folder(hq_dir, out, config, seed=0, crop=64, progress=False)
    before = _files(out)
    (out / "LQ/coffee.png").unlink()
    report = synthesize_folder(hq_dir, out, config, seed=0, crop=64, progress=False)
    assert report.reused == ["astronaut"] and report.done == ["coffee"]
    assert _files(out) == before


def test_resume_refuses_other_settings(first_run, hq_dir, config):
    out, _ = first_run
    with pytest.raises(ValueError, match=r"other settings \(seed: 0 -> 5\)"):
        synthesize_folder(hq_dir, out, config, seed=5, crop=64, progress=False)


def test_whole_images_mod_cropped(hq_dir, config, tmp_path):
    report = synthesize_folder(hq_dir, tmp_path / "w", config, crop=None, progress=False)
    m = json.loads((tmp_path / "w/manifest.json").read_text())
    assert sorted(report.done) == ["astronaut", "coffee"]
    assert m["images"]["astronaut"]["hq"] is None  # source used as is
    assert read_rgb8(tmp_path / "w/LQ/astronaut.png")[0].shape == (25, 25, 3)


def test_bad_inputs_converted_or_skipped(bad_dir, config, tmp_path):
    out = tmp_path / "bad"
    report = synthesize_folder(bad_dir, out, config, crop=None, progress=False)
    m = json.loads((out / "manifest.json").read_text())["images"]
    # translucent alpha: skipped by default (the suite-wide rule), converted when a policy is given
    assert sorted(report.done) == ["deep", "gray"]
    assert m["rgba"]["status"] == "skipped" and "translucent alpha" in m["rgba"]["reason"]
    assert "gray replicated to RGB" in m["gray"]["warnings"]
    assert "16-bit scaled to 8-bit" in m["deep"]["warnings"]
    dropped = synthesize_folder(bad_dir, tmp_path / "drop", config, crop=None, progress=False, alpha="drop")
    assert "rgba" in dropped.done
    m_drop = json.loads((tmp_path / "drop" / "manifest.json").read_text())
    assert "alpha dropped" in m_drop["images"]["rgba"]["warnings"] and m_drop["settings"]["alpha"] == "drop"
    for name, folder, entries in (
        ("gray", out, m),
        ("deep", out, m),
        ("rgba", tmp_path / "drop", m_drop["images"]),
    ):
        # 98 px -> mod-cropped to 96, HQ written
        assert any("multiple of scale" in w for w in entries[name]["warnings"])
        assert read_rgb8(folder / entries[name]["hq"])[0].shape == (96, 96, 3)
        assert read_rgb8(folder / entries[name]["lq"])[0].shape == (24, 24, 3)
    assert m["broken"]["status"] == m["empty"]["status"] == m["tiny"]["status"] == "skipped"
    assert "corrupt" in m["broken"]["reason"] and "corrupt" in m["empty"]["reason"]
    assert "smaller than the minimum" in m["tiny"]["reason"]
    assert "notes" not in m


def test_16bit_rounds_to_same_pixels(bad_dir):
    deep, _ = read_rgb8(bad_dir / "deep.png")
    np.testing.assert_array_equal(deep, photo("chelsea", size=98))


def test_smaller_than_crop_skipped(bad_dir, config, tmp_path):
    report = synthesize_folder(bad_dir, tmp_path / "c", config, crop=96, progress=False)
    assert "smaller than the crop size 96" in report.skipped["tiny"]
    assert "gray" in report.done


def test_duplicate_ids(tmp_path, config):
    d = tmp_path / "dup"
    d.mkdir()
    cv2.imwrite(str(d / "a.png"), _bgr(photo("coffee", size=64)))
    cv2.imwrite(str(d / "a.jpg"), _bgr(photo("coffee", size=64)))
    report = synthesize_folder(d, tmp_path / "o", config, crop=None, progress=False)
    assert report.done == ["a"] and any("duplicate image id" in r for r in report.skipped.values())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"crop": 66}, "multiple of scale"), ({"workers": 0}, "workers"), ({"crop": -4}, "multiple of scale")],
    ids=["crop-mod", "workers", "crop-neg"],
)
def test_bad_arguments(hq_dir, config, tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        synthesize_folder(hq_dir, tmp_path / "x", config, progress=False, **kwargs)


def test_missing_or_empty_folder(config, tmp_path):
    with pytest.raises(FileNotFoundError):
        synthesize_folder(tmp_path / "nope", tmp_path / "x", config)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images"):
        synthesize_folder(tmp_path / "empty", tmp_path / "x", config)


def test_scale_two(hq_dir, tmp_path):
    cfg = load_config().with_scale(2)
    synthesize_folder(hq_dir, tmp_path / "x2", cfg, crop=64, progress=False)
    assert read_rgb8(tmp_path / "x2/LQ/coffee.png")[0].shape == (32, 32, 3)
