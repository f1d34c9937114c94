"""`protocol = "..."` in presets, recorded with each run, and `pasd-bench metrics --protocol`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.cli import main
from benchmarks.drift import read_run
from benchmarks.results import ResultsStore
from benchmarks.runner.preset import load_preset
from tests.benchmarks.drift.sample_runs import run_sample, write_preset


def test_shipped_presets_name_the_paper_protocol():
    for name in ("smoke", "table1", "table2", "table3"):
        assert load_preset(name).protocol == "pasd"


def test_preset_protocol_is_checked_when_loaded(tmp_path):
    path = write_preset(tmp_path / "p.toml", tmp_path, protocol="pyiqa-defualt")
    with pytest.raises(ValueError, match="Did you mean one of: pyiqa-default"):
        load_preset(path)
    path = write_preset(tmp_path / "p.toml", tmp_path, protocol_options={"psnr.crop": 1})
    with pytest.raises(ValueError, match="unknown protocol setting 'psnr.crop'"):
        load_preset(path)
    preset = load_preset(write_preset(tmp_path / "p.toml", tmp_path, protocol="basicsr",
                                      protocol_options={"ssim.crop_border": 0}))  # fmt: skip
    assert (
        preset.card().name == "basicsr+custom"
        and preset.as_dict()["protocol_card"]["settings"]["ssim.crop_border"] == 0
    )


def test_run_records_its_card_and_scores_under_it(sample_home, sample_results, tmp_path):
    rgb = run_sample(tmp_path / "rgb", sample_home, protocol="basicsr")
    with ResultsStore(sample_results) as a, ResultsStore(rgb) as b:
        ra, rb = read_run(a, a.latest_run_id()), read_run(b, b.latest_run_id())
        pa, pb = a.per_image(method="bicubic"), b.per_image(method="bicubic")
    assert (ra.protocol_name, rb.protocol_name) == ("pasd", "basicsr")
    assert rb.protocol_settings["psnr.colour"] == "rgb" and rb.device == "cpu"
    # independent check of the RGB number: basicsr on the very files the run scored
    from basicsr.metrics.psnr_ssim import calculate_psnr
    from PIL import Image

    with ResultsStore(rgb) as store:
        dirs = store.image_dirs()
    out = dirs[(dirs.role == "output") & (dirs.method == "bicubic")].path.item()
    hq = dirs[dirs.role == "hq"].path.item()
    pred = np.asarray(Image.open(f"{out}/chelsea.png"))
    gt = np.asarray(Image.open(f"{hq}/chelsea.png"))
    ours = pb[(pb.image == "chelsea") & (pb.metric == "psnr")].value.item()
    assert ours == pytest.approx(calculate_psnr(pred, gt, 4, test_y_channel=False), abs=1e-10)
    assert ours < pa[(pa.image == "chelsea") & (pa.metric == "psnr")].value.item() - 0.5  # RGB < Y here


def test_metrics_cli_protocol_records_the_card(tmp_path, capsys):
    import pyiqa
    import torch

    from tests.benchmarks.metrics.conftest import distort, photo, save

    g = photo("coffee", (64, 64))
    p = distort(g, "noise")
    save(tmp_path / "gt", "x.png", g)
    save(tmp_path / "pred", "x.png", p)
    out = tmp_path / "m.csv"
    code = main(["metrics", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--metrics", "psnr",
                 "--protocol", "pyiqa-default", "--out", str(out), "--n-resamples", "10"])  # fmt: skip
    capsys.readouterr()
    assert code == 0
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["protocol"] == "pyiqa-default" and data["protocol_card"]["settings"]["psnr.colour"] == "rgb"
    assert data["metrics"]["psnr"]["options"]["implementation"] == "pyiqa"

    def t(a):
        return torch.from_numpy(np.array(a)).permute(2, 0, 1)[None].float() / 255

    ref = float(pyiqa.create_metric("psnr", device="cpu")(t(p), t(g)))
    assert data["metrics"]["psnr"]["mean"] == pytest.approx(ref, rel=1e-6)
    code = main(["metrics", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"), "--metrics", "psnr",
                 "--protocol", "pyiqa-default", "--crop-border", "2", "--out", str(out)])  # fmt: skip
    capsys.readouterr()
    data = json.loads(out.with_suffix(".json").read_text())
    assert (
        data["protocol"] == "pyiqa-default+custom" and data["metrics"]["psnr"]["options"]["crop_border"] == 2
    )
    assert main(["metrics", "--pred", str(tmp_path / "pred"), "--gt", str(tmp_path / "gt"),
                 "--protocol", "nope", "--out", str(out)]) == 2  # fmt: skip
    assert "unknown protocol 'nope'" in capsys.readouterr().err
