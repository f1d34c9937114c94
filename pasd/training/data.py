"""Training pairs: HQ folders -> (HQ crop, degraded LQ, caption, per-sample noise) batches.

Every random choice of a sample (crop, flip, degradation, null prompt, diffusion noise, timestep,
VAE posterior sample) comes from generators seeded by ``(seed, image id, epoch)``, so a sample is
the same whatever the batch size, worker count, process count or resume point; an epoch's order
comes from ``(seed, epoch)``. That is what makes a resumed run and a 2-process run give the same
steps as one uninterrupted process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from pasd.degradation.config import DegradationConfig
from pasd.degradation.dataset import DegradationCollate, DegradationDataset
from pasd.degradation.image_io import BadImageError, list_images, read_rgb8
from pasd.degradation.sampling import image_rng

logger = logging.getLogger(__name__)

#: random streams of a training sample beyond the degradation's (0-2); adding one changes no other
STREAM_NULL_PROMPT, STREAM_DIFFUSION, STREAM_EPOCH_ORDER = 16, 17, 18


@dataclass
class ScanReport:
    """What a scan of the HQ folders found: usable images and the ones skipped, by reason."""

    used: int = 0
    too_small: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    captions: int = 0

    def summary(self) -> str:
        """One line for the log / CLI."""
        return (
            f"{self.used} HQ images ({self.captions} with captions); skipped {len(self.too_small)} smaller "
            f"than the crop, {len(self.unreadable)} unreadable"
        )


@dataclass(frozen=True)
class HQItem:
    """One usable HQ image: a stable id, its path and its caption file (if any)."""

    image_id: str
    path: Path
    caption_path: Path | None


def parse_data_spec(spec: str) -> tuple[Path, int | None]:
    """``DIR`` or ``DIR:N`` (the first N images in sorted order, e.g. the paper's first 10k of FFHQ).

    Example:
        >>> parse_data_spec("/data/FFHQ:10000")
        (PosixPath('/data/FFHQ'), 10000)
    """
    head, sep, tail = spec.rpartition(":")
    if sep and tail.isdigit() and head and not Path(spec).exists():
        return Path(head), int(tail)
    return Path(spec), None


def _image_size(path: Path) -> tuple[int, int]:
    from pasd.utils.image_io import UnreadableImageError, image_size

    try:
        return image_size(path)  # the header only
    except UnreadableImageError:  # the one reader decides: decode it (raises with its reason)
        img, _ = read_rgb8(path)
        return img.shape[1], img.shape[0]


def scan_hq_folders(specs: Sequence[str | Path], crop_size: int) -> tuple[list[HQItem], ScanReport]:
    """List usable HQ images in the given folders, skipping (and counting) unusable ones.

    Args:
        specs: Folders, each optionally ``DIR:N`` (see :func:`parse_data_spec`).
        crop_size: Images with a side below this are skipped (the official random crop fails on them).

    Returns:
        ``(items, report)``; ids are ``<folder name>/<relative path without suffix>``.

    Raises:
        ValueError: No folders given, a folder without images, or no usable image at all.
        FileNotFoundError: A folder that does not exist.
    """
    if not specs:
        raise ValueError("no HQ data given: pass --data DIR (one or more HQ image folders)")
    report, items, names = ScanReport(), [], set()
    for spec in specs:
        folder, limit = parse_data_spec(str(spec))
        if not folder.is_dir():
            raise FileNotFoundError(f"HQ data folder {folder} does not exist")
        found = list_images(folder)
        if not found:
            raise ValueError(
                f"HQ data folder {folder} holds no images (looked for .png/.jpg/.webp/... files)"
            )
        found = found[:limit] if limit is not None else found
        prefix = folder.name or "data"
        while prefix in names:  # two folders with one name still get distinct ids
            prefix += "_"
        names.add(prefix)
        for rel_id, path in found:
            try:
                w, h = _image_size(path)
            except BadImageError as exc:
                report.unreadable.append(f"{path}: {exc}")
                continue
            if min(w, h) < crop_size:
                report.too_small.append(f"{path}: {w}x{h}")
                continue
            caption = path.with_suffix(".txt")
            caption_path = caption if caption.is_file() else None
            report.captions += caption_path is not None
            items.append(HQItem(f"{prefix}/{rel_id}", path, caption_path))
    report.used = len(items)
    if not items:
        raise ValueError(
            f"no usable HQ image in {[str(s) for s in specs]}: {len(report.too_small)} smaller than "
            f"{crop_size}px, {len(report.unreadable)} unreadable"
        )
    for line in report.too_small[:5] + report.unreadable[:5]:
        logger.warning("skipped HQ image %s", line)
    logger.info("%s", report.summary())
    return items, report


def read_caption(path: Path | None) -> str:
    """The caption beside an HQ image: its ``.txt`` file's first line, as the official local dataset."""
    if path is None:
        return ""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        logger.warning("caption %s unreadable (%s); using an empty prompt", path, exc)
        return ""
    return lines[0].strip() if lines else ""


def _torch_generator(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(0, 2**62)))


