"""Build a self-contained, blind study folder from an LQ folder and one output folder per method."""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import random
from collections.abc import Mapping
from pathlib import Path

from benchmarks.study.encode import equalize_sizes, reencode
from benchmarks.study.gold import write_decoys
from benchmarks.study.spec import (
    GOLD_CLEAN,
    GOLD_DECOY_PREFIX,
    STUDY_FILE,
    GoldTrial,
    ImageItem,
    StudySpec,
    check_method_name,
    validate,
)
from benchmarks.study.text import resolve_text
from pasd.utils.image_io import IMAGE_SUFFIXES, is_image_file

logger = logging.getLogger(__name__)

#: the suite's one list of image file endings (older name)
IMAGE_EXTS = IMAGE_SUFFIXES
DEFAULT_MIN_VIEW_MS = 1000


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
        if is_image_file(p):
            if p.stem in found:
                raise ValueError(f"two images named {p.stem!r} in {folder}: {found[p.stem].name}, {p.name}")
            found[p.stem] = p
    return found


def create_study(
    inputs: str | Path,
    methods: Mapping[str, str | Path],
    out: str | Path,
    *,
    n_images: int = 40,
    seed: int = 0,
    n_gold: int = 0,
    title: str = "Image quality study",
    design: str = "best-of-n",
    text: Mapping[str, str] | None = None,
    images_per_rater: int | None = None,
    raters_per_image: int | None = None,
    pairs_per_image: int = 1,
    repeats: int = 0,
    min_view_ms: int = DEFAULT_MIN_VIEW_MS,
    show_reference: bool | None = None,
    desktop_only: bool = False,
    min_screen_width: int = 1024,
    completion_url: str = "",
    one_per_external_id: bool = True,
) -> StudySpec:
    """Pick images present for every method and re-encode them blind into a study folder.

    Every image (inputs, outputs, gold options) is decoded and written again as a metadata-free
    PNG with one fixed file time (:mod:`benchmarks.study.encode`), so format, metadata and dates
    cannot tell the methods apart.

    Args:
        inputs: folder of LQ inputs, shown to raters as the reference.
        methods: method name -> folder of its outputs (matched to inputs by file stem).
        out: the study folder to create (must not already hold a study).
        n_images: how many images to sample (seeded) from those every method has.
        seed: seeds the image sample, gold trials and each participant's order.
        n_gold: attention-check trials (one clean option, the rest obvious decoys). Their source
            images are taken from images left out of the sample when there are enough, so the clean
            option is not a file the rater already saw in a main trial.
        title: shown on the consent page.
        design: ``"best-of-n"`` (choose the best of all methods), ``"pairwise"`` (two methods,
            with a tie answer) or ``"mos"`` (rate one image 1-5).
        text: overrides of rater-facing strings (keys of :data:`benchmarks.study.text.DEFAULT_TEXT`,
            e.g. ``{"question": ...}``).
        images_per_rater: give each rater a balanced subset of this many images (None: all).
        raters_per_image: close the study once every image has this many raters (None: never).
        pairs_per_image: pairwise design: method pairs per image and rater.
        repeats: main trials shown twice per rater (consistency check).
        min_view_ms: the server refuses answers sooner than this after the trial was served.
        show_reference: show the LQ input (default: yes, except for MOS).
        desktop_only: refuse phones and small screens at the consent page.
        min_screen_width: the smallest screen width (CSS pixels) ``desktop_only`` accepts.
        completion_url: where the completion page sends raters (``{code}`` is replaced by their code).
        one_per_external_id: one participant per platform id (Prolific PID, MTurk worker id, ``ext``).

    Returns:
        The written :class:`StudySpec`.

    Raises:
        ValueError: fewer than 2 methods, bad names, counts or text, unreadable images, or too few
            common images.
        FileExistsError: ``out`` already holds a study.
    """
    if len(methods) < 2:
        raise ValueError(f"a study needs at least 2 methods, got {sorted(methods)}")
    for name in methods:
        check_method_name(name)
    if n_images < 1 or n_gold < 0:
        raise ValueError(f"n_images must be >= 1 and n_gold >= 0, got {n_images}, {n_gold}")
    resolved_text = resolve_text(design, text)
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
    rng = random.Random(seed)
    chosen = sorted(rng.sample(common, n_images))
    spare = sorted(set(common) - set(chosen))
    if n_gold > max(len(spare), n_images):
        raise ValueError(
            f"n_gold={n_gold} exceeds the images available for gold trials "
            f"({n_images} sampled, {len(spare)} spare)"
        )
    # a dry spec checks every design parameter before any image is written
    params = dict(
        design=design,
        text=resolved_text,
        images_per_rater=images_per_rater,
        raters_per_image=raters_per_image,
        pairs_per_image=pairs_per_image,
        repeats=repeats,
        min_view_ms=min_view_ms,
        show_reference=(design != "mos") if show_reference is None else bool(show_reference),
        desktop_only=desktop_only,
        min_screen_width=min_screen_width,
        completion_url=completion_url,
        one_per_external_id=one_per_external_id,
    )
    dummy = [ImageItem(f"i{i:03d}", s, "", {m: "" for m in methods}) for i, s in enumerate(chosen)]
    validate(StudySpec("dry", title, seed, sorted(methods), dummy, **params), out)
    images = []
    for i, stem in enumerate(chosen):
        iid = f"i{i:03d}"
        folder = out / "images" / iid
        reencode(lq[stem], folder / "lq.png")
        sizes = {m: reencode(outputs[m][stem], folder / f"{m}.png") for m in methods}
        if len(set(sizes.values())) > 1:
            logger.warning("%s: methods' outputs differ in size %s; raters may notice", stem, sizes)
        equalize_sizes([folder / f"{m}.png" for m in methods])
        outs = {m: f"images/{iid}/{m}.png" for m in methods}
        images.append(ImageItem(id=iid, name=stem, lq=f"images/{iid}/lq.png", outputs=outs))
    gold = _make_gold(out, lq, outputs, images, spare, n_gold, rng, seed)
    digest = hashlib.sha256(
        repr(
            (sorted(methods), chosen, seed, n_gold, design, images_per_rater, pairs_per_image, repeats,
             params["show_reference"])
        ).encode()
    ).hexdigest()[:12]  # fmt: skip
    spec = StudySpec(
        study_id=f"study-{digest}",
        title=title,
        seed=seed,
        methods=sorted(methods),
        images=images,
        gold=gold,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **params,
    )
    validate(spec, out)
    spec.save(out)  # written last: a folder without study.json is an unfinished create, safe to redo
    logger.info(
        "study %s (%s): %d images, %d gold, methods %s",
        spec.study_id, design, len(images), len(gold), spec.methods,
    )  # fmt: skip
    return spec


