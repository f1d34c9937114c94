"""Bad settings are plan lines (exit 2), scoring problems are failed cells: never a traceback, outputs kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from baselines.base import METHODS, Method
from benchmarks.cli import main
from benchmarks.results import ResultsStore
from tests.benchmarks.runner import toy


@pytest.fixture
def toy_env(tmp_path):
    toy.register()
    return tmp_path, toy.make_toy_data(tmp_path / "data")


def _preset(path, data, methods: str, extra: str = "", metrics='["psnr"]'):
    path.write_text(
        f'name = "robust"\nmetrics = {metrics}\n{extra}\n[[datasets]]\nname = "toy"\nroot = "{data}"\n{methods}'
    )
    return path


class _Broken(Method):
    name = "broken-init"

    def __init__(self, device: str = "cpu", **params) -> None:
        raise RuntimeError("the adapter crashed while reading its settings")

    def _process(self, image, seed):  # pragma: no cover - never constructed
        return image


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ('[[methods]]\nname = "folder"\n', "folder: set params = { path"),  # the reported case
        ('[[methods]]\nname = "bicubic"\nparams = { stepz = 3 }\n', "unknown params ['stepz']"),
        ('[[methods]]\nname = "broken-init"\n', "cannot be created: RuntimeError: the adapter crashed"),
    ],
    ids=["folder-without-path", "unknown-param", "constructor-crash"],
)
def test_bad_method_settings_are_plan_lines_and_exit_2(toy_env, capsys, methods, message):
    if "broken" in methods and "broken-init" not in METHODS:
        METHODS.register("broken-init", _Broken)
    tmp, data = toy_env
    path = _preset(tmp / "p.toml", data, '[[methods]]\nname = "lanczos"\n' + methods)
    for args in (["--plan-only"], ["--no-progress"]):
        code = main(["run", str(path), "--out", str(tmp / "out"), *args])
        captured = capsys.readouterr()
        text = captured.out + captured.err
        assert code == 2, text
        assert message in text and "Traceback" not in text
    assert not (tmp / "out" / "results.sqlite").exists()  # refused before any work


def test_a_perfect_output_scores_pyiqa_s_80_db_and_the_run_completes(toy_env, capsys):
    """basicsr's PSNR of an identical pair is inf, which crashed run_preset; pyiqa's eps gives 80 dB."""
    from benchmarks.metrics.psnr_ssim_metric import PERFECT_PSNR_DB

    tmp, data = toy_env
    perfect = tmp / "perfect"
    perfect.mkdir()
    for p in sorted((data / "hq").glob("*_HR.png")):  # the ground truth itself, named as the LQ files
        Image.open(p).save(perfect / p.name.replace("_HR", "_LR"))
    path = _preset(tmp / "p.toml", data, f'[[methods]]\nname = "folder"\nparams = {{ path = "{perfect}" }}\n',
                   metrics='["psnr", "ssim"]')  # fmt: skip
    assert main(["run", str(path), "--out", str(tmp / "out"), "--no-progress"]) == 0
    capsys.readouterr()
    with ResultsStore(tmp / "out") as store:
        sl = store.set_level().set_index("metric")
        pi = store.per_image()
    assert sl.loc["psnr", "status"] == "ok" and sl.loc["psnr", "value"] == pytest.approx(80.0)
    assert sl.loc["ssim", "value"] == pytest.approx(1.0)
    assert (pi[pi.metric == "psnr"].value == PERFECT_PSNR_DB).all()
    # the same number pyiqa's own function gives an identical pair
    import torch
    from pyiqa.archs.psnr_arch import psnr

    x = torch.rand(1, 3, 16, 16)
    assert float(psnr(x, x, test_y_channel=True)) == pytest.approx(PERFECT_PSNR_DB)


def test_an_unbuildable_protocol_setting_is_a_failed_cell_and_outputs_stay(toy_env, capsys, isolated_caches):
    """psnr.colour = rgb with round_y on is a card our PSNR refuses to build: its cell fails, the run goes on.

    (This used MUSIQ's SPAQ variant until the pyiqa presets wired it: that one now reads
    "weights missing" like any other metric without its file.)
    """
    tmp, data = toy_env
    path = _preset(tmp / "p.toml", data, '[[methods]]\nname = "bicubic"\n',
                   extra='[protocol_options]\n"psnr.colour" = "rgb"\n"psnr.round_y" = true\n',
                   metrics='["psnr", "ssim"]')  # fmt: skip
    code = main(["run", str(path), "--out", str(tmp / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "not scored: bicubic / toy / psnr" in err and "Traceback" not in err
    with ResultsStore(tmp / "out") as store:
        sl = store.set_level().set_index("metric")
        info = store.run(store.latest_run_id())
    assert sl.loc["ssim", "status"] == "ok"  # the other metric is scored
    assert (
        sl.loc["psnr", "status"] == "failed"
        and "round_y applies to colour='y' only" in sl.loc["psnr", "note"]
    )
    assert len(list((tmp / "out" / "outputs").rglob("*.png"))) == len(toy.IDS)  # outputs kept
    assert info["status"] == "complete"


def test_a_wired_musiq_variant_without_its_file_reads_weights_missing(toy_env, isolated_caches):
    """musiq.variant = spaq builds pyiqa's musiq-spaq, whose file is absent here: never a number."""
    tmp, data = toy_env
    path = _preset(tmp / "p.toml", data, '[[methods]]\nname = "bicubic"\n',
                   extra='[protocol_options]\n"musiq.variant" = "spaq"\n', metrics='["psnr", "musiq"]')  # fmt: skip
    assert main(["run", str(path), "--out", str(tmp / "out"), "--no-progress"]) == 0
    with ResultsStore(tmp / "out") as store:
        sl = store.set_level().set_index("metric")
    assert sl.loc["musiq", "status"] == "weights-missing" and "musiq-spaq" in sl.loc["musiq", "note"]
    assert pd.isna(sl.loc["musiq", "value"])


