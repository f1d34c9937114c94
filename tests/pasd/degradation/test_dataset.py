"""Training pairs on the fly: shapes, reproducibility across batch size / workers, PASD variant."""

from __future__ import annotations

import cv2
import pytest
import torch
from torch.utils.data import DataLoader

from pasd.degradation import DegradationCollate, DegradationDataset, load_config

from .conftest import photo


@pytest.fixture(scope="module")
def hq_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("hq")
    for name in ("astronaut", "coffee", "chelsea"):
        cv2.imwrite(str(d / f"{name}.png"), cv2.cvtColor(photo(name, size=160), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(d / "small.png"), cv2.cvtColor(photo("rocket", size=80), cv2.COLOR_RGB2BGR))
    return d


def _collect(loader):
    return {i: (hq, lq) for b in loader for i, hq, lq in zip(b["ids"], b["hq"], b["lq"])}


def test_pairs_same_whatever_batch_size_and_workers(hq_dir, config):
    ds = DegradationDataset(hq_dir, config, crop_size=96, seed=3, hflip=True)
    collate = DegradationCollate(config)
    a = _collect(DataLoader(ds, batch_size=1, collate_fn=collate))
    b = _collect(
        DataLoader(
            ds, batch_size=3, shuffle=True, collate_fn=collate, generator=torch.Generator().manual_seed(1)
        )
    )
    assert set(a) == set(b) == {"astronaut", "coffee", "chelsea", "small"}
    for k in a:
        assert torch.equal(a[k][0], b[k][0]) and torch.equal(a[k][1], b[k][1]), k
        assert a[k][0].shape == (3, 96, 96) and a[k][1].shape == (3, 24, 24)


def test_pairs_same_with_worker_processes(hq_dir, config):
    ds = DegradationDataset(hq_dir, config, crop_size=96, seed=3)
    collate = DegradationCollate(config)
    a = _collect(DataLoader(ds, batch_size=2, collate_fn=collate))
    b = _collect(DataLoader(ds, batch_size=2, collate_fn=collate, num_workers=2))
    assert all(torch.equal(a[k][1], b[k][1]) for k in a)


def test_epochs_differ(hq_dir, config):
    ds = DegradationDataset(hq_dir, config, crop_size=96)
    first = ds[0]
    ds.set_epoch(1)
    assert first["params"] != ds[0]["params"]
    ds.set_epoch(0)
    assert first["params"] == ds[0]["params"] and torch.equal(first["hq"], ds[0]["hq"])


def test_pasd_resize_back_and_usm_target(hq_dir):
    cfg = load_config("realesrgan_x4plus")
    ds = DegradationDataset(hq_dir, cfg, crop_size=160)
    batch = DegradationCollate(cfg, resize_back=True)([ds[0], ds[1]])
    assert batch["lq"].shape == batch["hq"].shape == (2, 3, 160, 160)
    assert batch["hq_usm"].shape == batch["hq"].shape and not torch.equal(batch["hq_usm"], batch["hq"])


def test_deferred_degradation(hq_dir, config):
    ds = DegradationDataset(hq_dir, config, crop_size=96)
    stacked = DegradationCollate(config, degrade=False)([ds[0], ds[1]])
    assert "lq" not in stacked
    later = DegradationCollate(config).degrade(stacked)
    assert torch.equal(later["lq"], DegradationCollate(config)([ds[0], ds[1]])["lq"])


def test_small_image_is_padded(hq_dir, config):
    ds = DegradationDataset(hq_dir, config, crop_size=128)
    assert ds[ds.items.index(("small", hq_dir / "small.png"))]["hq"].shape == (3, 128, 128)


def test_bad_arguments(hq_dir, config, tmp_path):
    with pytest.raises(ValueError, match="multiple of scale"):
        DegradationDataset(hq_dir, config, crop_size=98)
    with pytest.raises(ValueError, match="no HQ images"):
        DegradationDataset(tmp_path, config)
