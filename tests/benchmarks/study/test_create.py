"""`create_study`, the study file and gold decoys."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from benchmarks.study.assign import make_assignment
from benchmarks.study.create import create_study
from benchmarks.study.gold import write_decoys
from benchmarks.study.spec import GOLD_CLEAN, load_study, safe_path


def test_create_picks_common_images_and_copies(tmp_path, sources):
    lq, outs = sources
    (outs["sharp"] / "img00.png").rename(tmp_path / "moved.png")  # img00 now missing for one method
    try:
        spec = create_study(lq, outs, tmp_path / "s", n_images=5, seed=3, n_gold=2)
    finally:
        (tmp_path / "moved.png").rename(outs["sharp"] / "img00.png")
    assert spec.methods == ["bicubic", "sharp", "smooth"]
    assert sorted(im.name for im in spec.images) == [f"img{i:02d}" for i in range(1, 6)]
    for im in spec.images:
        for m, rel in im.outputs.items():
            copied = np.asarray(Image.open(tmp_path / "s" / rel))
            np.testing.assert_array_equal(copied, np.asarray(Image.open(outs[m] / f"{im.name}.png")))
    assert len(spec.gold) == 2 and all(sum(k == GOLD_CLEAN for k in g.options) == 1 for g in spec.gold)
    again = load_study(tmp_path / "s")
    assert again == spec


def test_create_is_deterministic_per_seed(tmp_path, sources):
    lq, outs = sources
    a = create_study(lq, outs, tmp_path / "a", n_images=3, seed=7)
    b = create_study(lq, outs, tmp_path / "b", n_images=3, seed=7)
    c = create_study(lq, outs, tmp_path / "c", n_images=3, seed=8)
    assert [i.name for i in a.images] == [i.name for i in b.images]
    assert a.study_id == b.study_id != c.study_id


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"n_images": 99}, ValueError, "only 6 images"),
        ({"n_gold": 5, "n_images": 2}, ValueError, "n_gold=5 exceeds"),
        ({"design": "ranking", "n_images": 4}, ValueError, "design 'ranking'"),
        ({"design": "pairwise", "pairs_per_image": 4, "n_images": 4}, ValueError, "pairs_per_image=4"),
        ({"images_per_rater": 9, "n_images": 4}, ValueError, "images_per_rater=9"),
        ({"repeats": 5, "n_images": 4}, ValueError, "repeats=5"),
        ({"completion_url": "javascript:alert(1)", "n_images": 4}, ValueError, "absolute http"),
        ({"text": {"questoin": "x"}, "n_images": 4}, ValueError, "unknown study text key 'questoin'"),
        ({"text": {"question": "Page {pgae}"}, "n_images": 4}, ValueError, "unknown placeholders"),
    ],
    ids=[
        "too-many-images",
        "too-many-gold",
        "bad-design",
        "too-many-pairs",
        "subset",
        "repeats",
        "url",
        "text-key",
        "placeholder",
    ],
)
def test_create_rejects_bad_arguments(tmp_path, sources, kwargs, err, match):
    lq, outs = sources
    with pytest.raises(err, match=match):
        create_study(lq, outs, tmp_path / "s", **kwargs)


def test_create_rejects_bad_methods_and_existing_study(tmp_path, sources):
    lq, outs = sources
    with pytest.raises(ValueError, match="at least 2 methods"):
        create_study(lq, {"sharp": outs["sharp"]}, tmp_path / "s")
    with pytest.raises(ValueError, match="not allowed"):
        create_study(lq, {"../x": outs["sharp"], "b": outs["smooth"]}, tmp_path / "s")
    create_study(lq, outs, tmp_path / "s", n_images=2)
    with pytest.raises(FileExistsError, match="already holds a study"):
        create_study(lq, outs, tmp_path / "s", n_images=2)


def test_load_study_refuses_paths_outside_the_folder(study_dir):
    raw = json.loads((study_dir / "study.json").read_text())
    raw["images"][0]["lq"] = "../../etc/passwd"
    (study_dir / "study.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="escapes the study folder"):
        load_study(study_dir)
    with pytest.raises(ValueError, match="must be relative"):
        safe_path(study_dir, "/etc/passwd")


def test_decoys_are_obviously_worse(tmp_path, sources):
    lq, outs = sources
    src = outs["sharp"] / "img00.png"
    decoys = write_decoys(src, tmp_path, n=5, seed=0)
    assert list(decoys) == ["blur", "noise", "pixelate", "jpeg", "blur1"]
    clean = np.asarray(Image.open(src), dtype=float)
    for kind, path in decoys.items():
        mse = np.mean((np.asarray(Image.open(path), dtype=float) - clean) ** 2)
        psnr = 10 * np.log10(255**2 / mse)
        assert psnr < 24, f"decoy {kind} too close to the clean image: {psnr:.1f} dB"


def test_assignment_is_per_participant_and_complete(study_dir):
    spec = load_study(study_dir)
    a, b = make_assignment(spec, "alice"), make_assignment(spec, "bob")
    assert make_assignment(spec, "alice") == a  # reproducible for an audit
    assert sorted(t.trial_id for t in a) == sorted(spec.trial_ids())
    assert a[0].kind == "main"  # gold never first
    orders = {tuple(m for m, _ in t.options) for t in a + b if t.kind == "main"}
    assert len(orders) > 1  # option order varies across trials and participants
    for t in a:
        assert sorted(m for m, _ in t.options) == sorted(
            spec.methods if t.kind == "main" else next(g for g in spec.gold if g.id == t.trial_id).options
        )


def test_text_overrides_and_design_defaults_are_resolved_into_the_study(tmp_path, sources):
    lq, outs = sources
    spec = create_study(lq, outs, tmp_path / "s", n_images=2, design="mos",
                        text={"question": "Wie gut ist dieses Bild?", "lang": "de"})  # fmt: skip
    assert spec.question == "Wie gut ist dieses Bild?" and spec.text["lang"] == "de"
    assert "five-point scale" in spec.text["instructions"]  # the MOS default
    assert spec.show_reference is False and spec.n_trials == 2 * 3
    again = load_study(tmp_path / "s")
    assert again.text == spec.text and again.design == "mos"
