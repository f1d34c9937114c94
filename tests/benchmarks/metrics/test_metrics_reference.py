"""LPIPS, DISTS and MUSIQ through the engine equal the reference packages called directly on the files.

Both sides load the same locally saved random weights (``fakes.build_weights``): the engine
through ``pasd.hub``, the references the way their READMEs call them, with torchvision's
constructor patched to load the same backbone file instead of downloading.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import numpy as np
import pytest
import torch

from benchmarks.metrics import EngineOptions, evaluate
from tests.benchmarks.metrics.fakes import FILES


@contextlib.contextmanager
def _torchvision_from_file(arch: str, path):
    """``torchvision.models.<arch>(pretrained=True)`` returns a model whose ``features`` come from ``path``.

    Only ``features`` is built (both packages read nothing else), loaded with torchvision's own
    ``load_state_dict`` (strict), not the engine's slice-by-slice loader.
    """
    import types

    import torchvision
    from torchvision.models import vgg

    state = torch.load(path, weights_only=True)

    def build(*args, **kwargs):
        features = (
            torchvision.models.AlexNet().features if arch == "alexnet" else vgg.make_layers(vgg.cfgs["D"])
        )
        features.load_state_dict({k.removeprefix("features."): v for k, v in state.items()})
        return types.SimpleNamespace(features=features)

    with mock.patch.object(torchvision.models, arch, build):
        yield


def test_lpips_equals_lpips_package(metric_weights, photo_pairs):
    import lpips

    pred_dir, gt_dir = photo_pairs
    res = evaluate(pred_dir, gt_dir, ["lpips"], EngineOptions(batch_size=2))
    lin = metric_weights / "weights" / "lpips-alex" / FILES["lpips-alex"]
    with _torchvision_from_file("alexnet", metric_weights / "weights" / "alexnet" / FILES["alexnet"]):
        ref = lpips.LPIPS(net="alex", version="0.1", model_path=str(lin), verbose=False)
    expected = []
    for name in res.per_image["image"]:
        p = lpips.im2tensor(lpips.load_image(str(pred_dir / f"{name}.png")))
        g = lpips.im2tensor(lpips.load_image(str(gt_dir / f"{name}.png")))
        with torch.no_grad():
            expected.append(ref(p, g).item())
    np.testing.assert_allclose(res.per_image["lpips"].to_numpy(float), expected, rtol=1e-5, atol=1e-7)
    assert min(expected) > 0  # the distorted images really differ


def test_dists_equals_dists_package(metric_weights, photo_pairs):
    from DISTS_pytorch import DISTS, DISTS_pt
    from PIL import Image

    pred_dir, gt_dir = photo_pairs
    res = evaluate(pred_dir, gt_dir, ["dists"], EngineOptions(batch_size=3))
    with _torchvision_from_file("vgg16", metric_weights / "weights" / "vgg16" / FILES["vgg16"]):
        ref = DISTS(load_weights=False)
    ab = torch.load(metric_weights / "weights" / "dists" / FILES["dists"], weights_only=True)
    ref.alpha.data, ref.beta.data = ab["alpha"], ab["beta"]
    expected = []
    for name in res.per_image["image"]:
        p = DISTS_pt.prepare_image(Image.open(pred_dir / f"{name}.png").convert("RGB"))
        g = DISTS_pt.prepare_image(Image.open(gt_dir / f"{name}.png").convert("RGB"))
        expected.append(ref(p, g).item())
    # DISTS is 1 - s with s ~ 0.99 here (random weights): float32 resolves s to ulp(1) = 1.2e-7, so a
    # different but valid summation order (channels-last, GT features of one image) moves it by ~1 ulp
    np.testing.assert_allclose(res.per_image["dists"].to_numpy(float), expected, rtol=1e-5, atol=3e-7)


def test_musiq_equals_pyiqa_on_files(metric_weights, tmp_path):
    """MUSIQ (KonIQ preset) through the engine, no GT needed, equals ``pyiqa`` scoring each file path."""
    import pyiqa

    from tests.benchmarks.metrics.conftest import photo, save

    pred_dir = tmp_path / "pred"
    save(pred_dir, "a.png", photo("astronaut", (48, 64)))
    save(pred_dir, "b.png", photo("coffee", (64, 48)))
    save(pred_dir, "c.png", photo("chelsea", (48, 64)))  # batched with a.png
    res = evaluate(pred_dir, None, ["musiq"], EngineOptions(batch_size=3))
    ref = pyiqa.create_metric("musiq", device="cpu", pretrained_model_path=str(
        metric_weights / "weights" / "musiq-koniq" / FILES["musiq-koniq"]))  # fmt: skip
    expected = [ref(str(pred_dir / f"{n}.png")).item() for n in res.per_image["image"]]
    # atol: random-weight MUSIQ scores sit near 0 (~1e-2), where the float32 noise of a batched,
    # channels-last pass (~3e-7 absolute) is a large relative error; 1e-6 is far below 1e-5 of MUSIQ's 0-100 range
    np.testing.assert_allclose(res.per_image["musiq"].to_numpy(float), expected, rtol=1e-5, atol=1e-6)
    assert res.summary["metrics"]["musiq"]["mode"] == "NR" and res.summary["gt_dir"] is None


def test_musiq_one_image_per_call_on_cpu_equals_the_batched_pass(metric_weights):
    """CPU default: one image per MUSIQ call (faster there); a batched call gives the same scores."""
    import torch

    from benchmarks.metrics.registry import create_metric
    from tests.benchmarks.metrics.conftest import photo

    x = torch.from_numpy(np.stack([photo(n, (48, 64)) for n in ("astronaut", "chelsea", "coffee")]))
    x = x.permute(0, 3, 1, 2).float().div(255)
    alone, batched = create_metric("musiq"), create_metric("musiq", max_batch=3)
    assert alone.max_batch == 1 and batched.max_batch == 3
    np.testing.assert_allclose(
        alone._scores(x, None).numpy(), batched._scores(x, None).numpy(), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="max_batch"):
        create_metric("musiq", max_batch=0)


@pytest.mark.parametrize("metric", ["lpips", "dists", "musiq", "fid", "clipfid", "niqe"])
def test_missing_weights_name_metric_and_fetch_command(metric, isolated_caches, monkeypatch, photo_pairs):
    """With the artifacts listed but absent, each metric fails with the suite's error; nothing downloads."""
    from pasd.hub import MissingWeightsError
    from tests.benchmarks.metrics import fakes

    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(fakes.write_table(isolated_caches / "t.toml")))
    pred_dir, gt_dir = photo_pairs
    with pytest.raises(MissingWeightsError, match=f"(?s)metric '{metric}'.*pasd-bench weights fetch"):
        evaluate(pred_dir, gt_dir, [metric])


