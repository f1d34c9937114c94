"""``folder`` method: precomputed outputs matched by stem, size-checked, every file's sha256 recorded."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from baselines.base import MethodNotAvailableError, create_method


@pytest.fixture
def outputs(tmp_path):
    folder = tmp_path / "released"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for stem, (h, w) in {"a": (16, 12), "b": (8, 8)}.items():
        Image.fromarray(rng.integers(0, 256, (h * 4, w * 4, 3), dtype=np.uint8)).save(folder / f"{stem}.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def _input(h, w):
    return np.zeros((h, w, 3), np.uint8)


def test_options_record_every_file_hash(outputs):
    m = create_method("folder", path=str(outputs), label="StableSR (released)")
    assert m.label == "StableSR (released)" and m.weights == () and not m.stochastic
    want = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in outputs.glob("*.png")}
    assert m.options["files"] == want and m.options["path"] == str(outputs.resolve())
    assert create_method("folder", path=str(outputs)).label == "folder:released"


def test_returns_the_file_matched_by_stem(outputs):
    m = create_method("folder", path=str(outputs))
    out = m.process_item(_input(16, 12), None, names=("a", "a_LR4"))
    np.testing.assert_array_equal(out, np.asarray(Image.open(outputs / "a.png").convert("RGB")))
    # the second name (the input's file stem) is tried when the item id has no file
    assert m.process_item(_input(8, 8), None, names=("x1", "b")).shape == (32, 32, 3)


def test_cache_key_changes_when_a_file_changes(outputs):
    before = create_method("folder", path=str(outputs)).cache_key()
    assert create_method("folder", path=str(outputs)).cache_key() == before
    Image.fromarray(np.full((32, 32, 3), 7, np.uint8)).save(outputs / "b.png")
    assert create_method("folder", path=str(outputs)).cache_key() != before


def test_bad_inputs_are_clear_errors(outputs, tmp_path):
    m = create_method("folder", path=str(outputs))
    with pytest.raises(ValueError, match=r"a.png is 48x64, expected 40x64 \(input 10x16 x4\)"):
        m.process_item(_input(16, 10), None, names=("a",))
    with pytest.raises(FileNotFoundError, match="no output for 'zz'"):
        m.process_item(_input(8, 8), None, names=("zz",))
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(outputs / "b.png")  # replaced after creation
    with pytest.raises(ValueError, match="changed after the run started"):
        m.process_item(_input(8, 8), None, names=("b",))
    with pytest.raises(MethodNotAvailableError, match="does not exist"):
        create_method("folder", path=str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="set params"):
        create_method("folder")
    with pytest.raises(ValueError, match="unknown params.*allowed"):
        create_method("folder", path=str(outputs), lable="x")
    (outputs / "a.jpg").write_bytes((outputs / "a.png").read_bytes())
    with pytest.raises(ValueError, match="share the stem 'a'"):
        create_method("folder", path=str(outputs))


def test_stylization_outputs_keep_the_input_size(tmp_path):
    folder = tmp_path / "toon"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "face.png")
    m = create_method("folder", path=str(folder), task="stylization")
    assert m.scale == 1 and m.process_item(_input(8, 8), None, names=("face",)).shape == (8, 8, 3)
    with pytest.raises(ValueError, match="scale 1"):
        create_method("folder", path=str(folder), task="stylization", scale=4)
