"""One exit-code convention (0 all good, 1 some items failed, 2 unusable input), no tracebacks, no noise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from benchmarks.cli import cli, main

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ValueError("bad --crop"), 2),
        (FileNotFoundError("no such folder"), 2),
        (KeyError("unknown run_id 9"), 2),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 12 GB"), 1),
        (ZeroDivisionError("a bug"), 1),
        (KeyboardInterrupt(), 130),
    ],
    ids=["value", "missing-path", "unknown-key", "oom", "bug", "ctrl-c"],
)
def test_every_error_maps_to_the_convention(exc, code):
    from benchmarks.errors import classify

    outcome = classify(exc)
    assert outcome.code == code
    if code == 1 and "allocate" in str(exc):
        assert "tiles" in outcome.message
    if isinstance(exc, ZeroDivisionError):
        assert outcome.internal and "internal error" in outcome.message


def test_unexpected_errors_are_one_line_without_traceback(monkeypatch, capsys):
    import benchmarks.commands.env as env_cmd

    def boom():
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(env_cmd, "collect_env", boom)
    assert main(["env"]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "-vv" in err and "Traceback" not in err


def test_device_checked_before_work(tmp_path, capsys):
    img = tmp_path / "a.png"
    Image.fromarray(skimage.data.astronaut()[:16, :16]).save(img)
    assert main(["infer", str(img), "--out", str(tmp_path / "o"), "--device", "cuda:99"]) == 2
    assert "cuda:99" in capsys.readouterr().err and not (tmp_path / "o").exists()
    assert main(["metrics", "--pred", str(tmp_path), "--metrics", "niqe", "--out", str(tmp_path / "m.csv"),
                 "--device", "nonsense"]) == 2  # fmt: skip


def test_infer_refuses_an_image_too_large_before_loading_models(isolated_caches, tmp_path, capsys):
    """6000x4000 at x4 used to grow to 12 GB and die in the allocator; now: a message with the tile size."""
    big = tmp_path / "big.png"
    Image.new("RGB", (6000, 4000), (120, 90, 60)).save(big)
    # no weights anywhere: had the pre-check not refused the image, the missing captioner would be reported
    code = main(["infer", str(big), "--out", str(tmp_path / "o"), "--upscale", "4"])
    err = capsys.readouterr().err
    assert code == 1 and "6000x4000 px at x4 needs about" in err and "process it in tiles of at most" in err
    assert "weights" not in err


def test_check_fits_message_and_tile_side():
    from pasd.utils.memory import ImageTooLargeError, check_fits

    assert check_fits(100, 100, scale=4, bytes_per_output_pixel=10, available=10**9) == 1_600_000
    with pytest.raises(ImageTooLargeError, match=r"tiles of at most about 250x250 input px"):
        check_fits(1000, 1000, scale=4, bytes_per_output_pixel=10, available=250 * 250 * 16 * 10)


QUIET_SCRIPT = r"""
import sys
from benchmarks.datasets.base import DATASETS
from benchmarks.datasets.paired_dataset import PairedFolderDataset

class Toy(PairedFolderDataset):  # no official size, so the run is not partial
    name = "toy-quiet"
    folders = (("hq", "lq"),)
    hq_pattern = r"(?P<id>.+)_HR\.png"
    lq_pattern = r"(?P<id>.+)_LR\.png"
    layout = "ROOT/hq, ROOT/lq"

