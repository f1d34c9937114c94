"""score_many: several methods against one GT equal each method scored alone, bit for bit; the GT side once.

Random weights (``metric_weights``) only test the plumbing; the reference equality of each metric
with its package is in ``test_metrics_reference.py`` / ``test_metrics_iqa.py``.
"""

from __future__ import annotations

import dataclasses
import os
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from benchmarks.metrics import EngineOptions, UnreadableImagesError, configs, evaluate, score_many
from tests.benchmarks.metrics.conftest import distort, photo, save

METRICS = ["psnr", "ssim", "lpips", "dists", "niqe", "fid", "kid", "clipfid"]


@pytest.fixture
def three_methods(tmp_path):
    """gt/ (6 photos, two sizes) and pred folders of three 'methods' (blur, noise, JPEG)."""
    gt = tmp_path / "gt"
    names = [("astronaut", (96, 112)), ("chelsea", (96, 112)), ("coffee", (112, 96)),
             ("rocket", (96, 112)), ("camera", (112, 96)), ("astronaut", (112, 96))]  # fmt: skip
    for i, (name, size) in enumerate(names):
        img = photo(name, size)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        save(gt, f"{i}.png", img)
    preds = {}
    for kind in ("blur", "noise", "jpeg"):
        folder = tmp_path / kind
        for f in sorted(gt.iterdir()):
            from PIL import Image

            save(folder, f.name, distort(np.asarray(Image.open(f).convert("RGB")), kind, seed=int(f.stem)))
        preds[kind] = folder
    return preds, gt


def _same(a, b) -> None:
    """Two EvaluationResults hold the same numbers, bit for bit."""
    pd.testing.assert_frame_equal(a.per_image, b.per_image, check_exact=True)
    for name, entry in a.summary["metrics"].items():
        other = b.summary["metrics"][name]
        for key in ("mean", "ci_low", "ci_high", "value", "counts"):
            assert entry.get(key) == other.get(key), (name, key, entry.get(key), other.get(key))


def test_many_equals_each_alone_bit_for_bit(metric_weights, three_methods):
    preds, gt = three_methods
    opts = EngineOptions(batch_size=4)  # 6 images: two batches per method, the second a remainder
    many = score_many(preds, gt, METRICS, opts)
    assert list(many) == ["blur", "noise", "jpeg"]
    for label, folder in preds.items():
        _same(many[label], evaluate(folder, gt, METRICS, opts))
        assert many[label].summary["pred_dir"] == str(folder)
    # the methods really differ (the equality above is not trivially between identical inputs)
    assert many["blur"].value("lpips") != many["noise"].value("lpips")
    assert len({round(r.value("fid"), 6) for r in many.values()}) == 3


def _spy(cls, calls):
    original = cls.gt_features

    def side_effect(self, target):
        calls.append(self.name)
        return original(self, target)

    return side_effect


def test_gt_side_computed_once_for_all_methods(metric_weights, three_methods):
    """LPIPS/DISTS GT features: once per GT image; set features: once per network and GT batch."""
    from benchmarks.metrics.dists_metric import DISTSMetric
    from benchmarks.metrics.features import InceptionExtractor
    from benchmarks.metrics.lpips_metric import LPIPSMetric

    preds, gt = three_methods
    calls: list[str] = []
    extracted: list[int] = []
    real_extract = InceptionExtractor.__call__

    def count_extract(self, images):
        extracted.append(len(images))
        return real_extract(self, images)

    with (
        mock.patch.object(LPIPSMetric, "gt_features", autospec=True, side_effect=_spy(LPIPSMetric, calls)),
        mock.patch.object(DISTSMetric, "gt_features", autospec=True, side_effect=_spy(DISTSMetric, calls)),
        mock.patch.object(InceptionExtractor, "__call__", count_extract),
    ):
        score_many(preds, gt, ["lpips", "dists", "fid", "kid"], EngineOptions(batch_size=4))
    assert sorted(calls) == ["dists"] * 6 + ["lpips"] * 6  # not 18 each
    # FID and KID share one Inception. Round 1: blur preds (4), the GT batch (4, once), noise and
    # jpeg preds; round 2 the same with the 2 remaining images
    assert extracted == [4, 4, 4, 4, 2, 2, 2, 2]


