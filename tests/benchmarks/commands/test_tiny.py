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


def test_tiny_prints_a_working_infer_command(tmp_path, capsys):
    """The printed ``infer`` line runs as is on the tiny folders (no caption weights needed)."""
    import shlex

    from PIL import Image

    assert main(["tiny", "--out", str(tmp_path / "tiny")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("try: pasd-bench infer"))
    Image.new("RGB", (16, 12), (120, 60, 30)).save(tmp_path / "lq.png")
    args = shlex.split(line[len("try: pasd-bench ") :])
    args = [{"IMAGE": str(tmp_path / "lq.png"), "OUT_DIR": str(tmp_path / "out")}.get(a, a) for a in args]
    assert main(args) == 0
    assert Image.open(tmp_path / "out" / "lq.png").size == (64, 48)
