"""The pyiqa presets, KID and patch-FID equal their reference packages called directly on the same files.

Tiny random weights in the released layouts (``random_weights.build_iqa_weights``: the same pyiqa
classes and key names at small widths); both sides load the same files. The reference side is
pyiqa's ``create_metric`` on file paths (its own image reading), with only its download function
answered by the local file, independently of the engine's wiring.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from benchmarks.metrics import EngineOptions, configs, evaluate, score_many
from benchmarks.metrics import random_weights as rw
from tests.benchmarks.metrics.conftest import distort, photo, save

NR = ["musiq-ava", "musiq-spaq", "musiq-paq2piq", "maniqa", "maniqa-pipal", "clipiqa", "topiq_nr", "liqe",
      "liqe_mix", "niqe"]  # fmt: skip


@pytest.fixture(scope="session")
def iqa_home(tmp_path_factory) -> Path:
    return rw.build_iqa_weights(tmp_path_factory.mktemp("iqa-weights"))


@pytest.fixture
def iqa_weights(isolated_caches, iqa_home, monkeypatch) -> Path:
    """The pyiqa artifacts in a private table, the presets shrunk to the tiny networks' widths."""
    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(rw.write_iqa_table(isolated_caches / "iqa.toml")))
    monkeypatch.setenv("PASD_BENCH_HOME", str(iqa_home))
    for name, spec in list(configs.DEFAULT_CONFIGS.items()):
        preset = spec.opts.get("pyiqa_name")
        if preset in rw.TINY_PYIQA_OPTS:
            opts = {**spec.opts, "pyiqa_opts": rw.TINY_PYIQA_OPTS[preset]}
            monkeypatch.setitem(configs.DEFAULT_CONFIGS, name, dataclasses.replace(spec, opts=opts))
    with rw.tiny_timm():
        yield iqa_home


@pytest.fixture
def big_photos(tmp_path) -> tuple[Path, Path]:
    """pred/ and gt/ with 3 pairs of >= 224 px (LIQE's crop), two of one size (one batch)."""
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    for i, (name, size, kind) in enumerate(
        [("astronaut", (232, 240), "blur"), ("coffee", (240, 232), "jpeg"), ("chelsea", (232, 240), "noise")]
    ):
        g = photo(name, size)
        save(gt, f"{i}.png", g)
        save(pred, f"{i}.png", distort(g, kind, seed=i))
    return pred, gt