def test_fr_gt_cache_hit_miss_invalidation(metric_weights, three_methods, tmp_path, caplog):
    preds, gt = three_methods
    cache = tmp_path / "cache"
    opts = EngineOptions(batch_size=4, cache_dir=str(cache))
    first = score_many(preds, gt, ["lpips", "dists"], opts)
    assert {r.summary["metrics"]["lpips"]["gt_feature_cache"] for r in first.values()} == {"miss"}
    entries = sorted((cache / "fr").glob("*.pt"))
    assert len(entries) == 12  # 6 GT images x 2 metrics, written once for 3 methods
    assert all("_alpha-error_" in p.name for p in entries)

    second = score_many(preds, gt, ["lpips", "dists"], opts)
    for label in preds:
        assert second[label].summary["metrics"]["dists"]["gt_feature_cache"] == "hit"
        _same(second[label], first[label])  # cached features give the same bits
        _same(second[label], evaluate(preds[label], gt, ["lpips", "dists"], EngineOptions(batch_size=4)))

    # a changed GT file: new content digest, so only its entry misses and only its score moves
    save(gt, "2.png", distort(photo("coffee", (112, 96)), "blur"))
    third = score_many(preds, gt, ["lpips", "dists"], opts)
    assert third["blur"].summary["metrics"]["lpips"]["gt_feature_cache"] == "partial (5 hit, 1 miss)"
    a, b = first["blur"].per_image.set_index("image"), third["blur"].per_image.set_index("image")
    changed = a.index[(a["lpips"] != b["lpips"]).to_numpy()]
    assert list(changed) == ["2"]

    # a damaged entry is a miss with a warning, never an error or a wrong number
    victim = sorted((cache / "fr").glob("lpips-*.pt"))[0]
    victim.write_bytes(b"not a tensor file")
    fourth = score_many({"blur": preds["blur"]}, gt, ["lpips"], opts)
    assert "partial" in fourth["blur"].summary["metrics"]["lpips"]["gt_feature_cache"]
    assert "ignoring unreadable GT feature cache" in caplog.text
    _same(fourth["blur"], evaluate(preds["blur"], gt, ["lpips"], EngineOptions(batch_size=4)))

    # replaced weights (new size/mtime): a new key, so every entry misses
    w = metric_weights / "weights" / "lpips-alex"
    f = next(w.iterdir())
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    try:
        fifth = score_many({"blur": preds["blur"]}, gt, ["lpips"], opts)
    finally:  # the weights folder is shared by the session's tests
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert fifth["blur"].summary["metrics"]["lpips"]["gt_feature_cache"] == "miss"


def test_fr_gt_cache_size_limit_and_off(metric_weights, three_methods, tmp_path):
    preds, gt = three_methods
    off = score_many({"blur": preds["blur"]}, gt, ["lpips"], EngineOptions())
    assert off["blur"].summary["metrics"]["lpips"]["gt_feature_cache"] == "off"
    opts = EngineOptions(cache_dir=str(tmp_path / "c"), gt_cache_max_mb=0)
    score_many({"blur": preds["blur"]}, gt, ["lpips"], opts)
    assert not list((tmp_path / "c").rglob("*.pt"))
    with pytest.raises(ValueError, match="gt_cache_max_mb"):
        EngineOptions(gt_cache_max_mb=-1).check()


def test_methods_with_different_images_and_gt_views(metric_weights, three_methods, tmp_path):
    """The runner's case: per-method GT folders of links, one method missing an image."""
    preds, gt = three_methods
    views = {}
    for label, folder in preds.items():
        view = tmp_path / "views" / label
        for f in sorted(folder.iterdir()):
            if label == "noise" and f.stem == "3":
                continue  # this method failed on image 3
            for sub, src in (("pred", f), ("gt", gt / f.name)):
                (view / sub).mkdir(parents=True, exist_ok=True)
                os.symlink(src, view / sub / f.name)
        views[label] = view
    metrics = ["psnr", "lpips", "dists", "fid"]
    opts = EngineOptions(batch_size=4)
    many = score_many({k: v / "pred" for k, v in views.items()}, {k: v / "gt" for k, v in views.items()},
                      metrics, opts)  # fmt: skip
    assert list(many["noise"].per_image["image"]) == ["0", "1", "2", "4", "5"]
    for label, view in views.items():
        _same(many[label], evaluate(view / "pred", view / "gt", metrics, opts))


