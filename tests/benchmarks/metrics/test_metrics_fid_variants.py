"""FID pipelines other than clean-fid `clean`: each equals its library's own folder pipeline.

References: ``cleanfid.fid.get_folder_features(mode=...)`` and pyiqa's
``pyiqa.archs.fid_arch.get_folder_features(mode=...)``, run on the same PNG files with the same
(random) networks; ours runs on the decoded arrays inside the engine's one pass.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks.metrics import EngineOptions, evaluate
from benchmarks.metrics.fid_variants import build_fid_extractor
from benchmarks.metrics.random_weights import build_weights
from tests.benchmarks.metrics.conftest import distort, photo, save


@pytest.fixture(scope="module")
def pt_weights(weights_home):
    """The full-size pytorch-fid Inception with random weights (~95 MB), built once on first use."""
    if not (weights_home / "weights" / "inception-fid-pt").is_dir():
        build_weights(weights_home, names=("inception-fid-pt",))
    return weights_home


@pytest.fixture(scope="module")
def pyiqa_extractor(pt_weights, weights_home, tmp_path_factory):
    """One pyiqa Inception for the three modes (building the full-size network is the slow part)."""
    from benchmarks.metrics.fid_variants import PyiqaInceptionExtractor

    mp = pytest.MonkeyPatch()
    table = tmp_path_factory.mktemp("tables") / "t.toml"
    from benchmarks.metrics.random_weights import write_table

    mp.setenv("PASD_BENCH_ARTIFACTS", str(write_table(table)))
    mp.setenv("PASD_BENCH_HOME", str(weights_home))
    try:
        yield PyiqaInceptionExtractor("cpu")
    finally:
        mp.undo()


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "imgs"
    for i, name in enumerate(("astronaut", "chelsea", "coffee")):
        save(d, f"{i}.png", distort(photo(name, (60 + 8 * i, 75)), "noise", seed=i))
    return d


def _arrays(folder):
    from PIL import Image

    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.glob("*.png"))]


@pytest.mark.parametrize("mode", ["clean", "legacy_pytorch", "legacy_tensorflow"])
def test_pyiqa_fid_features_equal_pyiqa_folder_features(pyiqa_extractor, folder, mode):
    from pyiqa.archs.fid_arch import get_folder_features

    ext = pyiqa_extractor
    ext.mode = mode  # the network is the same for every mode; only the resize / scaling differ
    ref = get_folder_features(str(folder), ext.model, num_workers=0, batch_size=8, device=torch.device("cpu"),
                              mode=mode, verbose=False)  # fmt: skip
    ours = ext(_arrays(folder))
    assert ref.std() > 1e-3  # the random network gives informative features
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["legacy_pytorch", "legacy_tensorflow"])
def test_cleanfid_legacy_features_equal_cleanfid_folder_features(metric_weights, pt_weights, folder, mode):
    from cleanfid.fid import get_folder_features

    ext = build_fid_extractor("inception", "clean-fid", mode)
    model = (
        ext.model
        if mode == "legacy_tensorflow"
        else (lambda x: ext.model(x / 255)[0].squeeze(-1).squeeze(-1))
    )
    # batch_size=1: without an outside resize, clean-fid cannot batch images of different sizes
    ref = get_folder_features(str(folder), model, num_workers=0, batch_size=1, device=torch.device("cpu"),
                              mode=mode, verbose=False)  # fmt: skip
    np.testing.assert_allclose(ext(_arrays(folder)), ref, rtol=1e-5, atol=1e-5)


def test_modes_and_implementations_give_different_fid_and_are_recorded(metric_weights, pt_weights, tmp_path):
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    for i, name in enumerate(("astronaut", "chelsea", "coffee", "rocket")):
        g = photo(name, (64, 64))
        save(gt, f"{i}.png", g)
        save(pred, f"{i}.png", distort(g, "blur"))
    vals = {}
    for impl, mode in [("clean-fid", "clean"), ("clean-fid", "legacy_tensorflow"), ("pyiqa", "clean")]:
        opts = EngineOptions(metric_options={"fid": {"implementation": impl, "mode": mode}})
        result = evaluate(pred, gt, ["fid"], opts)
        entry = result.summary["metrics"]["fid"]
        assert entry["options"]["implementation"] == impl and entry["options"]["mode"] == mode
        vals[(impl, mode)] = entry["value"]
    assert len({round(v, 6) for v in vals.values()}) == 3, vals


def test_pyiqa_fid_value_is_the_exact_distance_of_pyiqas_folder_features(
    metric_weights, pyiqa_extractor, tmp_path
):
    """The whole pyiqa route on pyiqa's own folder features.

    The default (``auto`` -> ``lowrank`` here, n < D) is the exact distance; pyiqa's own
    ``frechet_distance`` takes scipy's ``sqrtm`` of a rank-4 2048 x 2048 product and is off by
    ~1e-5 relative on 5 images (~4e-7 on 100); ``method = "sqrtm"`` gives pyiqa's own number.
    """
    from pyiqa.archs.fid_arch import frechet_distance, get_folder_features

    pred, gt = tmp_path / "pred", tmp_path / "gt"
    for i, name in enumerate(("astronaut", "chelsea", "coffee", "rocket", "camera")):
        g = photo(name, (64, 72))
        save(gt, f"{i}.png", g)
        save(pred, f"{i}.png", distort(g, "noise", seed=i))
    pyiqa_extractor.mode = "clean"
    feats = [
        get_folder_features(str(d), pyiqa_extractor.model, num_workers=0, batch_size=8, device=torch.device("cpu"),
                            mode="clean", verbose=False).astype(np.float64)
        for d in (pred, gt)
    ]  # fmt: skip
    # exact, by another route: Tr sqrt(S_p S_g) from the eigenvalues of the small n x n matrix
    cp, cg = (f - f.mean(axis=0) for f in feats)
    small = (cg @ cp.T) @ (cp @ cg.T) / (len(cp) - 1) ** 2
    diff = feats[0].mean(axis=0) - feats[1].mean(axis=0)
    exact = (
        diff @ diff
        + (cp * cp).sum() / 4
        + (cg * cg).sum() / 4
        - 2 * np.sqrt(np.linalg.eigvalsh(small).clip(0)).sum()
    )
    stats = [(f.mean(axis=0), np.cov(f, rowvar=False)) for f in feats]
    pyiqa_own = frechet_distance(*stats[0], *stats[1])

    def ours(**extra):
        opts = EngineOptions(metric_options={"fid": {"implementation": "pyiqa", "mode": "clean", **extra}})
        return evaluate(pred, gt, ["fid"], opts).summary["metrics"]["fid"]["value"]

    assert exact > 1e-3
    assert ours() == pytest.approx(exact, rel=1e-6)
    assert pyiqa_own == pytest.approx(exact, rel=1e-4)
    assert ours(method="sqrtm") == pytest.approx(pyiqa_own, rel=1e-7)


def test_unsupported_fid_settings_fail_clearly(metric_weights):
    with pytest.raises(ValueError, match="CLIP-FID exists in clean-fid's 'clean' mode only"):
        build_fid_extractor("clip", "pyiqa", "clean")
    with pytest.raises(ValueError, match="FID mode 'fast' not in"):
        build_fid_extractor("inception", "clean-fid", "fast")
    with pytest.raises(ValueError, match="model 'ViT-L/14' applies to CLIP-FID only"):
        from benchmarks.metrics import create_metric

        create_metric("clipfid", model="ViT-L/14")