def test_the_plan_and_the_record_name_the_weights_the_card_uses(toy_env, isolated_caches):
    """A card with pyiqa's FID loads inception-fid-pt; the plan used to name inception-fid."""
    from benchmarks.runner.plan import build_plan
    from benchmarks.runner.preset import load_preset

    tmp, data = toy_env
    path = _preset(tmp / "p.toml", data, '[[methods]]\nname = "bicubic"\n', extra='protocol = "pyiqa-default"',
                   metrics='["psnr", "fid", "clipfid"]')  # fmt: skip
    plan = build_plan(load_preset(path), tmp / "out")
    assert plan.metric_weights["fid"] == ("inception-fid-pt",)
    assert plan.metric_weights_missing["fid"] == ["inception-fid-pt"]
    assert plan.metric_weights["clipfid"] == ("clip-vit-b32",)


def test_identical_folder_outputs_are_rescored_when_a_file_changes(toy_env, capsys):
    """The folder method's key holds every file's sha256: replacing one file is a new output."""
    tmp, data = toy_env
    made = tmp / "made"
    assert main(["apply", "bicubic", str(data / "lq"), "--out", str(made), "--no-progress"]) == 0
    released = next(made.glob("bicubic-*"))
    path = _preset(
        tmp / "p.toml", data, f'[[methods]]\nname = "folder"\nparams = {{ path = "{released}" }}\n'
    )
    assert main(["run", str(path), "--out", str(tmp / "out"), "--no-progress"]) == 0
    first = next((tmp / "out" / "outputs").glob("folder-*"))
    img = np.asarray(Image.open(released / "a_LR.png")).copy()
    img[0, 0] ^= 255
    Image.fromarray(img).save(released / "a_LR.png")
    assert main(["run", str(path), "--out", str(tmp / "out"), "--no-progress"]) == 0
    assert len(list((tmp / "out" / "outputs").glob("folder-*"))) == 2 and first.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('protocl = "basicsr"\n', "'protocl' (did you mean 'protocol'?)"),
        (
            '[protocol_option]\n"psnr.crop_border" = 0\n',
            "'protocol_option' (did you mean 'protocol_options'?)",
        ),
        ('[sharde]\nstyle_model = "toonyou"\n', "'sharde' (did you mean 'shared'?)"),
        ('[refrence]\nfolder = "/x"\n', "'refrence' (did you mean 'reference'?)"),
        ('[[methods]]\nname = "bicubic"\nlable = "x"\n', "'lable' (did you mean 'label'?)"),
        ('protocol = "basicsrr"\n', "basicsr"),
        ('[protocol_options]\n"psnr.crop_bordr" = 0\n', "psnr.crop_border"),
    ],
    ids=["protocol", "protocol_options", "shared", "reference", "method-label", "card-name", "card-setting"],
)
def test_preset_keys_of_the_newer_features_are_checked_with_close_matches(toy_env, capsys, text, message):
    tmp, data = toy_env
    top, tables = ("", text) if text.startswith("[") else (text, "")  # tables go after the top-level keys
    body = (f'name = "keys"\nmetrics = ["psnr"]\n{top}[[datasets]]\nname = "toy"\nroot = "{data}"\n'
            f'[[methods]]\nname = "lanczos"\n{tables}')  # fmt: skip
    path = tmp / "p.toml"
    path.write_text(body)
    assert main(["run", str(path), "--plan-only"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("preset", ["table1", "table2", "table3", "smoke", "sample-golden"])
def test_every_shipped_preset_plans_without_traceback_and_data_first(
    preset, tmp_path, capsys, isolated_caches
):
    from benchmarks.runner.plan import build_plan
    from benchmarks.runner.preset import load_preset

    p = load_preset(preset, tmp_path / "nonexistent")
    plan = build_plan(p, tmp_path / "out")
    for job in plan.jobs:
        assert "no adapter" not in job.reason, (job.method.id, job.reason)
        if plan.datasets[job.dataset.name].state == "missing":
            # data first: only a method that cannot run here at all keeps its own state
            assert job.state in ("data-missing", "not-available"), (job.method.id, job.state)
    missing = [d.entry.name for d in plan.missing_datasets()]
    code = main(["run", preset, "--data-root", str(tmp_path / "nonexistent"), "--plan-only",
                 "--out", str(tmp_path / "out")])  # fmt: skip
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "no adapter" not in out.out
    assert code == (2 if missing else 0)
    for name in missing:
        assert f"dataset {name} is missing" in out.out
