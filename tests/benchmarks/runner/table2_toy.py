"""A small Table 2 setting for runner tests: a stylization folder dataset, released-format weights, metric weights.

The artifact table is the real one with the metric entries swapped for the random-weight ones
of :mod:`benchmarks.metrics.random_weights` (``PASD_BENCH_ARTIFACTS`` replaces the table, so both
the methods' and the metrics' entries must be in it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.datasets.base import DATASETS
from benchmarks.datasets.folder_dataset import FirstNFolderDataset

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

METRIC_ARTIFACTS = ("inception-fid", "clip-vit-b32", "musiq-koniq")
NAMES = ("p0.png", "p1.png")


class ToyStylizationDataset(FirstNFolderDataset):
    """Two photos, no ground truth (like ffhq-100 / flickr2k-100)."""

    name = "toy-styl"
    expected_count = len(NAMES)
    names = NAMES
    layout = "ROOT/p0.png, ROOT/p1.png"
    source = "skimage.data"


def register() -> None:
    if ToyStylizationDataset.name not in DATASETS:
        DATASETS.register(ToyStylizationDataset.name, ToyStylizationDataset)


def make_photos(root: Path, names=NAMES, size=(72, 48), photos=("chelsea", "coffee")) -> Path:
    import skimage.data

    root.mkdir(parents=True, exist_ok=True)
    for name, photo in zip(names, photos):
        img = getattr(skimage.data, photo)()
        Image.fromarray(np.asarray(Image.fromarray(img).resize(size, Image.BICUBIC))).save(root / name)
    return root


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v))


def write_combined_table(path: Path) -> Path:
    """The real artifact table, its metric entries replaced by the random-weight ones."""
    from benchmarks.metrics.random_weights import write_table
    from pasd.hub.registry import ARTIFACTS_FILE

    with open(ARTIFACTS_FILE, "rb") as fh:
        table = tomllib.load(fh)["artifacts"]
    parts = []
    for name, raw in table.items():
        if name in METRIC_ARTIFACTS:
            continue
        lines = [f"[artifacts.{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in raw.items() if k != "files"]
        for f in raw.get("files", []):
            lines += [f"[[artifacts.{name}.files]]"] + [f"{k} = {_toml_value(v)}" for k, v in f.items()]
        parts.append("\n".join(lines))
    metrics = write_table(path.with_suffix(".metrics.toml"), METRIC_ARTIFACTS).read_text()
    path.write_text("\n\n".join(parts) + "\n\n" + metrics)
    return path


def write_preset(
    path: Path, data: Path, reference: str | None, methods: list[tuple[str, dict]], style: bool = True
) -> Path:
    lines = ['name = "t2"', 'task = "stylization"', "seeds = [0]", 'metrics = ["fid", "clipfid", "musiq"]']
    if reference:
        lines += [f"reference = {reference}"]
    if style:
        lines += ["[shared]", 'style_model = "toonyou"']
    lines += ["[[datasets]]", 'name = "toy-styl"', f'root = "{data}"']
    for name, params in methods:
        lines += ["[[methods]]", f'name = "{name}"']
        if params:
            lines.append(
                "params = { " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in params.items()) + " }"
            )
    path.write_text("\n".join(lines) + "\n")
    return path
