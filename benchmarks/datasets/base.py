"""The dataset interface: what files a benchmark set holds, how they pair, and how to check them.

Datasets do not load pixels; they list :class:`Item` records (an id, the LQ path, the HQ path
when there is one). The runner reads the bytes, so a dataset can be verified without decoding.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np

from pasd.utils.image_io import DEFAULT_ALPHA, AlphaPolicy, image_size
from pasd.utils.image_io import IMAGE_SUFFIXES as IMAGE_SUFFIXES  # re-exported: older imports
from pasd.utils.image_io import UnreadableImageError as UnreadableImageError
from pasd.utils.image_io import list_images as _list_images
from pasd.utils.image_io import read_rgb as _read_rgb
from pasd.utils.registry import new_registry

#: name -> Dataset subclass; registered in ``benchmarks/datasets/*_dataset.py``
DATASETS = new_registry("dataset")


@dataclass(frozen=True)
class Item:
    """One test image: ``id`` is unique in the dataset and names every output derived from it."""

    id: str
    lq: Path
    hq: Path | None = None


@dataclass
class VerifyReport:
    """Everything wrong with a dataset folder, each problem a sentence a user can act on."""

    dataset: str
    root: Path
    count: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Dataset(abc.ABC):
    """A benchmark dataset at a root folder.

    Class constants:
        name: registry key.
        task: ``"real-isr"`` (LQ with HQ ground truth) or ``"stylization"`` (inputs only; set-level
            metrics compare against a reference set).
        scale: HQ size / LQ size.
        expected_count: number of items in the full official set (``None``: any).
        layout: a short description of the folder layout, shown by ``data verify``.
        source: where to get it.
    """

    name: ClassVar[str]
    task: ClassVar[Literal["real-isr", "stylization"]] = "real-isr"
    scale: ClassVar[int] = 4
    expected_count: ClassVar[int | None] = None
    layout: ClassVar[str] = ""
    source: ClassVar[str] = ""

    def __init__(self, root: str | Path, **params) -> None:
        self.root = Path(root).expanduser()
        self.params = params

    @abc.abstractmethod
    def items(self) -> list[Item]:
        """Every item, sorted by id.

        Raises:
            FileNotFoundError: the root or a required sub-folder is missing (message names it
                and the expected layout).
        """

    def planned_count(self) -> int:
        """How many items a run will see (before any preparation); FileNotFoundError if the data is absent."""
        return len(self.items())

    def unavailable_items(self) -> dict[str, str]:
        """Items the dataset should have but cannot provide, id -> reason (e.g. synthesis skipped).

        The runner records each as a failure, so a run never reports "0 failed" over a set that
        silently lost images. Default: none.
        """
        return {}

    def load_lq(self, item: Item) -> np.ndarray:
        """The method input: ``uint8`` RGB ``(H, W, 3)``."""
        return read_rgb(item.lq)

    def load_hq(self, item: Item) -> np.ndarray | None:
        return read_rgb(item.hq) if item.hq is not None else None

    def verify(self) -> VerifyReport:
        """Check layout, counts, pairing and sizes; never raises for a bad folder."""
        report = VerifyReport(self.name, self.root)
        try:
            items = self.items()
        except (FileNotFoundError, ValueError) as exc:
            report.problems.append(str(exc))
            return report
        report.count = len(items)
        if not items:
            report.problems.append(f"no images found under {self.root}; expected layout:\n{self.layout}")
        if self.expected_count is not None and items and len(items) != self.expected_count:
            report.problems.append(f"found {len(items)} items, the official set has {self.expected_count}")
        self._verify_items(items, report)
        return report

    def _verify_items(self, items: list[Item], report: VerifyReport) -> None:
        """Size checks: LQ x scale must equal HQ (pairs must be aligned)."""
        for item in items:
            try:
                lq_size = image_size(item.lq)
                hq_size = image_size(item.hq) if item.hq is not None else None
            except UnreadableImageError as exc:
                report.problems.append(f"{item.id}: unreadable image ({exc})")
                continue
            if hq_size is not None and (lq_size[0] * self.scale, lq_size[1] * self.scale) != hq_size:
                report.problems.append(
                    f"{item.id}: LQ {lq_size[0]}x{lq_size[1]} x{self.scale} != HQ {hq_size[0]}x{hq_size[1]}"
                )


def read_rgb(path: Path, alpha: AlphaPolicy = DEFAULT_ALPHA) -> np.ndarray:
    """Decode an image file to ``uint8`` RGB with the suite's one reader (:mod:`pasd.utils.image_io`).

    Raises:
        UnreadableImageError: (a ``ValueError``) unreadable or unsupported file, naming it.
    """
    return _read_rgb(path, alpha)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder`` (not recursive), sorted."""
    return _list_images(folder)


def require_dir(path: Path, what: str, layout: str) -> Path:
    if not path.is_dir():
        raise FileNotFoundError(f"{what} folder not found: {path}\nexpected layout:\n{layout}")
    return path


def create_dataset(name: str, root: str | Path, **params) -> Dataset:
    """Build the dataset registered as ``name`` at ``root`` (KeyError with close matches if unknown)."""
    return DATASETS.get(name)(root, **params)