DATASETS.register("toy-quiet", Toy)
from benchmarks.cli import main  # imported here: the CLI, not this script, sets up logging
sys.exit(main(sys.argv[1:]))
"""


def test_cli_is_quiet_and_says_each_missing_weight_once(tmp_path):
    """No bitsandbytes 'pip install kernels' warning, no duplicate warnings, no bars under --no-progress."""
    photo = skimage.data.astronaut()
    for k in range(2):
        for sub in ("hq", "lq"):
            (tmp_path / "data" / sub).mkdir(parents=True, exist_ok=True)
        hq = Image.fromarray(photo[50 * k : 50 * k + 48, 50 * k : 50 * k + 48])
        hq.save(tmp_path / "data" / "hq" / f"i{k}_HR.png")
        hq.resize((12, 12), Image.BICUBIC).save(tmp_path / "data" / "lq" / f"i{k}_LR.png")
    preset = tmp_path / "p.toml"
    preset.write_text(
        'name = "quiet"\nmetrics = ["psnr", "lpips"]\n[[datasets]]\nname = "toy-quiet"\n'
        f'root = "{tmp_path / "data"}"\n[[methods]]\nname = "bicubic"\n[[methods]]\nname = "pasd-tiny"\n'
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PASD_BENCH_HOME": str(tmp_path / "home"),
           "TORCH_HOME": str(tmp_path / "torch"), "HF_HOME": str(tmp_path / "hf"), "OMP_NUM_THREADS": "1"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", QUIET_SCRIPT, "run", str(preset), "--out", str(tmp_path / "out"), "--no-progress"],
        capture_output=True, text=True, timeout=600, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "kernels" not in proc.stderr  # bitsandbytes' import-time warning
    assert "it/s" not in proc.stderr and "%|" not in proc.stderr  # no progress bar of any library
    assert proc.stdout.count("lpips: weights missing") == 1  # said once, in the plan
    assert "metric lpips: weights missing" not in proc.stderr  # not again per job


def test_weights_list_does_not_wrap_when_piped(isolated_caches):
    res = CliRunner().invoke(cli, ["weights", "list", "--long"])
    assert res.exit_code == 0
    line = next(row for row in res.output.splitlines() if "pasd_light_rrdb" in row)
    assert "hf://yangtao9009/PASD@main" in line and "CC" not in line.split("pasd_light_rrdb")[0]


def test_results_show_prints_multiline_notes_on_one_line(tmp_path):
    from benchmarks.results import ResultsStore

    with ResultsStore(tmp_path) as store:
        rid = store.add_run("smoke", {}, {})
        store.put_set_level(rid, "pasd", "sample", "fid", None, status="weights-missing",
                            note="weights 'inception-fid': not found\nsearched:\n  - torch hub cache: /x")  # fmt: skip
    res = CliRunner().invoke(cli, ["results", "show", "--results", str(tmp_path)])
    assert res.exit_code == 0
    assert "\\n" not in res.output and "not found; searched:; - torch hub cache: /x" in res.output
    assert "complete" in res.output


@pytest.fixture
def pairs(tmp_path):
    photo = skimage.data.astronaut()
    for k, name in enumerate(("a", "b", "c")):
        for sub in ("pred", "gt"):
            (tmp_path / sub).mkdir(exist_ok=True)
            crop = photo[40 * k : 40 * k + 48, 40 * k : 40 * k + 48]
            Image.fromarray(
                crop if sub == "gt" else np.clip(crop.astype(int) + 5, 0, 255).astype(np.uint8)
            ).save(tmp_path / sub / f"{name}.png")
    return tmp_path / "pred", tmp_path / "gt"


def test_metrics_skip_unpaired(pairs, tmp_path, capsys):
    pred, gt = pairs
    Image.fromarray(skimage.data.astronaut()[:48, :48]).save(pred / "extra.png")
    out = tmp_path / "s.csv"
    args = [
        "metrics",
        "--pred",
        str(pred),
        "--gt",
        str(gt),
        "--metrics",
        "psnr",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(args) == 2
    assert "--skip-unpaired" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--skip-unpaired"]) == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["unpaired"] == {"pred_without_gt": ["extra"], "gt_without_pred": []}
    assert sorted(pd.read_csv(out)["image"]) == ["a", "b", "c"]


def test_gray_prediction_of_a_colour_gt_is_flagged(pairs, tmp_path, caplog):
    from benchmarks.metrics import EngineOptions, evaluate

    pred, gt = pairs
    gray = np.asarray(Image.open(pred / "b.png").convert("L"))
    Image.fromarray(gray, "L").save(pred / "b.png")
    with caplog.at_level("WARNING"):
        result = evaluate(pred, gt, ["psnr"], EngineOptions())
    assert result.summary["warnings"] and "['b']" in result.summary["warnings"][0]
    assert "pred is grayscale, GT is colour" in result.summary["input_notes"]["b"]
    assert any("grayscale while their GT is colour" in r.getMessage() for r in caplog.records)


#: one unusable input per command (``{t}`` is a fresh temporary folder); every command of
#: benchmarks.cli.COMMANDS that takes input is listed, so a new command without a case fails below
UNUSABLE: dict[str, list[str]] = {
    "weights": ["weights", "fetch", "no-such-artifact"],
    "data": ["data", "verify", "no-such-dataset", "--root", "{t}"],
    "metrics": ["metrics", "--pred", "{t}/none", "--metrics", "psnr", "--out", "{t}/m.csv"],
    "study": ["study", "create", "--inputs", "{t}", "--method", "a={t}", "--out", "{t}/s"],
    "run": ["run", "no-such-preset"],
    "infer": ["infer", "{t}/none.png", "--out", "{t}/o"],
    "results": ["results", "show", "--results", "{t}/none"],
    "results diff": ["results", "diff", "{t}/a", "{t}/b"],
    "tables": ["tables", "--results", "{t}/none", "--table", "1"],
    "report": ["report", "--results", "{t}/none"],
    "apply": ["apply", "no-such-method", "{t}", "--out", "{t}/o"],
    "style-exemplars": ["style-exemplars", "--model", "{t}/none.safetensors", "--n", "1", "--out", "{t}/x"],
    "drift": ["drift", "check", "--results", "{t}/none", "--golden", "{t}/g.json"],
    "drift record": ["drift", "record", "--results", "{t}/none", "--out", "{t}/g.json"],
    "protocols": ["protocols", "show", "no-such-card"],
    "protocols spread": ["protocols", "spread", "--results", "{t}/none"],
    "train": ["train", "no-such-config", "--data", "{t}", "--out", "{t}/r"],
}
#: commands without an input that could be unusable
NO_INPUT = {"env", "tiny"}


def test_every_command_has_an_unusable_input_case():
    from benchmarks.cli import COMMANDS

    assert set(COMMANDS) - NO_INPUT == {k.split()[0] for k in UNUSABLE}


@pytest.mark.parametrize("case", sorted(UNUSABLE))
def test_unusable_input_exits_2_in_one_line_for_every_command(case, tmp_path, isolated_caches):
    args = [a.format(t=tmp_path) for a in UNUSABLE[case]]
    res = CliRunner().invoke(cli, args)  # the console script's path (standalone click)
    assert res.exit_code == 2, (case, res.output)
    assert "Traceback" not in res.output and res.output.strip(), case
    assert main(args) == 2, case  # and the entry point's


def test_drift_and_diff_exit_1_through_the_console_script_too(tmp_path):
    """They returned their code from the click callback, which the console script ignored (exit 0)."""
    from benchmarks.results import ResultsStore

    for name, value in (("a", 25.0), ("b", 24.0)):
        with ResultsStore(tmp_path / name) as store:
            rid = store.add_run("smoke", {"protocol": "pasd"}, {})
            store.put_set_level(rid, "bicubic", "sample", "psnr", value, n=6)
    args = ["results", "diff", str(tmp_path / "a"), str(tmp_path / "b"), "--allow-env-change"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1 and "bicubic / sample / psnr" in res.output, res.output
    assert main(args) == 1
    assert (
        CliRunner().invoke(cli, ["results", "diff", str(tmp_path / "a"), str(tmp_path / "a")]).exit_code == 0
    )
