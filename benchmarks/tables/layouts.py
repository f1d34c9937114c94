"""Which datasets, metrics and methods make up each of the paper's Tables 1-3, in the paper's order.

Results the paper does not have (``bicubic``, ``pasd-tiny``, the ``sample`` dataset, extra
metrics) are not dropped: they go to the table whose task they belong to, after the paper's
entries. A (method, dataset) cell belongs to Table 3 when the method is an ablation variant,
to Table 2 when the method is a stylization method or the dataset a stylization set, else Table 1;
``pasd`` also appears in Table 3 on the datasets where ablation variants were run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from benchmarks.results.method_ids import base_method, split_method_id
from benchmarks.tables.names import METHODS, is_random_weights


@dataclass(frozen=True)
class Layout:
    """One paper table: its caption and the paper's row/column order."""

    number: int
    caption: str
    datasets: tuple[str, ...]
    metrics: tuple[str, ...]
    methods: tuple[str, ...]


LAYOUTS: dict[int, Layout] = {
    1: Layout(
        1,
        "PSNR, SSIM, FID, CLIP-FID, LPIPS, DISTS and MUSIQ of Real-ISR models",
        ("div2k-val", "realsr", "drealsr"),
        ("psnr", "ssim", "fid", "clipfid", "lpips", "dists", "musiq"),
        ("bsrgan", "realesrgan", "ldl", "femasr", "swinir-gan", "ldm", "sd-upscaler", "stablesr", "pasd"),
    ),
    2: Layout(
        2,
        "FID, CLIP-FID and MUSIQ of stylization models",
        ("ffhq-100", "flickr2k-100"),
        ("fid", "clipfid", "musiq"),
        ("cartoongan", "animegan", "dct-net", "instructpix2pix", "sd-img2img", "controlnet", "pasd"),
    ),
    3: Layout(
        3,
        "Variants of PASD on RealSR",
        ("realsr",),
        ("psnr", "fid", "lpips"),
        ("pasd-abl-a", "pasd-abl-b", "pasd-abl-c", "pasd-abl-d", "pasd"),
    ),
}

#: metrics beyond the paper's, in the order they follow its columns (``table1-plus``; others: alphabetical)
EXTRA_METRIC_ORDER: tuple[str, ...] = (
    "niqe", "maniqa-pipal", "maniqa", "clipiqa", "topiq_nr", "topiq_fr", "liqe", "kid", "pfid",
)  # fmt: skip
#: Table 3's design columns: (degradation removal, high-level info, negative prompt) per variant
ABLATION_FLAGS: dict[str, tuple[bool, bool, bool]] = {
    "pasd-abl-a": (False, False, False),
    "pasd-abl-b": (True, False, False),
    "pasd-abl-c": (True, True, False),
    "pasd-abl-d": (True, False, True),
    "pasd": (True, True, True),
}
ABLATION_HEADERS: tuple[str, ...] = ("Degradation Removal", "High-level info", "Negative prompt")
STYLIZATION_METHODS = (frozenset(LAYOUTS[2].methods) - {"pasd"}) | {"pasd-stylize"}
#: every method of the paper's tables in table order (the order of bars in charts)
METHOD_ORDER: tuple[str, ...] = tuple(dict.fromkeys(m for lay in LAYOUTS.values() for m in lay.methods))


def get_layout(table: int) -> Layout:
    """The layout of Table ``table``.

    Raises:
        ValueError: ``table`` is not 1, 2 or 3.
    """
    if table not in LAYOUTS:
        raise ValueError(f"table must be one of {sorted(LAYOUTS)}, got {table!r}")
    return LAYOUTS[table]


def is_ablation(method: str) -> bool:
    return base_method(method).startswith("pasd-abl-")


def select_rows(df: pd.DataFrame, table: int) -> pd.DataFrame:
    """The rows of a long frame (``method``, ``dataset``, ...) that belong to Table ``table``.

    ``method`` may hold entry ids (``pasd[steps=50]``): the table is chosen by the registry name.
    """
    get_layout(table)
    if df.empty:
        return df
    base = df["method"].map(base_method)
    abl = base.map(is_ablation)
    styl = base.isin(STYLIZATION_METHODS) | df["dataset"].isin(LAYOUTS[2].datasets)
    if table == 1:
        keep = ~abl & ~styl
    elif table == 2:
        keep = ~abl & styl
    else:
        abl_sets = set(df.loc[abl, "dataset"])
        keep = abl | ((base == "pasd") & df["dataset"].isin(abl_sets))
    return df[keep]


#: table -> {method key in results: the paper's column key}; Table 2's PASD column is the stylization variant
ALIASES: dict[int, dict[str, str]] = {2: {"pasd-stylize": "pasd"}}


def table_aliases(df: pd.DataFrame, table: int) -> pd.DataFrame:
    """``df`` with method keys renamed to the paper's column keys of Table ``table`` (a copy when renamed)."""
    aliases = ALIASES.get(table, {})
    if df.empty or not aliases or not df["method"].map(base_method).isin(list(aliases)).any():
        return df

    def rename(method: str) -> str:
        name, key = split_method_id(method)
        if name not in aliases:
            return method
        return aliases[name] + (f"[{key}]" if key else "")

    return df.assign(method=df["method"].map(rename))


def ordered(found: Iterable[str], preferred: Sequence[str], *, methods: bool = False) -> list[str]:
    """``found`` keys in ``preferred`` order, then the rest; for methods, known names before unknown
    ones and tiny random-weight methods last (they are plumbing, not results)."""
    found = set(found)
    if methods:  # entry ids (pasd[steps=50]) sort right after their method
        pref, known = list(preferred), list(METHODS)

        def key(m: str) -> tuple:
            b = base_method(m)
            if b in pref:
                return (0, pref.index(b), m != b, m)
            return (1, is_random_weights(m), known.index(b) if b in known else len(known), m)

        return sorted(found, key=key)
    head = [k for k in preferred if k in found]
    return head + sorted(found - set(head))
