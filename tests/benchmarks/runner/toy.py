"""A toy paired dataset and toy methods, importable by tests and by the subprocess scripts they start."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from baselines.base import METHODS, Method
from benchmarks.datasets.base import DATASETS
from benchmarks.datasets.paired_dataset import PairedFolderDataset

IDS = ("a", "b", "c", "d", "e")


def make_toy_data(root: Path, ids=IDS) -> Path:
    """Pairs of real photo crops: HQ 48x48 and its 12x12 box-downscaled LQ."""
    import skimage.data

    photo = skimage.data.astronaut()
    (root / "hq").mkdir(parents=True, exist_ok=True)
    (root / "lq").mkdir(parents=True, exist_ok=True)
    for k, i in enumerate(ids):
        hq = photo[40 * k : 40 * k + 48, 60 * k : 60 * k + 48]
        Image.fromarray(hq).save(root / "hq" / f"{i}_HR.png")
        Image.fromarray(hq).resize((12, 12), Image.BOX).save(root / "lq" / f"{i}_LR.png")
    return root


class ToyDataset(PairedFolderDataset):
    name = "toy"
    folders = (("hq", "lq"),)
    hq_pattern = r"(?P<id>.+)_HR\.png"
    lq_pattern = r"(?P<id>.+)_LR\.png"
    layout = "ROOT/hq/<id>_HR.png, ROOT/lq/<id>_LR.png"


class SlowNoisyMethod(Method):
    """Stochastic: bicubic plus seeded noise; sleeps per image so a test can kill it mid-run."""

    name = "slow-noisy"
    stochastic = True

    def _process(self, image, seed):
        time.sleep(float(self.params.get("delay", 0.0)))
        up = np.asarray(
            Image.fromarray(image).resize((image.shape[1] * 4, image.shape[0] * 4), Image.BICUBIC)
        )
        noise = np.random.default_rng(seed).integers(-3, 4, size=up.shape)
        return np.clip(up.astype(int) + noise, 0, 255).astype(np.uint8)


class FlakyMethod(Method):
    """Fails on image 'c' (a method crash on one input must not end the run)."""

    name = "flaky"

    def _process(self, image, seed):
        if image.mean() == self.params.get("fail_mean", -1):
            raise RuntimeError("boom on a bad image")
        return np.asarray(
            Image.fromarray(image).resize((image.shape[1] * 4, image.shape[0] * 4), Image.BICUBIC)
        )


class WeightedMethod(Method):
    """Bicubic whose instance uses a weights artifact chosen in __init__ (as PASD's prompt models are)."""

    name = "weighted"

    def __init__(self, device: str = "cpu", **params) -> None:
        super().__init__(device=device, **params)
        self.options = {"uses": "dists", **params}
        self.weights = (self.options["uses"],)

    def _process(self, image, seed):
        return np.asarray(
            Image.fromarray(image).resize((image.shape[1] * 4, image.shape[0] * 4), Image.BICUBIC)
        )


class HugeMethod(WeightedMethod):
    """Claims a petabyte per output pixel: the memory pre-check must refuse every input."""

    name = "huge"
    bytes_per_output_pixel = 1e15


def register() -> None:
    for reg, obj in ((DATASETS, ToyDataset), (METHODS, SlowNoisyMethod), (METHODS, FlakyMethod),
                     (METHODS, WeightedMethod), (METHODS, HugeMethod)):  # fmt: skip
        if obj.name not in reg:
            reg.register(obj.name, obj)


def write_preset(
    path: Path, data_root: Path, methods: list[tuple[str, dict]], metrics=("psnr", "ssim")
) -> Path:
    lines = [
        'name = "toy"', 'task = "real-isr"', "seeds = [0]", f"metrics = {list(metrics)!r}".replace("'", '"'),
        "[[datasets]]", 'name = "toy"', f'root = "{data_root}"',
    ]  # fmt: skip
    for name, params in methods:
        lines += ["[[methods]]", f'name = "{name}"']
        if params:
            lines.append("params = { " + ", ".join(f"{k} = {v!r}" for k, v in params.items()) + " }")
    path.write_text("\n".join(lines) + "\n")
    return path
