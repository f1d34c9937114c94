"""Protocol cards: complete and cited, and each card's PSNR/SSIM equal the package it names."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from benchmarks.metrics import EngineOptions, evaluate
from benchmarks.protocols import PROTOCOLS, SETTINGS, get_card, list_cards
from benchmarks.protocols.card import ProtocolCard, diff_settings
from pasd.utils.registry import UnknownNameError
from tests.benchmarks.metrics.conftest import distort, photo, save

SHIPPED = ("basicsr", "osediff", "pasd", "pyiqa-default", "stablesr")
#: a source names a file at a commit, a repository thread, the paper, or the suite's own file
CITATION = re.compile(
    r"@[0-9a-f]{7}:[\w./-]+|#\d+|paper|benchmarks/[\w/]+\.py|cleanfid/\w+\.py|suite default"
)


def test_the_five_cards_ship_complete_and_every_setting_cites_its_source():
    assert tuple(c.name for c in list_cards()) == SHIPPED
    for card in list_cards():
        assert set(card.settings) == set(SETTINGS), card.name
        for key in SETTINGS:
            assert CITATION.search(card.sources[key]), (
                f"{card.name}: {key} cites no file: {card.sources[key]!r}"
            )
        assert card.packages and card.summary


def test_cards_read_the_conventions_their_sources_state():
    s = {c.name: c.settings for c in list_cards()}
    assert (s["pasd"]["psnr.colour"], s["pasd"]["psnr.crop_border"]) == ("y", 4)
    assert (s["basicsr"]["psnr.colour"], s["basicsr"]["psnr.crop_border"]) == ("rgb", 4)
    assert (s["pyiqa-default"]["psnr.colour"], s["pyiqa-default"]["ssim.color_space"]) == ("rgb", "yiq")
    assert (s["osediff"]["psnr.color_space"], s["osediff"]["fid.implementation"]) == ("ycbcr", "pyiqa")
    assert (s["stablesr"]["psnr.round_y"], s["stablesr"]["psnr.crop_border"]) == (True, 0)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    pred, gt = root / "pred", root / "gt"
    imgs = {}
    for i, (name, kind) in enumerate([("astronaut", "blur"), ("chelsea", "noise"), ("coffee", "jpeg")]):
        g = photo(name, (72, 96))
        p = distort(g, kind, seed=i)
        save(gt, f"img{i}.png", g)
        save(pred, f"img{i}.png", p)
        imgs[f"img{i}"] = (p, g)
    return pred, gt, imgs


def _ours(pairs, card: str) -> dict[str, np.ndarray]:
    pred, gt, _ = pairs
    result = evaluate(
        pred, gt, ["psnr", "ssim"], EngineOptions(n_resamples=10, **get_card(card).engine_fields())
    )
    return {m: result.per_image[m].to_numpy(float) for m in ("psnr", "ssim")}


def _t(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255.0


@pytest.mark.parametrize("card, kwargs", [
    ("pyiqa-default", {}),
    ("osediff", {"test_y_channel": True, "color_space": "ycbcr"}),
], ids=["pyiqa-default", "osediff"])  # fmt: skip
def test_pyiqa_cards_equal_pyiqa_create_metric(pairs, card, kwargs):
    import pyiqa

    ours = _ours(pairs, card)
    for metric in ("psnr", "ssim"):
        ref_metric = pyiqa.create_metric(metric, device="cpu", **kwargs)
        ref = [float(ref_metric(_t(p), _t(g))) for p, g in pairs[2].values()]
        np.testing.assert_allclose(ours[metric], ref, rtol=1e-6, err_msg=f"{card} {metric}")


def test_basicsr_card_equals_basicsr_on_rgb(pairs):
    from basicsr.metrics.psnr_ssim import calculate_psnr, calculate_ssim

    ours = _ours(pairs, "basicsr")
    ref_p = [calculate_psnr(p, g, 4, test_y_channel=False) for p, g in pairs[2].values()]
    ref_s = [calculate_ssim(p, g, 4, test_y_channel=False) for p, g in pairs[2].values()]
    np.testing.assert_allclose(ours["psnr"], ref_p, rtol=1e-12)
    np.testing.assert_allclose(ours["ssim"], ref_s, rtol=1e-12)


def test_stablesr_card_equals_rounded_bt601_luma_with_skimage(pairs):
    """Independent reference: MATLAB rgb2ycbcr rounded to integers, then scikit-image's PSNR/SSIM."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    def luma(img):
        return np.round(img.astype(np.float64) @ (np.array([65.481, 128.553, 24.966]) / 255.0) + 16.0)

    ours = _ours(pairs, "stablesr")
    ref_p = [peak_signal_noise_ratio(luma(g), luma(p), data_range=255) for p, g in pairs[2].values()]
    ref_s = [
        structural_similarity(luma(g), luma(p), data_range=255, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False)
        for p, g in pairs[2].values()
    ]  # fmt: skip
    np.testing.assert_allclose(ours["psnr"], ref_p, rtol=1e-12)
    np.testing.assert_allclose(ours["ssim"], ref_s, rtol=1e-9)


