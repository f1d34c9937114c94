"""The metric presets: one table, name -> class, options, mode, direction and weights.

Modelled on pyiqa's ``default_model_configs.py``: several names may share one class with
different options (``psnr`` / ``psnr-matlab``), and a caller's keyword arguments override a
preset's options. Everything that changes a score is an option here, so it is recorded in
every result file next to the numbers.

Y-channel convention (``psnr``, ``ssim``): BasicSR's ``calculate_psnr`` /
``calculate_ssim(test_y_channel=True)``: RGB -> Y with MATLAB's ``rgb2ycbcr`` coefficients
(ITU-R BT.601, Y in [16, 235]) computed in float32 and *not* rounded, after cropping
``crop_border`` pixels from every side; SSIM is the Wang et al. 11x11 Gaussian (sigma 1.5)
on the valid region. This is what the Real-ISR papers' ``test_metrics`` scripts report.
``psnr-matlab`` / ``ssim-matlab`` round Y to integers first, as MATLAB does for uint8 input
(pyiqa's ``psnry`` / ``ssim`` with ``color_space='ycbcr'`` do the same); the two
conventions differ by about 1e-3 in SSIM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["FR", "NR", "set"]


@dataclass(frozen=True)
class MetricSpec:
    """What the suite knows about one named metric before building it.

    Attributes:
        name: registry key, lower case.
        type: name of the registered class that computes it.
        mode: ``"FR"`` (needs the ground truth per image), ``"NR"`` (pred only) or ``"set"``
            (a distance between the pred set and the GT set, e.g. FID).
        lower_better: direction of "better".
        weights: artifact names (``pasd.hub``) the metric loads; empty for pure math.
        opts: default keyword arguments of ``type``.
        title: short label for tables.
    """

    name: str
    type: str
    mode: Mode
    lower_better: bool
    weights: tuple[str, ...] = ()
    opts: dict[str, Any] = field(default_factory=dict)
    title: str = ""


def _spec(name: str, type_: str, mode: Mode, lower_better: bool, weights=(), title: str = "", **opts: Any):
    return MetricSpec(name, type_, mode, lower_better, tuple(weights), dict(opts), title or name.upper())


#: name -> preset. Table 1 of the paper uses psnr, ssim, lpips, dists, fid, clipfid, musiq.
DEFAULT_CONFIGS: dict[str, MetricSpec] = {
    s.name: s
    for s in (
        _spec("psnr", "PSNRY", "FR", False, title="PSNR", crop_border=4, round_y=False),
        _spec("ssim", "SSIMY", "FR", False, title="SSIM", crop_border=4, round_y=False),
        _spec("psnr-matlab", "PSNRY", "FR", False, title="PSNR (MATLAB Y)", crop_border=4, round_y=True),
        _spec("ssim-matlab", "SSIMY", "FR", False, title="SSIM (MATLAB Y)", crop_border=4, round_y=True),
        # channels_last None: NHWC on CPU (runtime.py); precision: CUDA half only where measured safe
        _spec("lpips", "LPIPS", "FR", True, ("lpips-alex", "alexnet"), title="LPIPS", net="alex", version="0.1",
              channels_last=None, precision="fp32"),
        _spec("dists", "DISTS", "FR", True, ("dists", "vgg16"), title="DISTS", channels_last=None, precision="fp32",
              chunk_pixels=None),
        _spec("musiq", "PyiqaNR", "NR", False, ("musiq-koniq",), title="MUSIQ", pyiqa_name="musiq",
              channels_last=None),
        _spec("musiq-ava", "PyiqaNR", "NR", False, ("musiq-ava",), title="MUSIQ (AVA)", pyiqa_name="musiq-ava",
              channels_last=None),
        _spec("musiq-spaq", "PyiqaNR", "NR", False, ("musiq-spaq",), title="MUSIQ (SPAQ)",
              pyiqa_name="musiq-spaq", channels_last=None),
        _spec("musiq-paq2piq", "PyiqaNR", "NR", False, ("musiq-paq2piq",), title="MUSIQ (PaQ-2-PiQ)",
              pyiqa_name="musiq-paq2piq", channels_last=None),
        _spec("niqe", "PyiqaNR", "NR", True, ("niqe",), title="NIQE", pyiqa_name="niqe"),
        # seed 123: what pyiqa's InferenceModel seeded each call with while MANIQA used random crops
        _spec("maniqa", "PyiqaNR", "NR", False, ("maniqa-koniq",), title="MANIQA", pyiqa_name="maniqa", seed=123),
        _spec("maniqa-pipal", "PyiqaNR", "NR", False, ("maniqa-pipal",), title="MANIQA-PIPAL",
              pyiqa_name="maniqa-pipal", seed=123),
        _spec("clipiqa", "PyiqaNR", "NR", False, ("clipiqa-rn50",), title="CLIPIQA", pyiqa_name="clipiqa"),
        _spec("topiq_nr", "PyiqaNR", "NR", False, ("topiq-nr-koniq",), title="TOPIQ-NR", pyiqa_name="topiq_nr"),
        _spec("topiq_fr", "PyiqaFR", "FR", False, ("topiq-fr-kadid",), title="TOPIQ-FR", pyiqa_name="topiq_fr"),
        _spec("liqe", "PyiqaNR", "NR", False, ("liqe-koniq", "clip-vit-b32"), title="LIQE", pyiqa_name="liqe"),
        _spec("liqe_mix", "PyiqaNR", "NR", False, ("liqe-mix", "clip-vit-b32"), title="LIQE (mix)",
              pyiqa_name="liqe_mix"),
        _spec("fid", "FrechetDistance", "set", True, ("inception-fid",), title="FID", extractor="inception"),
        _spec(
            "clipfid", "FrechetDistance", "set", True, ("clip-vit-b32",), title="CLIP-FID", extractor="clip"
        ),
        _spec("kid", "KernelDistance", "set", True, ("inception-fid",), title="KID", extractor="inception",
              num_subsets=100, max_subset_size=1000, seed=0),
        _spec("pfid", "PatchFrechetDistance", "set", True, ("inception-fid",), title="pFID (128 px)",
              extractor="inception", patch=128),
    )
}  # fmt: skip

#: the paper's Table 1 metric set, in its column order
TABLE1_METRICS: tuple[str, ...] = ("psnr", "ssim", "lpips", "dists", "fid", "clipfid", "musiq")

#: Table 1 plus what Real-ISR papers since 2023 report (SeeSR, OSEDiff, SUPIR tables: pyiqa's
#: niqe, maniqa-pipal, clipiqa, musiq; TOPIQ, LIQE), KID and patch-FID for small test sets
TABLE1_PLUS_METRICS: tuple[str, ...] = TABLE1_METRICS + (
    "niqe", "maniqa-pipal", "maniqa", "clipiqa", "topiq_nr", "topiq_fr", "liqe", "kid", "pfid",
)  # fmt: skip


def get_spec(name: str) -> MetricSpec:
    """Look up a preset by name (case-insensitive).

    Raises:
        KeyError: naming the unknown metric, close matches and the known names.
    """
    import difflib

    key = name.lower()
    if key in DEFAULT_CONFIGS:
        return DEFAULT_CONFIGS[key]
    close = difflib.get_close_matches(key, DEFAULT_CONFIGS, n=3)
    hint = f" Did you mean one of: {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown metric {name!r}.{hint} Known: {', '.join(sorted(DEFAULT_CONFIGS))}")


#: pyiqa preset -> the artifacts its default construction downloads (pasd.hub names); one table,
#: read by ``benchmarks.metrics.pyiqa_offline`` to build the metric and by ``weights_for``
PYIQA_WEIGHTS: dict[str, tuple[str, ...]] = {
    "musiq": ("musiq-koniq",),
    "musiq-ava": ("musiq-ava",),
    "musiq-spaq": ("musiq-spaq",),
    "musiq-paq2piq": ("musiq-paq2piq",),
    "niqe": ("niqe",),
    "maniqa": ("maniqa-koniq",),
    "maniqa-pipal": ("maniqa-pipal",),
    "clipiqa": ("clipiqa-rn50",),
    "topiq_nr": ("topiq-nr-koniq",),
    "topiq_fr": ("topiq-fr-kadid",),
    "liqe": ("liqe-koniq", "clip-vit-b32"),
    "liqe_mix": ("liqe-mix", "clip-vit-b32"),
}


def weights_for(name: str, options: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The :mod:`pasd.hub` artifacts metric ``name`` loads when built with ``options``.

    ``MetricSpec.weights`` holds the preset's default; a protocol card can change which network
    a metric runs (pyiqa's FID uses the pytorch-fid Inception file, ``inception-fid-pt``, clean-fid's
    ``legacy_pytorch`` mode too). The plan's missing-weights list and the run record both call this
    with the options the engine will use (``benchmarks.metrics.engine.resolved_options``), so they
    name the files scoring really opens.

    Args:
        name: a metric preset.
        options: the resolved options (``None``: the preset's own).

    Returns:
        Artifact names; ``()`` for pure math, and for a pyiqa preset the suite has no weights for
        (building it fails with that reason, which the run records).

    Raises:
        KeyError: unknown metric (close matches).
    """
    spec = get_spec(name)
    opts = {**spec.opts, **(options or {})}
    if spec.type == "FrechetDistance":
        if opts.get("extractor") == "clip":
            return ("clip-vit-b32",)
        if opts.get("implementation", "clean-fid") == "pyiqa" or opts.get("mode") == "legacy_pytorch":
            return ("inception-fid-pt",)
        return ("inception-fid",)
    if spec.type == "PyiqaNR":
        pyiqa_name = opts.get("pyiqa_name", "")
        if pyiqa_name == spec.opts.get("pyiqa_name"):
            return spec.weights
        return PYIQA_WEIGHTS.get(pyiqa_name, ())
    return spec.weights
