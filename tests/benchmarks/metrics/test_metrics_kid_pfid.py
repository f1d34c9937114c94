"""KID and patch-FID equal clean-fid on the same files; KID is seeded; patch-FID's crops and cache."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks.metrics import EngineOptions, configs, evaluate, frechet_distance_from_features
from benchmarks.metrics.patch_fid_metric import patch_grid
from tests.benchmarks.metrics.conftest import distort, photo, save


@pytest.fixture
def sets(tmp_path):
    """6 GT photos of 48 x 56 and their distorted preds."""
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    i = 0
    for name in ("astronaut", "chelsea", "coffee"):
        for kind in ("blur", "jpeg"):
            g = photo(name, (48, 56))
            save(gt, f"{i:02d}.png", g)
            save(pred, f"{i:02d}.png", distort(g, kind, seed=i))
            i += 1
    return pred, gt


def _cleanfid_features(folder, metric_weights):
    import torch
    from cleanfid import fid as cfid
    from cleanfid.inception_torchscript import InceptionV3W

    inception = InceptionV3W(str(metric_weights / "weights" / "inception-fid"), download=False)
    kw = {"num_workers": 0, "batch_size": 4, "device": torch.device("cpu"), "mode": "clean", "verbose": False}
    return cfid.get_folder_features(str(folder), inception, **kw)


def test_kid_equals_cleanfid_kernel_distance_seeded(metric_weights, sets, monkeypatch):
    from cleanfid.fid import kernel_distance

    from benchmarks.metrics import create_metric

    pred, gt = sets
    res = evaluate(pred, gt, ["kid", "fid"], EngineOptions(batch_size=4))
    feats = [_cleanfid_features(d, metric_weights) for d in (pred, gt)]
    np.random.seed(0)
    expected = kernel_distance(*feats)  # clean-fid's compute_kid: float32 features, float32 sums
    np.random.seed(0)
    exact = kernel_distance(*(f.astype(np.float64) for f in feats))
    # the math: clean-fid's function, seeded, in float64 (KID is a difference of large kernel sums;
    # float32 sums lose ~1e-4 of it to cancellation, which is why the engine keeps features in float64)
    assert create_metric("kid").compute(*feats) == exact
    assert exact == pytest.approx(expected, rel=1e-3)
    assert res.value("kid") == pytest.approx(exact, rel=1e-4, abs=1e-7)
    assert res.summary["metrics"]["kid"]["counts"] == {"pred": 6, "gt": 6}
    assert res.summary["metrics"]["kid"]["options"]["seed"] == 0
    # subsets smaller than the sets: random, so the seed matters; the same seed repeats exactly
    spec = configs.DEFAULT_CONFIGS["kid"]
    for seed in (0, 1):
        opts = {**spec.opts, "max_subset_size": 3, "seed": seed}
        monkeypatch.setitem(configs.DEFAULT_CONFIGS, "kid", dataclasses.replace(spec, opts=opts))
        np.random.seed(12345)
        state = np.random.get_state()[1].copy()
        a = evaluate(pred, gt, ["kid"]).value("kid")
        assert (np.random.get_state()[1] == state).all()  # the caller's RNG is left alone
        b = evaluate(pred, gt, ["kid"]).value("kid")
        np.random.seed(seed)
        ref = kernel_distance(*(f.astype(np.float64) for f in feats), max_subset_size=3)
        assert a == b == pytest.approx(ref, rel=1e-4, abs=1e-7)
        if seed == 0:
            first = a
    assert first != a


def test_kid_rejects_bad_options_and_inputs(metric_weights):
    from benchmarks.metrics import create_metric

    with pytest.raises(ValueError, match="num_subsets must be a positive int"):
        create_metric("kid", num_subsets=0)
    kid = create_metric("kid")
    with pytest.raises(ValueError, match="N >= 2"):
        kid.compute(np.zeros((1, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="NaN or inf"):
        kid.compute(np.full((3, 4), np.nan), np.zeros((3, 4)))


def test_patch_fid_equals_cleanfid_on_the_crops(metric_weights, sets, tmp_path, monkeypatch):
    """Crops on the documented grid, saved as files and read by clean-fid, give the same pFID."""
    from PIL import Image

    spec = configs.DEFAULT_CONFIGS["pfid"]
    monkeypatch.setitem(
        configs.DEFAULT_CONFIGS, "pfid", dataclasses.replace(spec, opts={**spec.opts, "patch": 24})
    )
    pred, gt = sets
    opts = EngineOptions(batch_size=4, cache_dir=str(tmp_path / "cache"))
    res = evaluate(pred, gt, ["pfid", "fid"], opts)
    assert patch_grid(48, 56, 24, 24) == [(0, 0), (0, 24), (24, 0), (24, 24)]
    ref = []
    for src in (pred, gt):
        crops = tmp_path / f"crops-{src.name}"
        crops.mkdir()
        for f in sorted(src.iterdir()):
            im = np.asarray(Image.open(f).convert("RGB"))
            for k, (y, x) in enumerate(patch_grid(48, 56, 24, 24)):
                Image.fromarray(im[y : y + 24, x : x + 24]).save(crops / f"{f.stem}_{k}.png")
        ref.append(_cleanfid_features(crops, metric_weights))
    assert res.summary["metrics"]["pfid"]["counts"] == {"pred": 24, "gt": 24}
    expected = frechet_distance_from_features(*ref, method="lowrank")
    assert res.value("pfid") == pytest.approx(expected, rel=1e-5)
    assert res.value("pfid") != pytest.approx(res.value("fid"), rel=1e-3)
    assert res.summary["metrics"]["pfid"]["options"]["patch"] == 24
    # the GT crops' features are cached like FID's (a key of their own: patch size and stride)
    again = evaluate(pred, gt, ["pfid"], opts)
    assert again.summary["metrics"]["pfid"]["gt_feature_cache"] == "hit"
    assert again.value("pfid") == res.value("pfid")
    assert len(list((tmp_path / "cache").glob("inception-clean-*-patch24s24_alpha-error_*.npz"))) == 1


def test_patch_fid_refuses_images_smaller_than_the_patch(metric_weights, sets):
    pred, gt = sets
    with pytest.raises(ValueError, match="smaller than the 128-px patch"):
        evaluate(pred, gt, ["pfid"])
    from benchmarks.metrics import create_metric

    with pytest.raises(ValueError, match="patch must be a positive int"):
        create_metric("pfid", patch=0)