def test_cards_give_different_psnr_on_the_same_pairs(pairs):
    vals = {c: _ours(pairs, c)["psnr"].mean() for c in SHIPPED}
    assert len({round(v, 6) for v in vals.values()}) == len(SHIPPED), vals


def test_settings_in_effect_and_diffs():
    pasd, basicsr = get_card("pasd"), get_card("basicsr")
    # on RGB the luma settings do nothing, so they are not part of what the metric depends on
    assert "psnr.color_space" not in basicsr.settings_for("psnr")
    assert diff_settings(pasd.settings_for("psnr"), basicsr.settings_for("psnr")) == [
        ("psnr.color_space", "ycbcr", None), ("psnr.colour", "y", "rgb"), ("psnr.round_y", False, None),
    ]  # fmt: skip
    assert pasd.settings_for("dists") == {"images.alpha": "error", "images.resize": "error"}


def test_overrides_are_checked_and_recorded():
    card = get_card("pasd", {"psnr.crop_border": 0})
    assert card.name == "pasd+custom" and card.settings["psnr.crop_border"] == 0
    assert "override" in card.sources["psnr.crop_border"] and card.overrides == {"psnr.crop_border": 0}
    assert card.metric_options()["psnr"]["crop_border"] == 0
    with pytest.raises(KeyError, match="unknown protocol setting 'psnr.crop'"):
        get_card("pasd", {"psnr.crop": 0})
    with pytest.raises(ValueError, match=r"'psnr.colour' = 'luma' not in \['y', 'rgb'\]"):
        get_card("pasd", {"psnr.colour": "luma"})
    with pytest.raises(UnknownNameError, match="Did you mean one of: pasd"):
        get_card("pasdd")


def test_a_card_file_must_set_and_cite_everything(tmp_path):
    raw = get_card("pasd").as_dict()
    assert ProtocolCard.from_dict(raw).settings == PROTOCOLS.get("pasd").settings
    del raw["sources"]["fid.mode"]
    with pytest.raises(ValueError, match=r"settings without a source: \['fid.mode'\]"):
        ProtocolCard.from_dict(raw)
    raw = get_card("pasd").as_dict()
    del raw["settings"]["lpips.version"]
    with pytest.raises(ValueError, match="settings missing"):
        ProtocolCard.from_dict(raw)
    path = tmp_path / "mine.toml"
    src = PROTOCOLS.get("basicsr").origin
    path.write_text(open(src).read().replace('name = "basicsr"', 'name = "mine"'))
    assert get_card(str(path)).name == "mine"


def test_unsupported_combinations_fail_at_construction():
    from benchmarks.metrics import create_metric

    with pytest.raises(ValueError, match="basicsr has only the 'ycbcr'"):
        create_metric("psnr", color_space="yiq")
    with pytest.raises(ValueError, match="pyiqa's implementation rounds Y"):
        create_metric("ssim", implementation="pyiqa", round_y=False)
    with pytest.raises(ValueError, match="round_y applies to colour='y' only"):
        create_metric("psnr", colour="rgb", round_y=True)