def _make_gold(
    out: Path,
    lq: dict[str, Path],
    outputs: dict[str, dict[str, Path]],
    images: list[ImageItem],
    spare: list[str],
    n_gold: int,
    rng: random.Random,
    seed: int,
) -> list[GoldTrial]:
    if n_gold == 0:
        return []
    methods = sorted(outputs)
    if len(spare) >= n_gold:
        sources = [(stem, stem, None) for stem in rng.sample(spare, n_gold)]
    else:
        logger.warning(
            "only %d spare images for %d gold trials: gold reuses sampled images, so its clean option "
            "is the same file as a main-trial option (raise the number of inputs to avoid this)",
            len(spare), n_gold,
        )  # fmt: skip
        sources = [(im.name, im.id, im) for im in rng.sample(images, n_gold)]
    gold = []
    for j, (stem, source_id, item) in enumerate(sources):
        gid = f"g{j:03d}"
        method = rng.choice(methods)
        folder = out / "gold" / gid
        if item is None:
            reencode(lq[stem], folder / "lq.png")
            lq_rel = f"gold/{gid}/lq.png"
        else:
            lq_rel = item.lq
        reencode(outputs[method][stem], folder / "clean.png")
        decoys = write_decoys(folder / "clean.png", folder, len(methods) - 1, seed=seed * 1000 + j)
        equalize_sizes([folder / "clean.png", *decoys.values()])
        options = {GOLD_CLEAN: f"gold/{gid}/clean.png"}
        options.update({f"{GOLD_DECOY_PREFIX}{k}__": f"gold/{gid}/{p.name}" for k, p in decoys.items()})
        gold.append(
            GoldTrial(id=gid, source_image=source_id, source_method=method, lq=lq_rel, options=options)
        )
    return gold
