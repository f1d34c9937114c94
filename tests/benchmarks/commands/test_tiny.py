"""``pasd-bench tiny`` writes loadable folders."""

from __future__ import annotations

from benchmarks.cli import main


def test_tiny_command_writes_sd_and_pasd(tmp_path, capsys):
    assert main(["tiny", "--out", str(tmp_path), "--variant", "pasd_light"]) == 0
    assert f"pasd_light: {tmp_path / 'pasd_light'}" in capsys.readouterr().out
    from pasd.models import load_pasd_models

    unet, _ = load_pasd_models(tmp_path / "pasd_light")
    assert unet.config.paca_type == "light"
    assert (tmp_path / "sd15" / "model_index.json").is_file()


def test_tiny_command_rejects_unknown_variant(tmp_path):
    assert main(["tiny", "--out", str(tmp_path), "--variant", "nope"]) != 0
