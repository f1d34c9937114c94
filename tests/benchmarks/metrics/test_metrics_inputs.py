"""Input handling: pairing, size mismatch, gray / RGBA / 16-bit decoding, unreadable files, NaN scores."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmarks.metrics import (
    EngineOptions,
    UnreadableImageError,
    UnreadableImagesError,
    evaluate,
    load_mapping,
    pair_images,
    read_image,
)
from benchmarks.metrics.base import PerImageMetric
from benchmarks.metrics.registry import METRICS
from tests.benchmarks.metrics.conftest import distort, photo, save


def test_pairing_by_stem_and_errors(tmp_path):
    img = photo("astronaut", (32, 32))
    for stem in ("a", "b", "c"):
        save(tmp_path / "pred", f"{stem}.png", img)
    for stem in ("a", "b", "d"):
        save(tmp_path / "gt", f"{stem}.png", img)
    with pytest.raises(
        ValueError, match=r"1 pred image\(s\) without GT: \['c'\]; 1 GT image\(s\) without pred: \['d'\]"
    ):
        pair_images(tmp_path / "pred", tmp_path / "gt")
    pairs = pair_images(tmp_path / "pred", tmp_path / "gt", {"c": "d"})
    assert [(p.name, p.gt.name) for p in pairs] == [("a", "a.png"), ("b", "b.png"), ("c", "d.png")]
    with pytest.raises(ValueError, match="paired with both"):
        pair_images(tmp_path / "pred", tmp_path / "gt", {"c": "a"})
    (tmp_path / "gt" / "a.jpg").write_bytes((tmp_path / "gt" / "a.png").read_bytes())
    with pytest.raises(ValueError, match="share the stem 'a'"):
        pair_images(tmp_path / "pred", tmp_path / "gt")
    with pytest.raises(FileNotFoundError):
        pair_images(tmp_path / "nope")


def test_load_mapping_json_and_csv(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"x": "y"}))
    (tmp_path / "m.csv").write_text("pred,gt\nx,y\nu,v\n")
    assert load_mapping(tmp_path / "m.json") == {"x": "y"}
    assert load_mapping(tmp_path / "m.csv") == {"x": "y", "u": "v"}
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="columns 'pred' and 'gt'"):
        load_mapping(tmp_path / "bad.csv")


def test_size_mismatch_is_error_unless_resize(tmp_path):
    gt = photo("chelsea", (48, 64))
    save(tmp_path / "gt", "x.png", gt)
    save(tmp_path / "pred", "x.png", photo("chelsea", (50, 64)))
    with pytest.raises(ValueError, match="pred 64x50 and GT 64x48 differ"):
        evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr"])
    res = evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr"], EngineOptions(size_mismatch="resize-pred"))
    assert 20 < res.value("psnr") < 60
    assert any("resized" in n for n in res.summary["input_notes"]["x"])


def test_gray_rgba_16bit_decoding(tmp_path):
    import cv2
    from PIL import Image

    rgb = photo("coffee", (24, 32))
    gray = rgb[..., 0]
    Image.fromarray(gray).save(tmp_path / "g.png")
    d = read_image(tmp_path / "g.png")
    assert d.pixels.shape == (24, 32, 3) and (d.pixels == gray[..., None]).all()
    # opaque alpha: dropped; translucent alpha: error unless a policy is chosen
    rgba = np.dstack([rgb, np.full(gray.shape, 255, np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "o.png")
    assert (read_image(tmp_path / "o.png").pixels == rgb).all()
    rgba[0, 0, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "t.png")
    with pytest.raises(UnreadableImageError, match="translucent alpha"):
        read_image(tmp_path / "t.png")
    assert read_image(tmp_path / "t.png", alpha="white").pixels[0, 0].tolist() == [255, 255, 255]
    assert read_image(tmp_path / "t.png", alpha="black").pixels[0, 0].tolist() == [0, 0, 0]
    assert (read_image(tmp_path / "t.png", alpha="drop").pixels == rgb).all()
    # 16-bit colour and gray PNGs keep full depth until the documented round(v / 257)
    deep = rgb.astype(np.uint16) * 257 + 100
    cv2.imwrite(str(tmp_path / "d.png"), deep[..., ::-1])
    got = read_image(tmp_path / "d.png")
    assert got.pixels.dtype == np.uint8 and "16-bit scaled to 8-bit" in got.notes
    np.testing.assert_array_equal(got.pixels, np.round(deep / 257).astype(np.uint8))
    cv2.imwrite(str(tmp_path / "dg.png"), deep[..., 0])
    np.testing.assert_array_equal(
        read_image(tmp_path / "dg.png").pixels[..., 1], np.round(deep[..., 0] / 257)
    )
    with pytest.raises(ValueError, match="alpha policy"):
        read_image(tmp_path / "g.png", alpha="blend")


def test_unreadable_files_are_listed_not_dropped(tmp_path):
    for i, name in enumerate(("astronaut", "chelsea", "coffee")):
        g = photo(name, (32, 40))
        save(tmp_path / "gt", f"{i}.png", g)
        save(tmp_path / "pred", f"{i}.png", distort(g, "noise"))
    (tmp_path / "pred" / "1.png").write_bytes(b"not a png")
    with pytest.raises(UnreadableImagesError, match=r"1 unreadable image file\(s\)") as info:
        evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr"])
    partial = info.value.result  # the rest was computed and is returned with the error
    assert list(partial.per_image["status"]) == ["ok", "unreadable", "ok"]
    assert np.isnan(partial.per_image["psnr"][1]) and partial.summary["metrics"]["psnr"]["n"] == 2
    res = evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr"], EngineOptions(skip_unreadable=True))
    assert list(res.summary["unreadable"]) == [str(tmp_path / "pred" / "1.png")]
    assert res.summary["counts"] == {"pairs": 3, "scored": 2, "unreadable": 1}


def test_nan_score_is_an_error(tmp_path):
    """A metric that returns NaN stops the run with the metric and image named."""

    class NaNMetric(PerImageMetric):
        mode = "NR"

        def __init__(self, name, device="cpu"):
            super().__init__(name, device)

        def _scores(self, pred, target):
            return torch.full((pred.shape[0],), float("nan"))

    from benchmarks.metrics import configs

    METRICS.register("NaNMetric", NaNMetric)
    spec = configs.MetricSpec("nanmetric", "NaNMetric", "NR", False)
    configs.DEFAULT_CONFIGS["nanmetric"] = spec
    try:
        save(tmp_path / "pred", "z.png", photo("astronaut", (16, 16)))
        with pytest.raises(ValueError, match=r"metric nanmetric on images \['z'\]: .*non-finite"):
            evaluate(tmp_path / "pred", None, ["nanmetric"])
    finally:
        del configs.DEFAULT_CONFIGS["nanmetric"]


def test_fr_metric_without_gt_and_unknown_metric(tmp_path):
    save(tmp_path / "pred", "z.png", photo("astronaut", (16, 16)))
    with pytest.raises(ValueError, match=r"metrics \['psnr', 'fid'\] need a GT folder"):
        evaluate(tmp_path / "pred", None, ["psnr", "fid"])
    with pytest.raises(KeyError, match="unknown metric 'lpip'.*Did you mean"):
        evaluate(tmp_path / "pred", None, ["lpip"])


def test_batch_size_does_not_change_scores(tmp_path):
    """Mixed sizes are grouped into batches; any batch size gives the same per-image numbers."""
    for i, size in enumerate([(32, 40), (40, 32), (32, 40), (36, 36)]):
        g = photo("coffee", size)
        save(tmp_path / "gt", f"{i}.png", g)
        save(tmp_path / "pred", f"{i}.png", distort(g, "blur"))
    a = evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr", "ssim"], EngineOptions(batch_size=1))
    b = evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr", "ssim"], EngineOptions(batch_size=3))
    np.testing.assert_array_equal(
        a.per_image[["psnr", "ssim"]].to_numpy(), b.per_image[["psnr", "ssim"]].to_numpy()
    )


def test_set_metric_needs_two_images_and_bad_options(metric_weights, tmp_path):
    g = photo("astronaut", (32, 32))
    save(tmp_path / "gt", "a.png", g)
    save(tmp_path / "pred", "a.png", distort(g, "blur"))
    with pytest.raises(ValueError, match=r"metric fid \(1 pred / 1 GT images\): need a \(N >= 2, D\)"):
        evaluate(tmp_path / "pred", tmp_path / "gt", ["fid"])
    with pytest.raises(ValueError, match="alpha policy"):
        evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr"], EngineOptions(alpha="blend"))
    with pytest.raises(ValueError, match="batch_size"):
        evaluate(tmp_path / "pred", tmp_path / "gt", ["psnr"], EngineOptions(batch_size=0))


def test_backbone_loader_rejects_wrong_files():
    """A backbone file with missing/misshaped/extra ``features.*`` keys never loads silently."""
    import torchvision

    from benchmarks.metrics.weights import load_features_into

    feats = torchvision.models.AlexNet().features
    modules = {name: child for name, child in feats.named_children()}
    good = {f"features.{k}": v for k, v in feats.state_dict().items()}
    load_features_into(
        modules, {**good, "classifier.1.weight": torch.zeros(1)}, "alexnet"
    )  # classifier ignored
    with pytest.raises(ValueError, match="missing"):
        load_features_into(modules, {k: v for k, v in good.items() if k != "features.3.bias"}, "alexnet")
    with pytest.raises(ValueError, match="shape"):
        load_features_into(modules, {**good, "features.0.weight": torch.zeros(3, 3)}, "alexnet")
    with pytest.raises(ValueError, match="not used"):
        load_features_into(modules, {**good, "features.99.weight": torch.zeros(1)}, "alexnet")
