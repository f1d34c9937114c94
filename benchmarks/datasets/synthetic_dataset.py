"""Test sets whose LQ images we synthesize with the Real-ESRGAN pipeline: DIV2K-valid and `sample`.

The LQ folder name records the seed, crop and degradation preset, so two settings never share
files, and ``prepare()`` is resumable (the synthesizer skips finished images).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from benchmarks.datasets.base import DATASETS, Dataset, Item, list_images, require_dir


class SynthesizedDataset(Dataset):
    """HQ images in ``ROOT/<hq_folder>``; LQ made by :func:`pasd.degradation.synth.synthesize_folder`.

    Params:
        seed: degradation seed (default 0).
        crop: HQ crop size or ``None`` for whole images.
        config: degradation preset name or YAML path (default: the synthesizer's default).
    """

    hq_folder: ClassVar[str]
    hq_pattern: ClassVar[str] = "*"

    def __init__(self, root, seed: int = 0, crop: int | None = None, config: str | None = None, **params):
        super().__init__(root, seed=seed, crop=crop, config=config, **params)
        self.seed, self.crop, self.config = seed, crop, config

    @property
    def synth_dir(self) -> Path:
        cfg = Path(self.config).stem if self.config else "default"
        return self.root / f"synth_x{self.scale}_{cfg}_seed{self.seed}_crop{self.crop or 'none'}"

    def hq_images(self) -> list[Path]:
        folder = require_dir(self.root / self.hq_folder, "HQ", self.layout)
        return [p for p in list_images(folder) if p.match(self.hq_pattern)]

    def prepare(self, workers: int = 1, progress: bool = True):
        """Synthesize missing LQ images (resumable); returns the synthesizer's report."""
        from pasd.degradation import load_config
        from pasd.degradation.synth import synthesize_folder

        self.hq_images()  # a clear error for a wrong root before any work
        config = load_config(self.config)
        if config.scale != self.scale:
            raise ValueError(f"degradation config scale {config.scale} != dataset scale {self.scale}")
        return synthesize_folder(
            self.root / self.hq_folder, self.synth_dir, config, seed=self.seed, crop=self.crop,
            workers=workers, progress=progress,
        )  # fmt: skip

    def planned_count(self) -> int:
        # LQ not synthesized yet is fine: the run prepares it
        return len(self.hq_images())

    def items(self) -> list[Item]:
        hq = {p.stem: p for p in self.hq_images()}
        lq_dir = self.synth_dir / "LQ"
        if not lq_dir.is_dir():
            raise FileNotFoundError(
                f"LQ images not synthesized yet: {lq_dir}\n"
                f"run `pasd-bench data prepare {self.name} --root {self.root}` (seed {self.seed})"
            )
        cropped = self.synth_dir / "HQ"
        out = []
        for p in list_images(lq_dir):
            if p.stem not in hq:
                continue
            gt = cropped / p.name if (cropped / p.name).is_file() else hq[p.stem]
            out.append(Item(p.stem, p, gt))
        return out

    def unavailable_items(self) -> dict[str, str]:
        """HQ images without a synthesized LQ, with the synthesizer's reason from the manifest."""
        import json

        try:
            hq = {p.stem for p in self.hq_images()}
        except FileNotFoundError:
            return {}
        lq_dir = self.synth_dir / "LQ"
        have = {p.stem for p in list_images(lq_dir)} if lq_dir.is_dir() else set()
        entries: dict = {}
        manifest = self.synth_dir / "manifest.json"
        if manifest.is_file():
            try:
                entries = json.loads(manifest.read_text(encoding="utf-8")).get("images", {})
            except (OSError, ValueError):
                entries = {}
        out = {}
        for stem in sorted(hq - have):
            entry = entries.get(stem) or {}
            reason = entry.get("reason") if entry.get("status") == "skipped" else None
            out[stem] = f"no LQ image: synthesis skipped it ({reason})" if reason else "no LQ image was synthesized"
        return out

    def verify(self):
        report = super().verify()
        try:
            hq = {p.stem for p in self.hq_images()}
            lq_dir = self.synth_dir / "LQ"
            lq = {p.stem for p in list_images(lq_dir)} if lq_dir.is_dir() else set()
        except FileNotFoundError:
            return report
        if lq:
            for stem in sorted(hq - lq):
                report.problems.append(
                    f"{stem}: HQ has no synthesized LQ (rerun `data prepare`, or see the manifest)"
                )
            for stem in sorted(lq - hq):
                report.problems.append(f"{stem}: LQ in {lq_dir} has no HQ source")
        return report


@DATASETS.register("div2k-val")
class DIV2KValidDataset(SynthesizedDataset):
    """DIV2K validation HQ 0801-0900, degraded by our Real-ESRGAN synthesizer (seed recorded)."""

    name = "div2k-val"
    expected_count = 100
    hq_folder = "DIV2K_valid_HR"
    hq_pattern = "0[89][0-9][0-9].png"
    layout = "ROOT/DIV2K_valid_HR/0801.png ... 0900.png (LQ is synthesized into ROOT/synth_*)"
    source = "https://data.vision.ee.ethz.ch/cvl/DIV2K/ (DIV2K_valid_HR.zip)"


#: photos scikit-image ships (no download), all RGB and at least 300 px on the short side
SAMPLE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field")


@DATASETS.register("sample")
class SampleDataset(SynthesizedDataset):
    """Photos shipped by scikit-image as HQ (256 px centre crops) + synthesized LQ: runs with nothing downloaded."""

    name = "sample"
    expected_count = len(SAMPLE_PHOTOS)
    hq_folder = "HQ_source"
    layout = "ROOT/HQ_source/<photo>.png (written by `pasd-bench data prepare sample`)"
    source = "scikit-image's bundled photos (skimage.data)"
    hq_size: ClassVar[int] = 256

    def planned_count(self) -> int:
        return len(SAMPLE_PHOTOS)  # built from scikit-image on demand

    def prepare(self, workers: int = 1, progress: bool = True):
        import numpy as np
        import skimage.data
        from PIL import Image

        from pasd.utils.io import atomic_open

        folder = self.root / self.hq_folder
        for name in SAMPLE_PHOTOS:
            dest = folder / f"{name}.png"
            if dest.is_file():
                continue
            img = getattr(skimage.data, name)()
            h, w = img.shape[:2]
            s = self.hq_size
            top, left = (h - s) // 2, (w - s) // 2
            with atomic_open(dest, "wb") as fh:
                Image.fromarray(np.ascontiguousarray(img[top : top + s, left : left + s])).save(
                    fh, format="PNG"
                )
        return super().prepare(workers=workers, progress=progress)