def test_errors_name_the_method(metric_weights, three_methods, tmp_path):
    preds, gt = three_methods
    (preds["jpeg"] / "5.png").unlink()
    with pytest.raises(ValueError, match=r"method 'jpeg': pred/GT folders do not pair up"):
        score_many(preds, gt, ["psnr"])
    with pytest.raises(ValueError, match="at least one method"):
        score_many({}, gt, ["psnr"])
    with pytest.raises(ValueError, match=r"no GT folder for method\(s\) \['noise'\]"):
        score_many({"blur": preds["blur"], "noise": preds["noise"]}, {"blur": gt}, ["psnr"])
    with pytest.raises(ValueError, match="need a GT folder"):
        score_many({"blur": preds["blur"]}, None, ["lpips"])
    # an unreadable pred: every method's result is kept on the error
    (preds["noise"] / "1.png").write_bytes(b"garbage")
    with pytest.raises(UnreadableImagesError) as info:
        score_many({"blur": preds["blur"], "noise": preds["noise"]}, gt, ["psnr"])
    assert set(info.value.results) == {"blur", "noise"}
    assert info.value.result is info.value.results["noise"]
    assert info.value.results["blur"].summary["metrics"]["psnr"]["n"] == 6
    ok = score_many({"noise": preds["noise"]}, gt, ["psnr"], EngineOptions(skip_unreadable=True))
    assert ok["noise"].summary["metrics"]["psnr"]["n"] == 5


def test_precision_and_channels_last_options(metric_weights, photo_pairs):
    """Half precision: CUDA only and only for metrics measured safe (none yet); channels-last on CPU by default."""
    import torch

    from benchmarks.metrics import create_metric, runtime

    with pytest.raises(ValueError, match="for CUDA devices only"):
        create_metric("lpips", precision="fp16")
    with pytest.raises(ValueError, match="precision 'fp8' not in"):
        create_metric("dists", precision="fp8")
    cuda = torch.device("cuda")  # check_precision only reads the device type
    with pytest.raises(ValueError, match="not known to stay within the drift tier"):
        runtime.check_precision("bf16", "LPIPS", cuda)
    with mock.patch.object(runtime, "HALF_SAFE", frozenset({"LPIPS"})):
        assert runtime.check_precision("bf16", "LPIPS", cuda) is torch.bfloat16
    assert runtime.check_precision("fp32", "MUSIQ", cuda) is None
    with pytest.raises(TypeError, match="channels_last must be"):
        create_metric("lpips", channels_last="yes")
    pred, gt = photo_pairs
    cl = evaluate(pred, gt, ["lpips", "dists"]).per_image
    specs = {n: dataclasses.replace(s, opts={**s.opts, "channels_last": False})
             for n, s in configs.DEFAULT_CONFIGS.items() if n in ("lpips", "dists")}  # fmt: skip
    with mock.patch.dict(configs.DEFAULT_CONFIGS, specs):
        nchw = evaluate(pred, gt, ["lpips", "dists"])
    assert nchw.summary["metrics"]["lpips"]["options"]["channels_last"] is False
    assert configs.DEFAULT_CONFIGS["dists"].opts == {
        "channels_last": None,
        "precision": "fp32",
        "chunk_pixels": None,
    }
    for m in ("lpips", "dists"):
        np.testing.assert_allclose(
            cl[m].to_numpy(float), nchw.per_image[m].to_numpy(float), rtol=1e-5, atol=3e-7
        )
    assert (
        "-cl-" in create_metric("lpips").gt_key
        and "-nchw-" in create_metric("lpips", channels_last=False).gt_key
    )


def test_dists_cpu_chunks_equal_the_whole_batch(metric_weights):
    import torch

    from benchmarks.metrics import create_metric

    torch.manual_seed(0)
    x, y = torch.rand(3, 3, 40, 48), torch.rand(3, 3, 40, 48)
    whole, chunked = create_metric("dists", chunk_pixels=10**9), create_metric("dists", chunk_pixels=40 * 48)
    assert whole.chunk_pixels == 10**9 and create_metric("dists").chunk_pixels == 2 * 128 * 128
    whole.update(x, y)
    chunked.update(x, y)
    np.testing.assert_allclose(chunked.compute(), whole.compute(), rtol=1e-6, atol=3e-7)
    with pytest.raises(ValueError, match="chunk_pixels must be a positive int"):
        create_metric("dists", chunk_pixels=0)
