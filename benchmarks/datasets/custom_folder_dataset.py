"""``folder``: your own images as a benchmark set, LQ alone or LQ/HQ pairs matched by file stem.

Preset entry::

    [[datasets]]
    name = "folder"
    root = "{data}/mine"                       # optional: lq/hq are relative to it
    params = { lq = "lq", hq = "hq", scale = 4 }

``lq`` (default ``lq``) and ``hq`` (default: ``ROOT/hq`` when that folder exists) hold images
paired by stem (``a.png`` with ``a.jpg``). Without HQ only no-reference metrics are scored. A file
without its partner stops the plan with a message naming it, unless ``unpaired = "skip"``; a pair
whose HQ is not ``scale`` x its LQ fails that image alone (the rest are computed).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from benchmarks.datasets.base import DATASETS, Dataset, Item, VerifyReport, list_images, read_rgb, require_dir
from pasd.utils.image_io import image_size

logger = logging.getLogger(__name__)

_PARAMS = ("lq", "hq", "scale", "unpaired")
_UNPAIRED = ("error", "skip")


@DATASETS.register("folder")
class CustomFolderDataset(Dataset):
    """Images from any folder(s): ``lq`` (required content), ``hq`` (optional), ``scale``, ``unpaired``."""

    name = "folder"
    layout = (
        "LQ/<stem>.<ext> [and HQ/<stem>.<ext>, HQ = scale x LQ]; lq/hq are params (default ROOT/lq, ROOT/hq)"
    )
    source = "your own images"

    def __init__(self, root: str | Path = ".", **params: Any) -> None:
        unknown = sorted(set(params) - set(_PARAMS))
        if unknown:
            raise ValueError(f"folder dataset: unknown params {unknown}; allowed: {sorted(_PARAMS)}")
        scale = params.get("scale", 4)
        if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
            raise ValueError(f"folder dataset: scale must be a positive integer, got {scale!r}")
        unpaired: Literal["error", "skip"] = params.get("unpaired", "error")
        if unpaired not in _UNPAIRED:
            raise ValueError(f"folder dataset: unpaired {unpaired!r} is not one of {_UNPAIRED}")
        super().__init__(root, **params)
        self.scale, self.unpaired = scale, unpaired
        self.lq_dir = self._under_root(params.get("lq", "lq"))
        hq = params.get("hq")
        if hq is None and (self.root / "hq").is_dir():
            hq = "hq"
        self.hq_dir = self._under_root(hq) if hq else None

    def _under_root(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p

    @staticmethod
    def _by_stem(folder: Path, what: str) -> dict[str, Path]:
        out: dict[str, Path] = {}
        for p in list_images(folder):
            if p.stem in out:
                raise ValueError(
                    f"{what} files {out[p.stem].name} and {p.name} in {folder} share the stem {p.stem!r}"
                )
            out[p.stem] = p
        return out

    def _collect(self) -> tuple[dict[str, Path], dict[str, Path] | None]:
        lq = self._by_stem(require_dir(self.lq_dir, "LQ", self.layout), "LQ")
        if self.hq_dir is None:
            return lq, None
        return lq, self._by_stem(require_dir(self.hq_dir, "HQ", self.layout), "HQ")

    @staticmethod
    def _unpaired_lines(lq: dict[str, Path], hq: dict[str, Path]) -> list[str]:
        lines = [f"LQ {lq[s]} has no HQ partner (stem {s!r})" for s in sorted(lq.keys() - hq.keys())]
        return lines + [f"HQ {hq[s]} has no LQ partner (stem {s!r})" for s in sorted(hq.keys() - lq.keys())]

    def items(self) -> list[Item]:
        """LQ(/HQ) items by stem.

        Raises:
            FileNotFoundError: A folder is missing, or (``unpaired = "error"``) a file has no partner.
            ValueError: Two files in one folder share a stem.
        """
        lq, hq = self._collect()
        if hq is None:
            return [Item(s, lq[s], None) for s in sorted(lq)]
        lines = self._unpaired_lines(lq, hq)
        if lines:
            if self.unpaired == "error":
                shown = "\n  ".join(lines[:5]) + (
                    f"\n  ... and {len(lines) - 5} more" if len(lines) > 5 else ""
                )
                raise FileNotFoundError(
                    f"folder dataset: {len(lines)} files without a partner: {lines[0]}\n  {shown}\n"
                    'pairs are matched by file stem; fix the folders or set unpaired = "skip" to use only full pairs'
                )
            logger.warning(
                "folder dataset: skipping %d files without a partner, e.g. %s", len(lines), lines[0]
            )
        return [Item(s, lq[s], hq[s]) for s in sorted(lq.keys() & hq.keys())]

    def load_lq(self, item: Item):
        """The LQ pixels, after checking that its HQ (when there is one) is ``scale`` x its size.

        Raises:
            ValueError: Unreadable LQ/HQ, or HQ != scale x LQ (this image fails, not the run).
        """
        lq = read_rgb(item.lq)
        if item.hq is not None:
            hq_size = image_size(item.hq)  # header only
            want = (lq.shape[1] * self.scale, lq.shape[0] * self.scale)
            if hq_size != want:
                raise ValueError(
                    f"{item.id}: HQ {item.hq.name} is {hq_size[0]}x{hq_size[1]}, expected {want[0]}x{want[1]} "
                    f"(LQ {lq.shape[1]}x{lq.shape[0]} x{self.scale}); check the pair or the scale param"
                )
        return lq

    def verify(self) -> VerifyReport:
        """Folders, stems, partners and sizes; every unpaired file is listed (never raises)."""
        report = VerifyReport(self.name, self.root)
        try:
            lq, hq = self._collect()
        except (FileNotFoundError, ValueError) as exc:
            report.problems.append(str(exc))
            return report
        if hq is None:
            report.notes.append("no HQ folder: only no-reference metrics can be scored")
            items = [Item(s, lq[s], None) for s in sorted(lq)]
        else:
            lines = self._unpaired_lines(lq, hq)
            (report.notes if self.unpaired == "skip" else report.problems).extend(lines)
            items = [Item(s, lq[s], hq[s]) for s in sorted(lq.keys() & hq.keys())]
        report.count = len(items)
        if not items:
            report.problems.append(f"no images found in {self.lq_dir}; expected layout:\n{self.layout}")
        self._verify_items(items, report)
        return report