class TrainPairs(Dataset):
    """(HQ crop, degradation parameters, caption, diffusion randomness) per ``(epoch, index)`` key.

    Cropping, flipping and parameter sampling are :class:`~pasd.degradation.DegradationDataset`'s;
    the degradation itself runs in :class:`TrainCollate`.

    Args:
        items: From :func:`scan_hq_folders`.
        config: The degradation settings.
        crop_size: Square HQ crop (the training resolution).
        seed: The run seed.
        hflip: Random horizontal flip.
        null_prompt_prob: Chance that the caption becomes "".
        latent_shape: ``(C, h, w)`` of one VAE latent (for the noise drawn here).
        num_train_timesteps: Timesteps are drawn uniformly from ``[0, num_train_timesteps)``.
    """

    def __init__(
        self,
        items: Sequence[HQItem],
        config: DegradationConfig,
        crop_size: int,
        seed: int,
        hflip: bool,
        null_prompt_prob: float,
        latent_shape: tuple[int, int, int],
        num_train_timesteps: int = 1000,
    ) -> None:
        self.items = list(items)
        self.pairs = DegradationDataset([i.path for i in self.items], config, crop_size, seed, hflip)
        self.pairs.items = [(i.image_id, i.path) for i in self.items]  # ids unique across folders
        self.seed, self.null_prompt_prob = seed, null_prompt_prob
        self.latent_shape, self.num_train_timesteps = tuple(latent_shape), num_train_timesteps

    def __len__(self) -> int:
        return len(self.items)

    def _load(self, epoch: int, index: int) -> tuple[int, dict[str, Any]]:
        # a file that broke after the scan is replaced by the next one, never a crash mid-epoch
        for k in range(len(self.items)):
            i = (index + k) % len(self.items)
            self.pairs.set_epoch(epoch)
            try:
                return i, self.pairs[i]
            except BadImageError as exc:
                logger.warning("HQ image %s unreadable at epoch %d (%s); using the next image", self.items[i].path,
                               epoch, exc)  # fmt: skip
        raise RuntimeError("every HQ image became unreadable during training")

    def __getitem__(self, key: tuple[int, int]) -> dict[str, Any]:
        epoch, index = key
        i, sample = self._load(int(epoch), int(index))
        item = self.items[i]
        sample_key = f"{item.image_id}@epoch{epoch}"
        drop = image_rng(self.seed, sample_key, STREAM_NULL_PROMPT).uniform() < self.null_prompt_prob
        sample["caption"] = "" if drop else read_caption(item.caption_path)
        rng = image_rng(self.seed, sample_key, STREAM_DIFFUSION)
        sample["timestep"] = int(rng.integers(0, self.num_train_timesteps))
        g = _torch_generator(rng)
        sample["noise"] = torch.randn(self.latent_shape, generator=g)
        sample["vae_noise"] = torch.randn(self.latent_shape, generator=g)
        return sample


class TrainCollate:
    """Stack samples, degrade the batch (LQ resized back to the HQ size, as PASD trains), stack the noise.

    Returns (when called): ``hq`` ``(B, 3, H, W)`` in [0, 1], ``lq`` same size in ``k/255``,
    ``noise``/``vae_noise`` ``(B, C, h, w)``, ``timesteps`` ``(B,)`` long, ``captions``, ``ids``.
    """

    def __init__(self, config: DegradationConfig) -> None:
        self.degrade = DegradationCollate(config, resize_back=True)

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.degrade(samples)
        batch.pop("params")  # recorded by the sampling, not needed by the step
        batch["noise"] = torch.stack([s["noise"] for s in samples])
        batch["vae_noise"] = torch.stack([s["vae_noise"] for s in samples])
        batch["timesteps"] = torch.tensor([s["timestep"] for s in samples], dtype=torch.long)
        batch["captions"] = [s["caption"] for s in samples]
        return batch


class EpochSampler(Sampler):
    """Yields ``(epoch, index)`` keys: a fresh permutation per epoch from ``(seed, epoch)`` only.

    The epoch travels with each index (instead of living in the dataset) so DataLoader workers,
    which hold copies of the dataset, always use the right epoch. Call :meth:`set_epoch` before
    iterating (accelerate's prepared loaders do, with the value given to their ``set_epoch``).
    """

    def __init__(self, n: int, seed: int, shuffle: bool = True) -> None:
        self.n, self.seed, self.shuffle, self.epoch = n, seed, shuffle, 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order the next iteration yields."""
        self.epoch = int(epoch)

    def order(self, epoch: int) -> np.ndarray:
        """The index order of ``epoch``."""
        if not self.shuffle:
            return np.arange(self.n)
        return image_rng(self.seed, f"__order@epoch{epoch}", STREAM_EPOCH_ORDER).permutation(self.n)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        epoch = self.epoch
        return iter([(epoch, int(i)) for i in self.order(epoch)])

    def __len__(self) -> int:
        return self.n
