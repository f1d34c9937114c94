"""``pasd-bench infer`` end to end on tiny random-weight folders (CPU, no downloads)."""

import numpy as np
import pytest
from PIL import Image

from benchmarks.cli import main
from tests.threads import one_thread_fixture

_one_thread = one_thread_fixture()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from pasd.pipeline.build import ensure_tiny_models

    return ensure_tiny_models(tmp_path_factory.mktemp("tiny") / "m")


@pytest.fixture
def inputs(inputs):
    """The shared two photos (``conftest.py``) plus ``broken.png``, a file that is not an image."""
    (inputs / "broken.png").write_bytes(b"not a png")
    return inputs


def _args(tiny, *extra):
    return ["infer", "--base", str(tiny[0]), "--pasd", str(tiny[1]), "--steps", "1", "--process-size", "64",
            "--prompt-source", "none", *extra]  # fmt: skip


def test_infer_folder_writes_same_stems_and_resumes(tiny, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main([*_args(tiny, "--upscale", "2"), str(inputs), "--out", str(out)]) == 1
    )  # broken.png failed, the rest written
    err = capsys.readouterr().err
    assert "broken.png" in err  # reported, skipped
    assert sorted(p.name for p in out.iterdir()) == ["astro.png", "cat.png"]
    assert Image.open(out / "cat.png").size == (40, 32)
    first = (out / "astro.png").read_bytes()
    assert main([*_args(tiny, "--upscale", "2"), str(inputs), "--out", str(out)]) == 1
    assert "already done 2" in capsys.readouterr().out
    assert (out / "astro.png").read_bytes() == first


def test_infer_seed_controls_bytes(tiny, inputs, tmp_path):
    runs = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        assert (
            main(
                [*_args(tiny), str(inputs / "astro.png"), "--out", str(tmp_path / name), "--seed", str(seed)]
            )
            == 0
        )
        runs[name] = (tmp_path / name / "astro.png").read_bytes()
    assert runs["a"] == runs["b"] and runs["a"] != runs["c"]
    assert Image.open(tmp_path / "a" / "astro.png").size == (24, 24)  # official --upscale default 1


def test_infer_colorize(tiny, inputs, tmp_path):
    import cv2

    out = tmp_path / "col"
    assert main([*_args(tiny, "--colorize", "--zero-snr"), str(inputs / "astro.png"), "--out", str(out)]) == 0
    res = np.asarray(Image.open(out / "astro.png"))
    src = np.asarray(Image.open(inputs / "astro.png").convert("RGB"))
    assert res.shape == src.shape
    ok = ((res > 0) & (res < 255)).all(-1)
    dy = (
        cv2.cvtColor(res, cv2.COLOR_RGB2YUV)[..., 0].astype(int)
        - cv2.cvtColor(src, cv2.COLOR_RGB2YUV)[..., 0]
    )
    assert np.abs(dy[ok]).max() <= 2


def test_missing_weights_message(isolated_caches, inputs, tmp_path, capsys):
    img, out = str(inputs / "astro.png"), str(tmp_path / "o")
    # the default captioner (CoCa, as the official default) is checked first, before any large model loads
    assert main(["infer", img, "--out", out]) == 2
    assert "pasd-bench weights fetch coca-vit-l14" in capsys.readouterr().err
    assert main(["infer", img, "--out", out, "--prompt-source", "none"]) == 2
    assert "pasd-bench weights fetch sd15" in capsys.readouterr().err
    assert main(["infer", img, "--out", out, "--prompt-source", "none", "--base", str(tmp_path)]) == 2
    assert not (tmp_path / "o").exists()


def test_missing_input_is_usage_error(tiny, tmp_path):
    assert main([*_args(tiny), str(tmp_path / "nope.png"), "--out", str(tmp_path / "o")]) == 2


def test_tiny_command_output_feeds_infer_light_variant(inputs, tmp_path):
    root = tmp_path / "tiny"
    assert main(["tiny", "--out", str(root), "--variant", "pasd_light"]) == 0
    out = tmp_path / "light"
    args = ["infer", str(inputs / "cat.jpg"), "--out", str(out), "--base", str(root / "sd15"), "--pasd",
            str(root / "pasd_light"), "--steps", "1", "--process-size", "64", "--prompt-source", "fixed",
            "--prompt", "a cat", "--color-fix", "adain", "--tile", "8", "--tile-overlap", "4", "--upscale", "4"]  # fmt: skip
    assert main(args) == 0
    assert Image.open(out / "cat.png").size == (80, 64)
