"""List image files and pair predictions with ground truth by file stem (or an explicit map)."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pasd.utils.image_io import IMAGE_SUFFIXES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImagePair:
    """One evaluated image: its name (the pred stem), the pred file and the GT file (if any)."""

    name: str
    pred: Path
    gt: Path | None


def list_images(folder: str | Path) -> dict[str, Path]:
    """Image files directly in ``folder``, by stem, sorted.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        ValueError: no images, or two files sharing a stem (``a.png`` and ``a.jpg``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder {folder} does not exist")
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith("."):
            continue
        if p.suffix.lower() not in IMAGE_SUFFIXES:
            logger.info("skipping non-image file %s", p)
            continue
        if p.stem in out:
            raise ValueError(f"{folder}: two files share the stem {p.stem!r}: {out[p.stem].name}, {p.name}")
        out[p.stem] = p
    if not out:
        raise ValueError(f"{folder}: no image files ({', '.join(IMAGE_SUFFIXES)})")
    return out


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read an explicit pred-stem -> GT-stem map from JSON (an object) or CSV (``pred,gt`` columns).

    Raises:
        ValueError: unreadable or malformed file.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{path}: expected a JSON object mapping pred stem -> GT stem")
        return dict(data)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"pred", "gt"} <= set(rows[0]):
        raise ValueError(f"{path}: expected a CSV with columns 'pred' and 'gt'")
    return {r["pred"]: r["gt"] for r in rows}


def find_pairs(
    pred_dir: str | Path, gt_dir: str | Path | None = None, mapping: Mapping[str, str] | None = None
) -> tuple[list[ImagePair], list[str], list[str]]:
    """Pair pred images with GT images, and list what found no partner.

    Returns:
        ``(pairs, pred stems without GT, GT stems without pred)``.

    Raises:
        ValueError: a mapping naming missing preds, a GT used twice, or a mapping without a GT folder.
    """
    preds = list_images(pred_dir)
    if gt_dir is None:
        if mapping:
            raise ValueError("a pred -> GT mapping was given without a GT folder")
        return [ImagePair(stem, p, None) for stem, p in preds.items()], [], []
    gts = list_images(gt_dir)
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(preds))
    if unknown:
        raise ValueError(f"mapping names pred images that do not exist: {unknown[:10]}")
    pairs, no_gt, used = [], [], {}
    for stem, p in preds.items():
        g = mapping.get(stem, stem)
        if g not in gts:
            no_gt.append(stem if g == stem else f"{stem} -> {g}")
            continue
        if g in used:
            raise ValueError(f"GT image {g!r} is paired with both {used[g]!r} and {stem!r}")
        used[g] = stem
        pairs.append(ImagePair(stem, p, gts[g]))
    return pairs, no_gt, sorted(set(gts) - set(used))


def pair_images(
    pred_dir: str | Path,
    gt_dir: str | Path | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_unpaired: bool = False,
) -> list[ImagePair]:
    """Pair every pred image with its GT image.

    Pairs by identical stem, or through ``mapping`` (pred stem -> GT stem) where given. Every
    pred image must find a GT image and every GT image must be used: FID compares whole sets,
    so a silently dropped file would change it. ``skip_unpaired=True`` scores the pairs that
    exist instead (the others are logged; :func:`find_pairs` lists them).

    Raises:
        ValueError: unmatched files on either side (all of them listed) unless ``skip_unpaired``,
            a GT used twice, or nothing left to score.
    """
    pairs, no_gt, no_pred = find_pairs(pred_dir, gt_dir, mapping)
    if no_gt or no_pred:
        msg = []
        if no_gt:
            msg.append(f"{len(no_gt)} pred image(s) without GT: {no_gt[:10]}")
        if no_pred:
            msg.append(f"{len(no_pred)} GT image(s) without pred: {no_pred[:10]}")
        if not skip_unpaired:
            raise ValueError(
                "pred/GT folders do not pair up: " + "; ".join(msg)
                + " (pair by stem, pass a mapping, or --skip-unpaired to score the pairs that exist)"
            )  # fmt: skip
        logger.warning("scoring %d pairs, skipping unpaired files: %s", len(pairs), "; ".join(msg))
        if not pairs:
            raise ValueError("pred/GT folders share no image: " + "; ".join(msg))
    return pairs
