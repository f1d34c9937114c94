import numpy as np
import pytest
from PIL import Image

from benchmarks.cli import main
from benchmarks.datasets import create_dataset, read_rgb


def _png(path, size, value=0, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path)


@pytest.fixture
def drealsr(tmp_path):
    for i in ("DSC_01", "DSC_02", "DSC_03"):
        _png(tmp_path / "test_HR" / f"{i}_x1.png", (64, 48))
        _png(tmp_path / "test_LR" / f"{i}_x4.png", (16, 12))
    return tmp_path


def test_good_paired_set_verifies(drealsr):
    ds = create_dataset("drealsr", drealsr)
    rep = ds.verify()
    assert rep.count == 3
    assert rep.problems == ["found 3 items, the official set has 93"]
    assert [i.id for i in ds.items()] == ["DSC_01", "DSC_02", "DSC_03"]


def test_verify_names_missing_extra_and_mismatched_files(drealsr):
    (drealsr / "test_LR" / "DSC_02_x4.png").unlink()  # HQ without partner
    _png(drealsr / "test_LR" / "DSC_09_x4.png", (16, 12))  # LQ without partner
    _png(drealsr / "test_LR" / "notes.png", (16, 12))  # unexpected name
    _png(drealsr / "test_LR" / "DSC_03_x4.png", (15, 12))  # wrong size
    problems = "\n".join(create_dataset("drealsr", drealsr).verify().problems)
    assert "DSC_02: HQ test_HR/DSC_02_x1.png has no LQ partner" in problems
    assert "DSC_09: LQ test_LR/DSC_09_x4.png has no HQ partner" in problems
    assert "unexpected file test_LR/notes.png" in problems
    assert "DSC_03: LQ 15x12 x4 != HQ 64x48" in problems


def test_verify_missing_root_says_what_layout_is_expected(tmp_path, capsys):
    assert main(["data", "verify", "realsr", "--root", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert "HQ folder not found" in err and "Canon,Nikon" in err


def test_realsr_pairs_both_cameras_and_unreadable_is_reported(tmp_path):
    for cam in ("Canon", "Nikon"):
        _png(tmp_path / cam / "Test" / "4" / f"{cam}_001_HR.png", (32, 32))
        _png(tmp_path / cam / "Test" / "4" / f"{cam}_001_LR4.png", (8, 8))
    (tmp_path / "Nikon" / "Test" / "4" / "Nikon_001_LR4.png").write_bytes(b"not a png")
    ds = create_dataset("realsr", tmp_path)
    assert [i.id for i in ds.items()] == ["Canon_001", "Nikon_001"]
    assert any("Nikon_001: unreadable image" in p for p in ds.verify().problems)


def test_read_rgb_handles_gray_rgba_and_16bit(tmp_path):
    _png(tmp_path / "g.png", (4, 3), 7, "L")
    _png(tmp_path / "a.png", (4, 3), (1, 2, 3, 4), "RGBA")
    Image.fromarray(np.full((3, 4), 65535, dtype=np.uint16)).save(tmp_path / "d.png")
    assert read_rgb(tmp_path / "g.png").shape == (3, 4, 3) and read_rgb(tmp_path / "g.png").max() == 7
    with pytest.raises(ValueError, match="translucent alpha"):  # the suite-wide default
        read_rgb(tmp_path / "a.png")
    assert read_rgb(tmp_path / "a.png", alpha="drop")[0, 0].tolist() == [1, 2, 3]
    assert read_rgb(tmp_path / "d.png").max() == 255
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError, match="bad.png"):
        read_rgb(tmp_path / "bad.png")


def test_ffhq_first_100_names_and_missing(tmp_path):
    for i in range(3):
        _png(tmp_path / "00000" / f"{i:05d}.png", (8, 8))
    ds = create_dataset("ffhq-100", tmp_path)
    assert [i.id for i in ds.items()] == ["00000", "00001", "00002"]
    assert any("97 files missing" in p for p in ds.verify().problems)
