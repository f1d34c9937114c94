"""``pasd-bench data synth`` end to end through the real entry point."""

from __future__ import annotations

import json

import click
import cv2
import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner

from benchmarks.cli import cli, main
from benchmarks.commands.data import command


@pytest.fixture
def hq_dir(tmp_path):
    d = tmp_path / "hq"
    d.mkdir()
    for name in ("astronaut", "coffee"):
        img = getattr(skimage.data, name)()[:96, :96]
        cv2.imwrite(str(d / f"{name}.png"), cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2BGR))
    (d / "broken.png").write_bytes(b"junk")
    return d


def test_data_is_a_group_named_data():
    assert isinstance(command, click.Group) and command.name == "data" and "synth" in command.commands


def test_synth_writes_set_and_reruns_identically(hq_dir, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [
        "data",
        "synth",
        "--hq",
        str(hq_dir),
        "--out",
        str(out),
        "--crop",
        "64",
        "--seed",
        "7",
        "--no-progress",
    ]
    assert main(argv) == 1  # some items failed: the broken file was skipped
    assert "2 degraded, 0 already done, 1 skipped" in capsys.readouterr().out
    m = json.loads((out / "manifest.json").read_text())
    assert m["settings"]["seed"] == 7 and m["images"]["broken"]["status"] == "skipped"
    lq = (out / "LQ/coffee.png").read_bytes()
    assert main(argv) == 1
    assert "0 degraded, 2 already done" in capsys.readouterr().out
    assert (out / "LQ/coffee.png").read_bytes() == lq


def test_synth_scale_config_and_crop_none(hq_dir, tmp_path):
    out = tmp_path / "x2"
    args = ["data", "synth", "--hq", str(hq_dir), "--out", str(out), "--scale", "2", "--crop", "none"]
    res = CliRunner().invoke(cli, [*args, "--config", "pasd_x4", "--no-progress"])
    assert res.exit_code == 1, res.output  # broken.png skipped
    assert cv2.imread(str(out / "LQ/astronaut.png")).shape == (48, 48, 3)
    assert not (out / "HQ").exists()  # whole images, already a multiple of 2: the sources are the HQ


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--crop", "abc"], "neither a positive integer nor 'none'"),
        (["--crop", "66"], "multiple of scale 4"),
        (["--config", "nope"], "no degradation config file or preset 'nope'"),
        (["--workers", "0"], "0 is not in the range"),
    ],
    ids=["crop-text", "crop-mod", "config", "workers"],
)
def test_user_errors_are_one_line(hq_dir, tmp_path, capsys, extra, message):
    code = main(["data", "synth", "--hq", str(hq_dir), "--out", str(tmp_path / "o"), "--no-progress", *extra])
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err


def test_missing_hq_folder(tmp_path, capsys):
    assert main(["data", "synth", "--hq", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "HQ folder not found" in capsys.readouterr().err


def test_verify_checks_a_data_synth_folder(hq_dir, tmp_path, capsys):
    out = tmp_path / "set"
    assert (
        main(["data", "synth", "--hq", str(hq_dir), "--out", str(out), "--crop", "64", "--no-progress"]) == 1
    )
    capsys.readouterr()
    assert main(["data", "verify", "synth", "--root", str(out)]) == 1  # broken.png was skipped
    res = capsys.readouterr()
    assert "synth at" in res.out and "2 items" in res.out and "broken: skipped at synthesis" in res.err
    (hq_dir / "broken.png").unlink()
    clean = tmp_path / "clean"
    assert main(["data", "synth", "--hq", str(hq_dir), "--out", str(clean), "--no-progress"]) == 0
    assert main(["data", "verify", "synth", "--root", str(clean)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("ok")
    (clean / "LQ" / "coffee.png").unlink()  # a damaged set is reported, file by file
    (clean / "LQ" / "stray.png").write_bytes((clean / "LQ" / "astronaut.png").read_bytes())
    assert main(["data", "verify", "synth", "--root", str(clean)]) == 1
    err = capsys.readouterr().err
    assert "coffee: LQ" in err and "missing" in err and "unexpected file LQ/stray.png" in err
    assert main(["data", "verify", "synth", "--root", str(hq_dir)]) == 1
    assert "no manifest.json" in capsys.readouterr().err