def test_skip_missing_marks_metric_missing(isolated_caches, monkeypatch, photo_pairs):
    from tests.benchmarks.metrics import fakes

    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(fakes.write_table(isolated_caches / "t.toml")))
    pred_dir, gt_dir = photo_pairs
    res = evaluate(pred_dir, gt_dir, ["psnr", "lpips", "fid"], EngineOptions(skip_missing=True))
    assert res.summary["missing"] == ["fid", "lpips"]
    assert res.summary["metrics"]["lpips"]["status"] == "missing"
    reason = res.summary["metrics"]["lpips"]["reason"]
    assert "lpips-alex" in reason and "by hand" in reason  # the test table's artifacts are not fetchable
    assert list(res.per_image["lpips"]) == ["missing"] * 3
    assert res.summary["metrics"]["psnr"]["n"] == 3


def test_extras_not_in_table_are_missing(isolated_caches, monkeypatch, photo_pairs):
    """MANIQA/CLIPIQA weights that the artifact table does not list raise the same error type."""
    from pasd.hub import MissingWeightsError
    from tests.benchmarks.metrics import fakes

    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(fakes.write_table(isolated_caches / "t.toml")))
    with pytest.raises(MissingWeightsError, match="not listed in the artifact table"):
        evaluate(photo_pairs[0], None, ["maniqa"])
