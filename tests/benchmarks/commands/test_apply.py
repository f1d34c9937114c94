"""``pasd-bench apply`` end to end: the runner's cache semantics, exit codes 0/1/2, no tracebacks."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.cli import main
from tests.threads import one_thread_fixture

_one_thread = one_thread_fixture()


def _one(folder, pattern="*.png"):
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_bicubic_writes_cached_outputs_and_resumes(inputs, tmp_path, capsys):
    (inputs / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "out"
    assert main(["apply", "bicubic", str(inputs), "--out", str(out), "--no-progress"]) == 1  # one failed
    captured = capsys.readouterr()
    assert "failed" in captured.err and "broken.png" in captured.err and "Traceback" not in captured.err
    folder = _one(out, "bicubic-*")
    assert sorted(p.name for p in folder.iterdir()) == ["astro.input", "astro.png", "cat.input", "cat.png",
                                                        "method.json"]  # fmt: skip
    ref = np.asarray(Image.open(inputs / "cat.jpg").convert("RGB").resize((80, 64), Image.BICUBIC))
    np.testing.assert_array_equal(np.asarray(Image.open(folder / "cat.png")), ref)
    assert json.loads((folder / "method.json").read_text())["method"] == "bicubic"
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.png")}
    (inputs / "broken.png").unlink()
    assert main(["apply", "bicubic", str(inputs), "--out", str(out), "--no-progress"]) == 0
    assert "wrote 0, already done 2, failed 0" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.png")} == before


def test_other_params_and_seeds_never_overwrite(isolated_caches, inputs, tmp_path, capsys):
    from baselines.tiny_pipelines import save_tiny_sd_upscaler

    save_tiny_sd_upscaler(isolated_caches / "pasd-home" / "weights" / "sd-x4-upscaler")
    out = tmp_path / "out"
    img = str(inputs / "astro.png")
    base = ["apply", "sd-upscaler", img, "--out", str(out), "--no-progress", "--param", "steps=1"]
    assert main(base) == 0
    first = _one(out, "sd-upscaler-*")
    a = (first / "seed0" / "astro.png").read_bytes()
    assert Image.open(first / "seed0" / "astro.png").size == (96, 96)
    assert main([*base, "--param", "prompt=a white cat"]) == 0  # not TOML: kept as a string
    assert main([*base, "--seed", "1"]) == 0
    assert main([*base, "--tile", "16"]) == 0
    capsys.readouterr()
    folders = sorted(out.glob("sd-upscaler-*"))
    assert len(folders) == 3  # base, prompt, tile (the seed is a level inside the base folder)
    assert (first / "seed0" / "astro.png").read_bytes() == a
    assert (first / "seed1" / "astro.png").read_bytes() != a
    options = [json.loads((f / "method.json").read_text())["options"] for f in folders]
    assert sorted((o["prompt"], o["tile"], o["tile_overlap"]) for o in options) == [
        ("", 16, 4), ("", 128, 32), ("a white cat", 128, 32)]  # fmt: skip
    again = tmp_path / "again"
    assert (
        main(["apply", "sd-upscaler", img, "--out", str(again), "--no-progress", "--param", "steps=1"]) == 0
    )
    assert (_one(again, "sd-upscaler-*") / "seed0" / "astro.png").read_bytes() == a  # same seed, same bytes


@pytest.mark.parametrize(
    "args, message",
    [(["bicubik"], "Did you mean one of: bicubic"),
     (["bicubic", "--tile", "64"], "bicubic has no tile setting"),
     (["sd-upscaler", "--param", "stepz=3"], "unknown params"),
     (["sd-upscaler", "--param", "steps"], "expected KEY=VALUE"),
     (["sd-upscaler", "--tile", "64", "--param", "tile=64"], "--tile N or --param tile=N"),
     (["ldm"], "pasd-bench weights fetch ldm-sr-4x"),
     (["bicubic", "--device", "cuda:7"], "device 'cuda:7'"),
     (["bicubic", "--device", "gpu"], "not a torch device")],
    ids=["unknown-method", "no-tile", "unknown-param", "bad-param", "tile-twice", "missing-weights", "device",
         "bad-device"],
)  # fmt: skip
def test_unusable_input_exits_2_with_one_message(isolated_caches, inputs, tmp_path, capsys, args, message):
    if "cuda:7" in args and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 CUDA devices")
    code = main(["apply", args[0], str(inputs), "--out", str(tmp_path / "o"), *args[1:]])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing written


def test_unusable_inputs_exit_2(inputs, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["apply", "bicubic", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "no images" in capsys.readouterr().err
    assert main(["apply", "bicubic", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    Image.new("RGB", (4, 4)).save(empty / "astro.jpg")
    assert main(["apply", "bicubic", str(inputs), str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "share the stem 'astro'" in capsys.readouterr().err


def test_folder_method_imports_and_checks_each_file(inputs, tmp_path, capsys):
    released = tmp_path / "released"
    released.mkdir()
    want = np.asarray(Image.open(inputs / "astro.png").resize((96, 96)))
    Image.fromarray(want).save(released / "astro.png")
    Image.new("RGB", (81, 64)).save(released / "cat.png")  # should be 80x64
    out = tmp_path / "out"
    args = ["apply", "folder", str(inputs), "--out", str(out), "--param", f"path={released}", "--no-progress"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "cat.png is 81x64, expected 80x64" in err
    got = np.asarray(Image.open(_one(out, "folder-*") / "astro.png"))
    np.testing.assert_array_equal(got, want)
    (released / "cat.png").unlink()
    assert main(args) == 1  # the folder changed: a new key; astro is imported again, cat has no file
    assert "no output for 'cat'" in capsys.readouterr().err
    assert len(list(out.glob("folder-*"))) == 2


def test_ldm_through_apply(isolated_caches, inputs, tmp_path, capsys):
    from baselines.tiny_pipelines import save_tiny_ldm_sr

    save_tiny_ldm_sr(isolated_caches / "pasd-home" / "weights" / "ldm-sr-4x")
    out = tmp_path / "out"
    assert (
        main(
            [
                "apply",
                "ldm",
                str(inputs / "cat.jpg"),
                "--out",
                str(out),
                "--param",
                "steps=1",
                "--no-progress",
            ]
        )
        == 0
    )
    assert "OpenImages LDM: wrote 1" in capsys.readouterr().out
    assert Image.open(_one(out, "ldm-*") / "seed0" / "cat.png").size == (80, 64)
