"""Test sets whose LQ images we synthesize with the Real-ESRGAN pipeline: DIV2K-valid and `sample`.

The LQ folder name records the seed, crop and degradation preset, so two settings never share
files, and ``prepare()`` is resumable (the synthesizer skips finished images).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from benchmarks.datasets.base import DATASETS, Dataset, Item, VerifyReport, list_images, require_dir


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
            out[stem] = (
                f"no LQ image: synthesis skipped it ({reason})" if reason else "no LQ image was synthesized"
            )
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


@DATASETS.register("synth")
class SynthFolderDataset(Dataset):
    """A folder written by ``pasd-bench data synth --out ROOT``, read through its ``manifest.json``.

    Items are the manifest's finished images: ``ROOT/LQ/<id>.png`` with ``ROOT/HQ/<id>.png`` when
    the HQ was cropped or converted, else the source image under the recorded HQ folder.
    ``verify`` reports images the synthesizer skipped, files the manifest does not know and
    LQ/HQ size mismatches.
    """

    name = "synth"
    layout = "ROOT/manifest.json, ROOT/LQ/<id>.png, ROOT/HQ/<id>.png (written by `pasd-bench data synth`)"
    source = "`pasd-bench data synth --hq HQ_DIR --out ROOT`"

    def __init__(self, root, **params) -> None:
        super().__init__(root, **params)
        self._manifest: dict | None = None

    def manifest(self) -> dict:
        """The parsed manifest (cached).

        Raises:
            FileNotFoundError: no ``manifest.json`` (not a ``data synth`` folder).
            ValueError: the manifest cannot be read.
        """
        if self._manifest is None:
            from pasd.degradation.manifest import MANIFEST_NAME, load_manifest

            require_dir(self.root, "synth output", self.layout)
            data = load_manifest(self.root / MANIFEST_NAME)
            if data is None:
                raise FileNotFoundError(
                    f"no {MANIFEST_NAME} in {self.root}: not a folder written by `pasd-bench data synth`"
                    f"\nexpected layout:\n{self.layout}"
                )
            self._manifest = data
            self.scale = int(data["settings"].get("scale", 4))  # type: ignore[misc]  # this folder's scale
        return self._manifest

    def _hq_path(self, image_id: str, entry: dict) -> Path | None:
        if entry.get("hq"):
            return self.root / entry["hq"]
        hq_dir = self.manifest().get("hq_dir")
        return Path(hq_dir) / entry["source"] if hq_dir and entry.get("source") else None

    def items(self) -> list[Item]:
        entries = self.manifest()["images"]
        out = []
        for image_id in sorted(entries):
            entry = entries[image_id]
            if entry.get("status") == "ok" and entry.get("lq"):
                out.append(Item(image_id, self.root / entry["lq"], self._hq_path(image_id, entry)))
        return out

    def unavailable_items(self) -> dict[str, str]:
        try:
            entries = self.manifest()["images"]
        except (FileNotFoundError, ValueError):
            return {}
        return {i: f"skipped at synthesis: {e.get('reason')}" for i, e in sorted(entries.items())
                if e.get("status") != "ok"}  # fmt: skip

    def verify(self):
        report = VerifyReport(self.name, self.root)
        try:
            manifest = self.manifest()
            items = self.items()
        except (FileNotFoundError, ValueError) as exc:
            report.problems.append(str(exc))
            return report
        report.count = len(items)
        entries = manifest["images"]
        for image_id, reason in self.unavailable_items().items():
            report.problems.append(f"{image_id}: {reason}")
        for dup, reason in sorted(manifest.get("duplicates", {}).items()):
            report.problems.append(f"{dup}: {reason}")
        present = []
        for item in items:
            if not item.lq.is_file():
                report.problems.append(f"{item.id}: LQ {item.lq} listed in the manifest but missing")
            elif item.hq is None:
                report.problems.append(
                    f"{item.id}: the HQ source is unknown (manifest written before HQ folders were recorded; "
                    "rerun `data synth` into a new folder)"
                )
            elif not item.hq.is_file():
                report.problems.append(f"{item.id}: HQ {item.hq} missing (was the HQ folder moved?)")
            else:
                present.append(item)
        lq_dir = self.root / "LQ"
        known = {Path(e["lq"]).name for e in entries.values() if e.get("lq")}
        if lq_dir.is_dir():
            for p in list_images(lq_dir):
                if p.name not in known:
                    report.problems.append(f"unexpected file LQ/{p.name} (not in the manifest)")
        if not items:
            report.problems.append(f"the manifest lists no finished image under {self.root}")
        cfg = manifest["settings"]
        report.notes.append(
            f"seed {cfg.get('seed')}, scale x{self.scale}, crop {cfg.get('crop')}; "
            f"{len(entries)} images in the manifest"
        )
        self._verify_items(present, report)
        return report
