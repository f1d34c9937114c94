"""Real-world paired test sets (RealSR V3, DRealSR): HQ/LQ files matched by an id in their names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import numpy as np

from benchmarks.datasets.base import DATASETS, Dataset, Item, list_images, require_dir


class PairedFolderDataset(Dataset):
    """HQ and LQ images in folders, paired by the id a regular expression extracts from each name.

    Class constants:
        folders: ``(hq_folder, lq_folder)`` pairs relative to the root (several for multi-camera sets).
        hq_pattern / lq_pattern: regexes on the file name; group ``id`` is the pairing key.
    """

    folders: ClassVar[tuple[tuple[str, str], ...]]
    hq_pattern: ClassVar[str]
    lq_pattern: ClassVar[str]
    #: prefix ids with the folder's first path part (e.g. the camera) to keep them unique
    prefix_ids: ClassVar[bool] = False

    def _collect(self) -> tuple[dict[str, Path], dict[str, Path], list[str]]:
        hq, lq, unmatched = {}, {}, []
        for hq_rel, lq_rel in self.folders:
            hq_dir = require_dir(self.root / hq_rel, "HQ", self.layout)
            lq_dir = require_dir(self.root / lq_rel, "LQ", self.layout)
            prefix = f"{Path(hq_rel).parts[0]}/" if self.prefix_ids else ""
            same = hq_dir == lq_dir
            for folder, pattern, out in ((hq_dir, self.hq_pattern, hq), (lq_dir, self.lq_pattern, lq)):
                for path in list_images(folder):
                    m = re.fullmatch(pattern, path.name)
                    if m:
                        out[prefix + m.group("id")] = path
                    elif not same:  # in a shared folder the other side's files do not match
                        unmatched.append(str(path.relative_to(self.root)))
        return hq, lq, unmatched

    def items(self) -> list[Item]:
        hq, lq, _ = self._collect()
        return [Item(i, lq[i], hq[i]) for i in sorted(hq.keys() & lq.keys())]

    def verify(self):
        report = super().verify()
        try:
            hq, lq, unmatched = self._collect()
        except FileNotFoundError:
            return report  # already reported by the base class
        for i in sorted(hq.keys() - lq.keys()):
            report.problems.append(f"{i}: HQ {hq[i].relative_to(self.root)} has no LQ partner")
        for i in sorted(lq.keys() - hq.keys()):
            report.problems.append(f"{i}: LQ {lq[i].relative_to(self.root)} has no HQ partner")
        for rel in unmatched:
            report.problems.append(
                f"unexpected file {rel} (does not match {self.hq_pattern} / {self.lq_pattern})"
            )
        return report


@DATASETS.register("realsr")
class RealSRDataset(PairedFolderDataset):
    """RealSR V3 (Cai et al., ICCV 2019), x4 test split, Canon + Nikon: 100 pairs."""

    name = "realsr"
    expected_count = 100
    folders = (("Canon/Test/4", "Canon/Test/4"), ("Nikon/Test/4", "Nikon/Test/4"))
    hq_pattern = r"(?P<id>.+)_HR\.png"
    lq_pattern = r"(?P<id>.+)_LR4\.png"
    layout = "ROOT/{Canon,Nikon}/Test/4/<name>_HR.png and <name>_LR4.png (RealSR(V3) release)"
    source = "https://github.com/csjcai/RealSR (RealSR V3)"

    def _verify_items(self, items, report):
        # RealSR's LR4 images are registered to the HR grid at the same size in some copies of
        # the release; those are reported instead of failing every pair.
        from pasd.utils.image_io import UnreadableImageError, image_size

        same = 0
        for item in items:
            try:
                same += image_size(item.lq) == image_size(item.hq)
            except UnreadableImageError:
                continue  # reported by the base check below
        if same and same == len(items):
            report.notes.append(
                "LR4 images have the HR size (pre-upsampled copy); methods get them downscaled x4"
            )
            return
        super()._verify_items(items, report)

    def load_lq(self, item):
        from PIL import Image

        from pasd.utils.image_io import image_size

        lq = super().load_lq(item)
        hq_size = image_size(item.hq) if item.hq is not None else None  # header only
        if hq_size == (lq.shape[1], lq.shape[0]):
            w, h = hq_size[0] // self.scale, hq_size[1] // self.scale
            lq = np.asarray(Image.fromarray(lq).resize((w, h), Image.BICUBIC))
        return lq


@DATASETS.register("drealsr")
class DRealSRDataset(PairedFolderDataset):
    """DRealSR (Wei et al., ECCV 2020) x4 test set: 93 pairs."""

    name = "drealsr"
    expected_count = 93
    folders = (("test_HR", "test_LR"),)
    hq_pattern = r"(?P<id>.+?)_x1\.png"
    lq_pattern = r"(?P<id>.+?)_x4\.png"
    layout = "ROOT/test_HR/<name>_x1.png and ROOT/test_LR/<name>_x4.png (DRealSR 'Test_x4' folder)"
    source = "https://github.com/xiezw5/Component-Divide-and-Conquer-for-Real-World-Image-Super-Resolution"
