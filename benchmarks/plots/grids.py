"""Visual comparison grids with zoomed crops, in the manner of the paper's Figs 3, 5 and 8.

For each chosen image: one row with the full LQ input (nearest-neighbour upscaled to the output
size), the optional ground truth and every method's output, each with a red rectangle marking
the crop; below it, the crop of every column magnified by an integer factor with nearest
neighbour, so the zoom shows the methods' real pixels. The canvas is assembled pixel by pixel
in NumPy and placed unresampled on a matplotlib figure (``figimage``) of the same pixel size;
only the labels are drawn by matplotlib, in strips that no image overlaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.plots.crops import Box, auto_crop, check_box, draw_rect, find_image, load_rgb, magnify, resize
from benchmarks.plots.figure_io import new_figure, save_png
from benchmarks.tables.names import method_label

LABEL_STRIP = 30  # px above the first row: column labels
NAME_STRIP = 20  # px above each image's rows: image name and crop
GAP = 6
PAD = 8
MISSING_GREY = 200


@dataclass
class GridLayout:
    """Where everything went, in canvas pixels ``(x, y, w, h)`` (tests and reports use it)."""

    path: Path
    size: tuple[int, int]
    columns: list[str]
    crops: dict[str, Box] = field(default_factory=dict)
    factors: dict[str, float] = field(default_factory=dict)
    view_boxes: dict[str, list[Box]] = field(default_factory=dict)
    zoom_boxes: dict[str, list[Box]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)


def _sources(methods, lq_dir, hq_dir) -> list[tuple[str, Path, bool]]:
    src = []
    if lq_dir is not None:
        src.append(("LQ input", Path(lq_dir), True))
    if hq_dir is not None:
        src.append(("HQ (ground truth)", Path(hq_dir), False))
    src += [(method_label(m), Path(d), False) for m, d in methods.items()]
    return src


def _image_tiles(name, sources, crop, crop_size, panel):
    """Full views (with rectangle) and zoomed crops of one image for every column."""
    found = [find_image(folder, name) for _, folder, _ in sources]
    ref_idx = next((k for k, (lab, _, lq) in enumerate(sources) if not lq and found[k]), None)
    if ref_idx is None:
        raise ValueError(
            f"image {name!r} is in none of the output folders {[str(f) for _, f, lq in sources if not lq]}"
        )
    ref = load_rgb(found[ref_idx])
    h, w = ref.shape[:2]
    box = check_box(crop, w, h) if crop is not None else auto_crop(ref, crop_size or max(8, min(h, w) // 4))
    x, y, bw, bh = box
    s = panel / w
    vh = max(1, round(h * s))
    vbox = (round(x * s), round(y * s), max(2, round(bw * s)), max(2, round(bh * s)))
    vbox = (min(vbox[0], panel - vbox[2]), min(vbox[1], vh - vbox[3]), vbox[2], vbox[3])
    factor: float = max(1, panel // max(bw, bh))
    zw, zh = bw * int(factor), bh * int(factor)
    if max(bw, bh) > panel:  # a crop wider than a panel can only be shown smaller
        factor = panel / max(bw, bh)
        zw, zh = max(1, round(bw * factor)), max(1, round(bh * factor))
    views, zooms, missing = [], [], []
    for (label, _, nearest), file in zip(sources, found):
        if file is None:
            missing.append(label)
            views.append(None)
            zooms.append(None)
            continue
        img = load_rgb(file)
        img = resize(img, w, h, nearest=nearest)
        # enlarging a small output uses nearest too: a figure must not invent detail
        views.append(draw_rect(resize(img, panel, vh, nearest=nearest or panel > w), vbox))
        c = img[y : y + bh, x : x + bw]
        zooms.append(magnify(c, int(factor)) if factor >= 1 else resize(c, zw, zh))
    return box, factor, views, zooms, (vh, zw, zh), missing


def comparison_grid(
    images: Sequence[str],
    methods: Mapping[str, str | Path],
    out: str | Path,
    *,
    lq_dir: str | Path | None = None,
    hq_dir: str | Path | None = None,
    crops: Mapping[str, Box] | None = None,
    crop_size: int | None = None,
    panel: int = 256,
    dpi: int = 100,
) -> GridLayout:
    """Draw a comparison grid of ``images`` across ``methods`` and write it as PNG.

    Args:
        images: image names (stems) to show, one row pair each.
        methods: method key -> folder of its outputs (``<stem>.png``); labels flag tiny random-weight methods.
        out: PNG path.
        lq_dir: folder of LQ inputs, shown first (nearest-upscaled to the output size).
        hq_dir: folder of ground truths, shown after the LQ; the reference size when given.
        crops: image -> crop box ``(x, y, w, h)`` in output pixels; others are chosen where there is most texture.
        crop_size: side of automatic crops (default: a quarter of the shorter side).
        panel: width in pixels of every full view and zoom panel.
        dpi: resolution of the label text.

    Returns:
        A :class:`GridLayout` with the canvas position of every panel.

    Raises:
        ValueError: no images/methods, an image in no output folder, or a crop outside the image.
    """
    if not images or not (methods or hq_dir):
        raise ValueError("comparison_grid needs at least one image and one method (or hq_dir)")
    sources = _sources(methods, lq_dir, hq_dir)
    n = len(sources)
    width = 2 * PAD + n * panel + (n - 1) * GAP
    per_image = [
        (name, *_image_tiles(name, sources, (crops or {}).get(name), crop_size, panel)) for name in images
    ]
    height = PAD + LABEL_STRIP + sum(NAME_STRIP + d[0] + GAP + d[2] + GAP for *_, d, _ in per_image) + PAD
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    layout = GridLayout(Path(out), (width, height), [lab for lab, _, _ in sources])
    texts: list[tuple[float, float, str, dict]] = []
    for k, (lab, _, _) in enumerate(sources):
        texts.append(
            (
                PAD + k * (panel + GAP) + panel / 2,
                PAD + LABEL_STRIP / 2,
                lab,
                {"fontsize": 8, "weight": "bold"},
            )
        )
    top = PAD + LABEL_STRIP
    for name, box, factor, views, zooms, (vh, zw, zh), missing in per_image:
        f = f"×{int(factor)}" if factor >= 1 else f"×{factor:.2f}"
        texts.append((PAD, top + NAME_STRIP / 2, f"{name}: crop x={box[0]} y={box[1]} {box[2]}×{box[3]}, zoom {f}",
                      {"fontsize": 7, "ha": "left"}))  # fmt: skip
        top += NAME_STRIP
        layout.crops[name], layout.factors[name], layout.missing[name] = box, factor, missing
        layout.view_boxes[name], layout.zoom_boxes[name] = [], []
        for k, (view, zoom) in enumerate(zip(views, zooms)):
            x0 = PAD + k * (panel + GAP)
            vb, zb = (x0, top, panel, vh), (x0, top + vh + GAP, zw, zh)
            for (bx, by, bw, bh), tile in ((vb, view), (zb, zoom)):
                if tile is None:
                    canvas[by : by + bh, bx : bx + bw] = MISSING_GREY
                    texts.append((bx + bw / 2, by + bh / 2, "missing", {"fontsize": 8}))
                else:
                    canvas[by : by + bh, bx : bx + bw] = tile
            layout.view_boxes[name].append(vb)
            layout.zoom_boxes[name].append(zb)
        top += vh + GAP + zh + GAP
    fig = new_figure(width, height, dpi=dpi)
    fig.figimage(canvas, 0, 0, origin="upper", resize=False)
    for x, y, text, kw in texts:
        opts = {"ha": "center", "va": "center", **kw}
        fig.text(x / width, 1 - y / height, text, **opts)
    save_png(fig, out)
    return layout
