"""HQ folders -> training pairs: skipping bad inputs, per-sample determinism, null prompts, batches."""

import numpy as np
import pytest
import torch
from PIL import Image

from pasd.degradation import DegradationPipeline, load_config
from pasd.training.data import EpochSampler, TrainCollate, TrainPairs, parse_data_spec, scan_hq_folders

LATENT = (4, 16, 16)


def _pairs(hq_dir, **kw):
    items, _ = scan_hq_folders([hq_dir], 128)
    args = {"config": load_config("pasd_x4"), "crop_size": 128, "seed": 0, "hflip": True, "null_prompt_prob": 0.5,
            "latent_shape": LATENT, **kw}  # fmt: skip
    return TrainPairs(items, **args)


def test_scan_skips_small_and_unreadable_with_counts(tmp_path, hq_dir):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.new("RGB", (200, 150), (10, 20, 30)).save(folder / "ok.png")
    Image.new("RGB", (100, 300)).save(folder / "small.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    (folder / "notes.md").write_text("ignored: not an image")
    items, report = scan_hq_folders([folder, hq_dir], 128)
    hq = hq_dir.name  # ids start with the folder's name
    assert [i.image_id for i in items] == ["mixed/ok", f"{hq}/astronaut", f"{hq}/coffee"]
    assert (report.used, len(report.too_small), len(report.unreadable), report.captions) == (3, 1, 1, 1)
    assert "skipped 1 smaller than the crop, 1 unreadable" in report.summary()


def test_scan_errors(tmp_path, hq_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        scan_hq_folders([empty], 128)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scan_hq_folders([tmp_path / "nope"], 128)
    with pytest.raises(ValueError, match="no usable HQ image.*2 smaller than 512px"):
        scan_hq_folders([hq_dir], 512)
    with pytest.raises(ValueError, match="--data"):
        scan_hq_folders([], 128)


def test_limit_and_duplicate_folder_names(tmp_path, hq_dir):
    assert parse_data_spec(f"{hq_dir}:1") == (hq_dir, 1)
    items, _ = scan_hq_folders([f"{hq_dir}:1", hq_dir], 128)
    hq = hq_dir.name
    assert [i.image_id for i in items] == [f"{hq}/astronaut", f"{hq}_/astronaut", f"{hq}_/coffee"]


def test_sample_depends_only_on_seed_id_epoch(hq_dir):
    a, b = _pairs(hq_dir), _pairs(hq_dir)
    s1 = a[(3, 1)]
    a[(0, 0)], a[(5, 1)]  # other samples drawn in between change nothing
    s2 = b[(3, 1)]
    for key in ("hq", "noise", "vae_noise"):
        assert torch.equal(s1[key], s2[key])
    assert (
        s1["params"] == s2["params"]
        and s1["timestep"] == s2["timestep"]
        and s1["id"] == f"{hq_dir.name}/coffee"
    )
    other = b[(4, 1)]
    assert not torch.equal(s1["noise"], other["noise"]) and s1["params"] != other["params"]
    assert s1["noise"].shape == LATENT and 0 <= s1["timestep"] < 1000
    assert not torch.equal(s1["noise"], s1["vae_noise"])


def test_null_prompt_ratio_and_captions(hq_dir):
    pairs = _pairs(hq_dir)
    captions = [pairs[(e, 0)]["caption"] for e in range(200)]
    assert set(captions) == {"", "an astronaut in a white space suit"}
    assert 0.4 < captions.count("") / 200 < 0.6
    assert {pairs[(e, 1)]["caption"] for e in range(20)} == {""}  # no .txt beside coffee.png
    never = _pairs(hq_dir, null_prompt_prob=0.0)
    assert all(never[(e, 0)]["caption"] for e in range(20))


def test_collate_degrades_and_resizes_back(hq_dir):
    pairs = _pairs(hq_dir)
    samples = [pairs[(0, 0)], pairs[(0, 1)]]
    batch = TrainCollate(load_config("pasd_x4"))(samples)
    assert batch["hq"].shape == batch["lq"].shape == (2, 3, 128, 128)
    assert batch["noise"].shape == (2, *LATENT) and batch["timesteps"].dtype == torch.long
    lq = batch["lq"] * 255
    assert torch.equal(lq, lq.round()) and float(lq.min()) >= 0 and float(lq.max()) <= 255
    # the LQ of each sample is the degradation of its own parameters, resized back (PASD's variant)
    alone = DegradationPipeline(load_config("pasd_x4"))(samples[1]["hq"][None], [samples[1]["params"]], True)
    assert torch.equal(batch["lq"][1:], alone)


def test_epoch_sampler_orders():
    s = EpochSampler(10, seed=0)
    s.set_epoch(3)
    first = list(s)
    assert sorted(i for _, i in first) == list(range(10)) and {e for e, _ in first} == {3}
    again = EpochSampler(10, seed=0)
    again.set_epoch(3)
    assert list(again) == first
    again.set_epoch(4)
    assert [i for _, i in again] != [i for _, i in first]


def test_image_broken_after_scan_is_replaced(tmp_path):
    folder = tmp_path / "hq"
    folder.mkdir()
    for name, color in (("a", (200, 10, 10)), ("b", (10, 200, 10))):
        Image.new("RGB", (130, 130), color).save(folder / f"{name}.png")
    pairs = _pairs(folder)
    (folder / "a.png").write_bytes(b"broken now")
    sample = pairs[(0, 0)]
    assert sample["id"] == "hq/b" and np.allclose(sample["hq"][1].mean(), 200 / 255, atol=1e-3)
