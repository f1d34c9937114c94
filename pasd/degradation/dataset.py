"""(HQ, LQ) training pairs on the fly: a Dataset that crops HQ and samples parameters, and a
collate function that degrades the whole batch at once (in DataLoader workers or, with
``DegradationCollate(degrade=False)``, later on the GPU by calling :meth:`DegradationCollate.degrade`).

Each sample's randomness comes from (seed, image id, epoch) only, so a pair is the same whatever
the batch size, shuffling or worker count; :meth:`DegradationDataset.set_epoch` gives new pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from pasd.degradation.config import DegradationConfig
from pasd.degradation.filters import usm_sharpen
from pasd.degradation.image_io import list_images, read_rgb8, to_tensor
from pasd.degradation.pipeline import DegradationPipeline
from pasd.degradation.sampling import STREAM_AUGMENT, STREAM_CROP, image_rng, sample_params


class DegradationDataset(Dataset):
    """HQ crops plus their sampled degradation parameters (degradation happens in the collate).

    Args:
        hq: a folder of HQ images or a list of image paths (ids are then the file stems).
        config: degradation settings.
        crop_size: square HQ crop; smaller images are reflect-padded first, as Real-ESRGAN does.
        seed: run seed.
        hflip: random horizontal flip (PASD's augmentation).

    Raises:
        ValueError: no images, or ``crop_size`` not a positive multiple of the scale.
    """

    def __init__(
        self,
        hq: str | Path | Sequence[str | Path],
        config: DegradationConfig,
        crop_size: int = 512,
        seed: int = 0,
        hflip: bool = False,
    ) -> None:
        if isinstance(hq, (str, Path)):
            self.items = list_images(hq)
        else:
            self.items = [(Path(p).stem, Path(p)) for p in hq]
        if not self.items:
            raise ValueError(f"no HQ images in {hq!r}")
        if crop_size <= 0 or crop_size % config.scale:
            raise ValueError(
                f"crop_size must be a positive multiple of scale {config.scale}, got {crop_size}"
            )
        self.config, self.crop_size, self.seed, self.hflip = config, crop_size, seed, hflip
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the degradations of another epoch (call before iterating, as with DistributedSampler)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        image_id, path = self.items[index]
        key = f"{image_id}@epoch{self.epoch}"
        img, _ = read_rgb8(path)
        n = self.crop_size
        h, w = img.shape[:2]
        if h < n or w < n:
            img = cv2.copyMakeBorder(img, 0, max(0, n - h), 0, max(0, n - w), cv2.BORDER_REFLECT_101)
            h, w = img.shape[:2]
        rng = image_rng(self.seed, key, STREAM_CROP)
        top, left = int(rng.integers(0, h - n + 1)), int(rng.integers(0, w - n + 1))
        img = img[top : top + n, left : left + n]
        if self.hflip and image_rng(self.seed, key, STREAM_AUGMENT).uniform() < 0.5:
            img = img[:, ::-1]
        params = sample_params(self.config, image_rng(self.seed, key))
        return {"hq": to_tensor(np.ascontiguousarray(img)), "params": params, "id": image_id}


class DegradationCollate:
    """Collate samples of :class:`DegradationDataset` and degrade them as one batch.

    Args:
        config: degradation settings (the same as the dataset's).
        resize_back: PASD's variant: LQ resized back to the HQ size.
        degrade: ``False`` only stacks; call :meth:`degrade` on the training device later.

    Returns (when called):
        ``{"hq", "lq", "ids", "params"}`` and ``"hq_usm"`` when ``config.usm_target``.
    """

    def __init__(self, config: DegradationConfig, resize_back: bool = False, degrade: bool = True) -> None:
        self.config, self.resize_back, self.do_degrade = config, resize_back, degrade
        self.pipeline = DegradationPipeline(config)

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        batch = {
            "hq": torch.stack([s["hq"] for s in samples]),
            "ids": [s["id"] for s in samples],
            "params": [s["params"] for s in samples],
        }
        return self.degrade(batch) if self.do_degrade else batch

    def degrade(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Add ``lq`` (and ``hq_usm``) to a stacked batch, on the batch's device."""
        self.pipeline.to(batch["hq"].device)
        out = dict(batch)
        out["lq"] = self.pipeline(batch["hq"], batch["params"], resize_back=self.resize_back)
        if self.config.usm_target:
            out["hq_usm"] = usm_sharpen(batch["hq"])
        return out
