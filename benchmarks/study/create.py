"""Build a self-contained study folder from an LQ folder and one output folder per method."""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import os
import random
import shutil
from pathlib import Path
from typing import Literal

from PIL import Image

from benchmarks.study.gold import write_decoys
from benchmarks.study.spec import (
    GOLD_CLEAN,
    GOLD_DECOY_PREFIX,
    STUDY_FILE,
    GoldTrial,
    ImageItem,
    StudySpec,
    check_method_name,
)

logger = logging.getLogger(__name__)

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
#: formats every browser shows; anything else is converted to PNG on copy
WEB_EXTS = (".png", ".jpg", ".jpeg", ".webp")
DEFAULT_QUESTION = "Which result looks best to you? Choose the one you prefer most."


def list_images(folder: Path) -> dict[str, Path]:
    """Map file stem -> path for the images directly inside ``folder``.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
        ValueError: two files share a stem (``a.png`` and ``a.jpg``), which would be ambiguous.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"not a folder: {folder}")
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGE_EXTS:
            if p.stem in found:
                raise ValueError(f"two images named {p.stem!r} in {folder}: {found[p.stem].name}, {p.name}")
            found[p.stem] = p
    return found


def _place(src: Path, dst: Path, link: Literal["copy", "hardlink"]) -> str:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix.lower() not in WEB_EXTS:
        dst = dst.with_suffix(".png")
        Image.open(src).convert("RGB").save(dst)
        return dst.name
    dst = dst.with_suffix(src.suffix.lower())
    if dst.exists():
        dst.unlink()
    if link == "hardlink":
        try:
            os.link(src, dst)
            return dst.name
        except OSError:  # other filesystem: a copy keeps the folder self-contained
            pass
    shutil.copy2(src, dst)
    return dst.name


def create_study(
    inputs: str | Path,
    methods: dict[str, str | Path],
    out: str | Path,
    *,
    n_images: int = 40,
    seed: int = 0,
    n_gold: int = 0,
    title: str = "Image quality study",
    question: str = DEFAULT_QUESTION,
    link: Literal["copy", "hardlink"] = "copy",
) -> StudySpec:
    """Pick images present for every method and copy them into a study folder.

    Args:
        inputs: folder of LQ inputs, shown to raters as the reference.
        methods: method name -> folder of its outputs (matched to inputs by file stem).
        out: the study folder to create (must not already hold a study).
        n_images: how many images to sample (seeded) from those every method has.
        seed: seeds the image sample, gold trials and each participant's order.
        n_gold: number of attention-check trials (one clean option, the rest obvious decoys).
        title: shown on the consent page.
        question: shown above every trial.
        link: ``"copy"`` or ``"hardlink"`` (falls back to copy across filesystems).

    Returns:
        The written :class:`StudySpec`.

    Raises:
        ValueError: fewer than 2 methods, bad names or counts, or too few common images.
        FileExistsError: ``out`` already holds a study.
    """
    if len(methods) < 2:
        raise ValueError(f"a study needs at least 2 methods, got {sorted(methods)}")
    for name in methods:
        check_method_name(name)
    if link not in ("copy", "hardlink"):
        raise ValueError(f"link={link!r}; allowed: 'copy', 'hardlink'")
    if n_images < 1 or n_gold < 0:
        raise ValueError(f"n_images must be >= 1 and n_gold >= 0, got {n_images}, {n_gold}")
    out = Path(out)
    if (out / STUDY_FILE).exists():
        raise FileExistsError(f"{out} already holds a study; choose another --out")
    lq = list_images(Path(inputs))
    outputs = {m: list_images(Path(d)) for m, d in methods.items()}
    common = sorted(set(lq).intersection(*[set(o) for o in outputs.values()]))
    if len(common) < n_images:
        missing = {m: len(set(lq) - set(o)) for m, o in outputs.items()}
        raise ValueError(
            f"only {len(common)} images are present for the inputs and every method, {n_images} requested "
            f"(inputs: {len(lq)}; missing per method: {missing}); lower --n-images"
        )
    if n_gold > n_images:
        raise ValueError(f"n_gold={n_gold} exceeds n_images={n_images}")
    rng = random.Random(seed)
    chosen = sorted(rng.sample(common, n_images))
    images = []
    for i, stem in enumerate(chosen):
        iid = f"i{i:03d}"
        folder = out / "images" / iid
        lq_name = _place(lq[stem], folder / "lq", link)
        outs = {m: f"images/{iid}/{_place(outputs[m][stem], folder / m, link)}" for m in methods}
        images.append(ImageItem(id=iid, name=stem, lq=f"images/{iid}/{lq_name}", outputs=outs))
    gold = []
    for j, item in enumerate(rng.sample(images, n_gold)):
        gid = f"g{j:03d}"
        method = rng.choice(sorted(methods))
        folder = out / "gold" / gid
        clean = _place(out / item.outputs[method], folder / "clean", "copy")
        decoys = write_decoys(out / item.outputs[method], folder, len(methods) - 1, seed=seed * 1000 + j)
        options = {GOLD_CLEAN: f"gold/{gid}/{clean}"}
        options.update({f"{GOLD_DECOY_PREFIX}{k}__": f"gold/{gid}/{p.name}" for k, p in decoys.items()})
        gold.append(
            GoldTrial(id=gid, source_image=item.id, source_method=method, lq=item.lq, options=options)
        )
    digest = hashlib.sha256(repr((sorted(methods), chosen, seed, n_gold)).encode()).hexdigest()[:12]
    spec = StudySpec(
        study_id=f"study-{digest}",
        title=title,
        question=question,
        seed=seed,
        methods=sorted(methods),
        images=images,
        gold=gold,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    spec.save(out)  # written last: a folder without study.json is an unfinished create, safe to redo
    logger.info(
        "study %s: %d images, %d gold, methods %s", spec.study_id, len(images), len(gold), spec.methods
    )
    return spec
