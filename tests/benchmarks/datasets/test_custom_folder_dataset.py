"""``folder`` dataset: LQ (and optional HQ) folders paired by stem, verified, sizes checked against scale."""

import numpy as np
import pytest
from PIL import Image

from benchmarks.datasets import create_dataset


def _img(path, h, w, value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(path)


@pytest.fixture
def pairs(tmp_path):
    root = tmp_path / "mine"
    for stem in ("a", "b"):
        _img(root / "lq" / f"{stem}.png", 8, 6)
        _img(root / "hq" / f"{stem}.png", 32, 24)
    _img(root / "lq" / "c.jpg", 4, 4)  # another format pairs by stem too
    _img(root / "hq" / "c.png", 16, 16)
    return root


def test_pairs_by_stem_with_default_folders(pairs):
    ds = create_dataset("folder", pairs)
    items = ds.items()
    assert [(i.id, i.lq.name, i.hq.name) for i in items] == [("a", "a.png", "a.png"), ("b", "b.png", "b.png"),
                                                              ("c", "c.jpg", "c.png")]  # fmt: skip
    assert ds.load_lq(items[0]).shape == (8, 6, 3)
    report = ds.verify()
    assert report.ok and report.count == 3


def test_explicit_folders_absolute_or_under_root(pairs, tmp_path):
    a = create_dataset("folder", tmp_path, lq="mine/lq", hq=str(pairs / "hq"))
    assert len(a.items()) == 3 and a.items()[0].hq == pairs / "hq" / "a.png"


def test_lq_only_gives_items_without_reference(tmp_path):
    _img(tmp_path / "only" / "x.png", 8, 8)
    ds = create_dataset("folder", tmp_path, lq="only")
    assert [(i.id, i.hq) for i in ds.items()] == [("x", None)]
    report = ds.verify()
    assert report.ok and any("no-reference" in n for n in report.notes)


def test_missing_partner_is_a_clear_error_or_skipped(pairs):
    (pairs / "hq" / "b.png").unlink()
    _img(pairs / "hq" / "z.png", 8, 8)
    with pytest.raises(FileNotFoundError, match=r"2 files without a partner: LQ .*b.png has no HQ partner"):
        create_dataset("folder", pairs).items()
    problems = create_dataset("folder", pairs).verify().problems
    assert any("b.png has no HQ partner" in p for p in problems)
    assert any("z.png has no LQ partner" in p for p in problems)
    skipping = create_dataset("folder", pairs, unpaired="skip")
    assert [i.id for i in skipping.items()] == ["a", "c"] and skipping.verify().ok


def test_wrong_size_fails_that_image_and_verify_names_it(pairs):
    _img(pairs / "hq" / "b.png", 30, 24)
    ds = create_dataset("folder", pairs)
    with pytest.raises(ValueError, match=r"b: HQ b.png is 24x30, expected 24x32 \(LQ 6x8 x4\)"):
        ds.load_lq(ds.items()[1])
    assert ds.load_lq(ds.items()[0]).shape == (8, 6, 3)  # the others still load
    assert any("b: LQ 6x8 x4 != HQ 24x30" in p for p in ds.verify().problems)
    # scale is a param: the same pairs at x2 are all wrong
    assert len(create_dataset("folder", pairs, scale=2).verify().problems) == 3


def test_unreadable_file_fails_alone(pairs):
    (pairs / "lq" / "a.png").write_bytes(b"not a png")
    ds = create_dataset("folder", pairs)
    with pytest.raises(ValueError, match="unreadable or corrupt image"):
        ds.load_lq(ds.items()[0])
    assert any("a: unreadable" in p for p in ds.verify().problems)


def test_bad_params_and_missing_folders(tmp_path):
    with pytest.raises(ValueError, match="unknown params.*allowed"):
        create_dataset("folder", tmp_path, lqq="x")
    with pytest.raises(ValueError, match="scale must be a positive integer"):
        create_dataset("folder", tmp_path, scale=0)
    with pytest.raises(FileNotFoundError, match="LQ folder not found"):
        create_dataset("folder", tmp_path).items()
    _img(tmp_path / "lq" / "a.png", 4, 4)
    _img(tmp_path / "lq" / "a.jpg", 4, 4)
    with pytest.raises(ValueError, match="share the stem 'a'"):
        create_dataset("folder", tmp_path).items()
