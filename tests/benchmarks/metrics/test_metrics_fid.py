"""FID / CLIP-FID: Fréchet math vs an independent scipy route, clean-fid agreement, self-distance, cache."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from benchmarks.metrics import EngineOptions, evaluate, frechet_distance_from_features
from tests.benchmarks.metrics.conftest import distort, photo, save
from tests.benchmarks.metrics.fakes import FILES


def _reference_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Tr sqrt(S1 S2) from the eigenvalues of S1 S2 (real, >= 0 for PSD S1, S2): no sqrtm involved."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eig = scipy.linalg.eigvals(s1 @ s2)
    tr_sqrt = np.sqrt(np.clip(eig.real, 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


@pytest.mark.parametrize("method", ["sqrtm", "lowrank"])
@pytest.mark.parametrize("shape", [(200, 150, 16), (12, 9, 64)], ids=["n>d", "n<d"])
def test_frechet_matches_scipy_reference(method, shape):
    """Both exact routes equal an eigenvalue-based scipy reference, with more and with fewer samples than dims."""
    n_a, n_b, d = shape
    rng = np.random.default_rng(n_a)
    a = rng.normal(size=(n_a, d))
    b = rng.normal(0.3, 1.5, size=(n_b, d)) @ rng.normal(size=(d, d))
    ours = frechet_distance_from_features(a, b, method=method)
    assert ours == pytest.approx(_reference_frechet(a, b), rel=1e-6)
    assert ours > 1.0


def test_frechet_auto_route():
    from benchmarks.metrics.frechet import resolve_method

    assert resolve_method(100, 100, 2048) == "lowrank"
    assert resolve_method(5000, 3000, 2048) == "sqrtm"
    with pytest.raises(ValueError, match="method"):
        resolve_method(2, 2, 2, "svd")


def test_frechet_self_is_zero_and_bad_inputs():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(100, 8))
    assert frechet_distance_from_features(a, a.copy()) == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError, match="feature dimensions differ"):
        frechet_distance_from_features(a, a[:, :4])
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance_from_features(a[:1], a)
    bad = a.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance_from_features(bad, a)


@pytest.fixture
def fid_sets(tmp_path):
    """6 GT photos (crops of skimage images) and their distorted preds."""
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    i = 0
    for name in ("astronaut", "chelsea", "coffee"):
        for kind in ("blur", "jpeg"):
            g = photo(name, (40 + 8 * i, 56))
            save(gt, f"{i:02d}.png", g)
            save(pred, f"{i:02d}.png", distort(g, kind, seed=i))
            i += 1
    return pred, gt


def test_fid_and_clipfid_equal_cleanfid_folder_scores(metric_weights, fid_sets):
    """Our one-pass FID/CLIP-FID equal clean-fid's folder pipeline with the same networks.

    clean-fid's ``get_folder_features`` (its file reading, ``clean`` resize / CLIP preprocessing
    and batching) gives the reference features; the distance is clean-fid's ``frechet_distance``
    for CLIP (D = 32) and our exact low-rank route for Inception (D = 2048, where clean-fid's
    ``sqrtm`` would take ~45 s per call; the two routes are compared in the tests above).
    """
    import torch
    from cleanfid import fid as cfid
    from cleanfid.inception_torchscript import InceptionV3W

    from benchmarks.metrics.clip_compat import import_clip

    import_clip()
    from cleanfid.clip_features import CLIP_fx, img_preprocess_clip

    pred, gt = fid_sets
    res = evaluate(pred, gt, ["fid", "clipfid"], EngineOptions(batch_size=4))
    cpu = torch.device("cpu")
    kw = {"num_workers": 0, "batch_size": 4, "device": cpu, "mode": "clean", "verbose": False}
    inception = InceptionV3W(str(metric_weights / "weights" / "inception-fid"), download=False)
    ref = [cfid.get_folder_features(str(d), inception, **kw) for d in (pred, gt)]
    assert res.value("fid") == pytest.approx(frechet_distance_from_features(*ref, method="lowrank"), rel=1e-5)
    clip_fx = CLIP_fx(str(metric_weights / "weights" / "clip-vit-b32" / FILES["clip-vit-b32"]), device="cpu")
    ref = [
        cfid.get_folder_features(str(d), clip_fx, custom_fn_resize=img_preprocess_clip, **kw)
        for d in (pred, gt)
    ]
    mu_sig = [(f.mean(0), np.cov(f, rowvar=False)) for f in ref]
    assert res.value("clipfid") == pytest.approx(cfid.frechet_distance(*mu_sig[0], *mu_sig[1]), rel=1e-5)
    assert res.value("fid") > 0 and res.summary["metrics"]["fid"]["counts"] == {"pred": 6, "gt": 6}
    assert res.summary["metrics"]["fid"]["route"] == "lowrank"


def test_fid_of_set_with_itself_is_zero(metric_weights, fid_sets):
    _, gt = fid_sets
    res = evaluate(gt, gt, ["fid", "clipfid"])
    assert abs(res.value("fid")) < 1e-6
    assert abs(res.value("clipfid")) < 1e-6


def test_gt_feature_cache_hit_and_invalidation(metric_weights, fid_sets, tmp_path):
    pred, gt = fid_sets
    opts = EngineOptions(cache_dir=str(tmp_path / "cache"))
    first = evaluate(pred, gt, ["fid"], opts)
    assert first.summary["metrics"]["fid"]["gt_feature_cache"] == "miss"
    assert len(list((tmp_path / "cache").glob("inception-clean-*_alpha-error_*.npz"))) == 1
    second = evaluate(pred, gt, ["fid"], opts)
    assert second.summary["metrics"]["fid"]["gt_feature_cache"] == "hit"
    assert second.value("fid") == pytest.approx(first.value("fid"), rel=1e-12)
    # change one GT file: new content hash, so the stale entry is not read
    save(gt, "00.png", distort(photo("astronaut", (40, 56)), "blur"))
    third = evaluate(pred, gt, ["fid"], opts)
    assert third.summary["metrics"]["fid"]["gt_feature_cache"] == "miss"
    assert third.value("fid") != pytest.approx(first.value("fid"), rel=1e-6)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2
