"""``pasd-bench weights list|verify|fetch --preset``: every file a preset's methods and metrics load."""

from __future__ import annotations

import pytest

from benchmarks.cli import main
from benchmarks.commands.weights import preset_artifacts

#: what the paper's Table 1 loads, written out by hand from the adapters' docs and the metrics'
#: (PASD's default prompt source is the CoCa caption; StableSR needs its CFW VAE too)
TABLE1 = {
    "bsrgan", "realesrgan-x4plus", "ldl", "femasr-x4", "swinir-gan-realsr", "ldm-sr-4x", "sd-x4-upscaler",
    "stablesr", "stablesr-cfw", "sd15", "pasd", "coca-vit-l14",
    "inception-fid", "clip-vit-b32", "alexnet", "lpips-alex", "dists", "vgg16", "musiq-koniq",
}  # fmt: skip


@pytest.mark.usefixtures("isolated_caches")
def test_table1_needs_exactly_its_methods_and_metrics_weights():
    assert set(preset_artifacts("table1")) == TABLE1


@pytest.mark.usefixtures("isolated_caches")
def test_table2_includes_the_shared_style_model_and_the_card_decides_the_metric_files():
    arts = set(preset_artifacts("table2"))
    assert {
        "toonyou",
        "instruct-pix2pix",
        "controlnet-tile",
        "cartoongan-hayao",
        "animeganv2-paprika",
    } <= arts
    assert "lpips-alex" not in arts and "realesrgan-x4plus" not in arts  # not Table 2's
    # the pasd card scores FID with clean-fid, whose Inception file this is
    assert "inception-fid" in arts


def test_fetch_preset_offline_fails_fast_naming_each_artifact(isolated_caches, monkeypatch, capsys):
    monkeypatch.setenv("PASD_BENCH_OFFLINE", "1")
    assert main(["weights", "fetch", "--preset", "table3"]) == 1
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    for name in ("sd15", "pasd", "inception-fid", "alexnet"):  # each tried, each named
        assert f"weights '{name}': offline" in cap.err
    assert "lpips-alex" in cap.out  # shipped inside the lpips package: found, reported ok


@pytest.mark.parametrize(
    "args",
    [
        ["weights", "fetch"],
        ["weights", "fetch", "sd15", "--preset", "table1"],
        ["weights", "fetch", "--preset", "tabel1"],
    ],
)
def test_fetch_usage_errors_exit_2(args, isolated_caches, capsys):
    assert main(args) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_list_preset_shows_only_its_artifacts(isolated_caches, capsys):
    assert main(["weights", "list", "--preset", "table3", "--no-status"]) == 0
    out = capsys.readouterr().out
    assert "pasd" in out and "stablesr" not in out and "bsrgan" not in out