@contextlib.contextmanager
def _pyiqa_direct(metric: str, home: Path):
    """``pyiqa.create_metric`` as a user calls it, its downloads served from ``home`` by file name."""
    import pyiqa
    from pyiqa.archs import arch_util, clip_model

    from benchmarks.metrics.clip_compat import import_clip

    import_clip()
    spec = configs.get_spec(metric)
    files = {rw.IQA_FILES[a]: home / "weights" / a / rw.IQA_FILES[a] for a in spec.weights}

    def local(url, *args, **kwargs):
        return str(files[os.path.basename(url)])

    with (
        mock.patch.object(arch_util, "load_file_from_url", local),
        mock.patch.object(clip_model, "_download", local),
        mock.patch("pyiqa.archs.niqe_arch.load_file_from_url", local),
        mock.patch("pyiqa.archs.liqe_arch.DEFAULT_CACHE_DIR", str(home)),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        kw = dict(rw.TINY_PYIQA_OPTS[spec.opts["pyiqa_name"]])
        if "topiq" in metric:
            kw["backbone_pretrain"] = False  # timm's ImageNet download; the checkpoint replaces it
        yield pyiqa.create_metric(spec.opts["pyiqa_name"], device="cpu", **kw)
    for stale in home.glob("liqe_text_feat*.pt"):  # pyiqa's own prompt cache, written by the reference
        stale.unlink()


@pytest.mark.parametrize("metric", NR)
def test_nr_metric_equals_pyiqa_on_files(metric, iqa_weights, big_photos):
    pred, _ = big_photos
    res = evaluate(pred, None, [metric], EngineOptions(batch_size=3))
    with _pyiqa_direct(metric, iqa_weights) as ref:
        expected = [ref(str(pred / f"{n}.png")).item() for n in res.per_image["image"]]
    got = res.per_image[metric].to_numpy(float)
    # atol for random-weight scores near zero (MUSIQ-PaQ2PiQ gives ~5e-5): float32 noise of a batched
    # or channels-last pass is ~1e-7 absolute there, i.e. 1e-5 of the metric's usual scale
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.ptp(expected) > 0  # the images are told apart: the check is not between constants
    spec = res.summary["metrics"][metric]
    assert spec["mode"] == "NR" and spec["lower_better"] == (metric == "niqe")


def test_topiq_fr_equals_pyiqa_and_shares_the_gt_backbone(iqa_weights, big_photos, tmp_path):
    from PIL import Image

    from benchmarks.metrics.pyiqa_metric import PyiqaFRMetric

    pred, gt = big_photos
    res = evaluate(pred, gt, ["topiq_fr"], EngineOptions(batch_size=3))
    with _pyiqa_direct("topiq_fr", iqa_weights) as ref:
        expected = [ref(str(pred / f"{n}.png"), str(gt / f"{n}.png")).item() for n in res.per_image["image"]]
    np.testing.assert_allclose(res.per_image["topiq_fr"].to_numpy(float), expected, rtol=1e-5, atol=1e-7)
    assert np.ptp(expected) > 0
    # a second method: the GT backbone pass runs once per GT image; numbers as when scored alone
    other = tmp_path / "other"
    for f in sorted(pred.iterdir()):
        save(other, f.name, distort(np.asarray(Image.open(f).convert("RGB")), "blur"))
    calls = []
    real = PyiqaFRMetric.gt_features

    def counting(self, target):
        calls.append(target.shape)
        return real(self, target)

    with mock.patch.object(PyiqaFRMetric, "gt_features", counting):
        many = score_many({"a": pred, "b": other}, gt, ["topiq_fr"], EngineOptions(batch_size=3))
    assert len(calls) == 3  # not 6
    assert many["a"].per_image.equals(res.per_image)
    assert not many["b"].per_image.equals(res.per_image)


def test_maniqa_is_seeded_repeatable_and_batch_independent(iqa_weights, big_photos, monkeypatch):
    """Seeded per image: repeatable, independent of batch-mates, and the caller's RNGs untouched.

    pyiqa 0.1.16 takes a uniform grid of crops (no randomness); the random crops of pyiqa < 0.1.12
    are simulated by patching ``uniform_crop`` with pyiqa's ``random_crop``.
    """
    from pyiqa.archs import arch_util, maniqa_arch

    pred, _ = big_photos
    grid = evaluate(pred, None, ["maniqa-pipal"], EngineOptions(batch_size=3)).per_image["maniqa-pipal"]
    monkeypatch.setattr(maniqa_arch, "uniform_crop", arch_util.random_crop)
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    a = evaluate(pred, None, ["maniqa-pipal"], EngineOptions(batch_size=3)).per_image["maniqa-pipal"]
    b = evaluate(pred, None, ["maniqa-pipal"], EngineOptions(batch_size=1)).per_image["maniqa-pipal"]
    assert (np.random.get_state()[1] == before).all()
    assert a.tolist() == b.tolist()
    assert a.tolist() != grid.tolist()  # the random crops really are other crops
    spec = configs.DEFAULT_CONFIGS["maniqa-pipal"]
    monkeypatch.setitem(configs.DEFAULT_CONFIGS, "maniqa-pipal",
                        dataclasses.replace(spec, opts={**spec.opts, "seed": 124}))  # fmt: skip
    c = evaluate(pred, None, ["maniqa-pipal"], EngineOptions(batch_size=3))
    assert c.per_image["maniqa-pipal"].tolist() != a.tolist()
    assert c.summary["metrics"]["maniqa-pipal"]["options"]["seed"] == 124


@pytest.mark.parametrize("metric", [*NR, "topiq_fr"])
def test_missing_weights_read_weights_missing(metric, isolated_caches, monkeypatch, big_photos):
    """Artifacts listed but absent: the suite's error naming the fetch command, or 'missing', never a number."""
    from benchmarks.metrics.results import MISSING
    from benchmarks.tables.grid import result_cell
    from pasd.hub import MissingWeightsError

    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(rw.write_iqa_table(isolated_caches / "t.toml")))
    pred, gt = big_photos
    with pytest.raises(MissingWeightsError, match=f"(?s)metric '{metric}'.*pasd-bench weights fetch"):
        evaluate(pred, gt, [metric])
    res = evaluate(pred, gt, [metric, "psnr"], EngineOptions(skip_missing=True))
    entry = res.summary["metrics"][metric]
    assert entry["status"] == MISSING and "mean" not in entry and "value" not in entry
    assert list(res.per_image[metric]) == [MISSING] * 3
    cell = result_cell({"status": "weights-missing", "value": None, "note": entry["reason"]}, 4, False)
    assert cell.text == "weights missing" and cell.value is None


def test_liqe_and_niqe_refuse_images_too_small(iqa_weights, photo_pairs):
    pred, _ = photo_pairs  # 64 x 80
    with pytest.raises(ValueError, match="liqe needs images of at least 224 px on the short side"):
        evaluate(pred, None, ["liqe"])
    with pytest.raises(ValueError, match="niqe needs images of at least 96 px"):
        evaluate(pred, None, ["niqe"])


def test_pyiqa_url_without_artifact_is_missing_weights(iqa_weights):
    """A pyiqa version that asks for another file gets the suite's error, never a download."""
    from benchmarks.metrics.pyiqa_metric import PYIQA_WEIGHTS, build_pyiqa
    from pasd.hub import MissingWeightsError

    with (
        mock.patch.dict(PYIQA_WEIGHTS, {"maniqa-pipal": ("maniqa-koniq",)}),
        pytest.raises(MissingWeightsError, match=r"pyiqa asked for .*MANIQA_PIPAL-ae6d356b\.pth"),
    ):
        build_pyiqa("maniqa-pipal", **rw.TINY_PYIQA_OPTS["maniqa-pipal"])
