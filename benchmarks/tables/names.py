"""Display names and directions: how metric, method and dataset keys appear in tables and figures.

Keys are the registries' lower-case names; labels follow the paper's spelling ("CLIP-FID↓",
"Real-ESRGAN", "DIV2K valid"). A method whose key contains ``tiny`` runs with tiny random weights:
its label always says so, so a plumbing number is never mistaken for a result.

Method keys in results are preset entry ids (:mod:`benchmarks.results.method_ids`): ``name``, or
``name[label]`` for an entry a preset labels or lists twice. Every lookup here goes by the registry
name; the label is shown (the entry's own label when the run recorded one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from benchmarks.results.method_ids import base_method, split_method_id


@dataclass(frozen=True)
class MetricDisplay:
    """How a metric is shown: ``title`` (paper spelling), direction, decimals."""

    title: str
    higher_is_better: bool | None  # None: direction unknown, so no arrow and no best/second marks
    decimals: int = 4

    @property
    def arrow(self) -> str:
        return "" if self.higher_is_better is None else ("↑" if self.higher_is_better else "↓")

    @property
    def label(self) -> str:
        return f"{self.title}{self.arrow}"


#: metric key -> display; the paper prints 4 decimals everywhere
METRICS: dict[str, MetricDisplay] = {
    "psnr": MetricDisplay("PSNR", True),
    "ssim": MetricDisplay("SSIM", True),
    "lpips": MetricDisplay("LPIPS", False),
    "dists": MetricDisplay("DISTS", False),
    "musiq": MetricDisplay("MUSIQ", True),
    "fid": MetricDisplay("FID", False),
    "clipfid": MetricDisplay("CLIP-FID", False),
    "niqe": MetricDisplay("NIQE", False),
    "maniqa": MetricDisplay("MANIQA", True),
    "clipiqa": MetricDisplay("CLIPIQA", True),
    "psnr-matlab": MetricDisplay("PSNR (MATLAB Y)", True),
    "ssim-matlab": MetricDisplay("SSIM (MATLAB Y)", True),
}

METHODS: dict[str, str] = {
    "bsrgan": "BSRGAN",
    "realesrgan": "Real-ESRGAN",
    "ldl": "LDL",
    "femasr": "FeMaSR",
    "swinir-gan": "SwinIR-GAN",
    "swinir-gan-m": "SwinIR-GAN (M)",
    "swinir-gan-l": "SwinIR-GAN (L)",
    "ldm": "LDM",
    "sd-upscaler": "SD Upscaler",
    "stablesr": "StableSR",
    "pasd": "PASD",
    "pasd-light": "PASD-light",
    "pasd-rrdb": "PASD-RRDB",
    "bicubic": "Bicubic",
    "lanczos": "Lanczos",
    "cartoongan": "CartoonGAN",
    "animegan": "AnimeGAN",
    "dct-net": "DCT-Net",
    "instructpix2pix": "Instruct-Pix2Pix",
    "sd-img2img": "SD image2image",
    "controlnet": "ControlNet",
    "pasd-stylize": "PASD",
    "pasd-abl-a": "(a)",
    "pasd-abl-b": "(b)",
    "pasd-abl-c": "(c)",
    "pasd-abl-d": "(d)",
}

#: method key -> footnote printed under every table the method appears in (what its row really is)
METHOD_NOTES: dict[str, str] = {
    "ldm": (
        "LDM: the public OpenImages LDM x4 (CompVis/ldm-super-resolution-4x-openimages; 100 DDIM steps, eta 1). "
        "The paper does not name its LDM weights; StableSR's fine-tuned LDM is not published."
    ),
    "sd-upscaler": (
        "SD Upscaler: stabilityai/stable-diffusion-x4-upscaler with diffusers' defaults (75 steps, guidance 9, "
        "noise level 20, empty prompt); inputs above 128 px run in overlapping 128-px latent tiles."
    ),
}

#: metric key -> footnote printed under every table the metric appears in (how the number is made)
METRIC_NOTES: dict[str, str] = {
    "maniqa": (
        "MANIQA (KonIQ) and MANIQA-PIPAL: pyiqa's MANIQA averages 20 crops of 224 px; the engine seeds torch and "
        "NumPy with the metric's recorded seed (default 123, pyiqa's old per-call seed) before each image. "
        "pyiqa >= 0.1.12 takes the crops on a fixed grid, so there the seed does not change the value."
    ),
    "kid": "KID: clean-fid's kernel distance (100 subsets of up to 1000 images), subsets drawn with seed 0.",
    "pfid": (
        "pFID: FID over non-overlapping 128-px crops of every image (same grid for outputs and ground truth), "
        "for test sets too small for FID (IceClear/StableSR#105)."
    ),
}
METRIC_NOTES["maniqa-pipal"] = METRIC_NOTES["maniqa"]

DATASETS: dict[str, str] = {
    "div2k-val": "DIV2K valid",
    "realsr": "RealSR",
    "drealsr": "DRealSR",
    "ffhq-100": "FFHQ",
    "flickr2k-100": "Flickr2K",
    "sample": "Sample (skimage photos)",
}

RANDOM_WEIGHTS_TAG = "(random weights)"
#: rows whose numbers are not the paper's setting carry this tag in every table and figure
RELEASED_WEIGHTS_TAG = "(released weights)"
_RELEASED = "released weights; the paper retrained these on ToonYou outputs - not comparable"
#: method -> why its numbers are not comparable with the paper's (footnotes of tables and reports)
CAVEATS: dict[str, str] = {
    "cartoongan": f"the authors' {_RELEASED}",
    "animegan": f"AnimeGANv2 PyTorch-port weights (the paper cites AnimeGAN v1); {_RELEASED}",
    "dct-net": f"the authors' ModelScope anime model; {_RELEASED}",
}


def metric_display(key: str) -> MetricDisplay:
    """Display of a metric key; unknown keys fall back to the metric presets' title and direction.

    A key that neither this table nor the metric presets know is shown as it is, without an
    arrow, and never marked best/second: guessing its direction could mark the worst as best.
    """
    if key in METRICS:
        return METRICS[key]
    try:  # presets added to the metric engine later still get the right direction
        from benchmarks.metrics.configs import get_spec

        spec = get_spec(key)
    except (ImportError, KeyError):
        return MetricDisplay(key, None)
    return MetricDisplay(spec.title or key.upper(), not spec.lower_better)


def metric_label(key: str) -> str:
    """``"CLIP-FID↓"`` for ``"clipfid"``."""
    return metric_display(key).label


def higher_is_better(key: str) -> bool | None:
    """Direction of ``key`` (PSNR, SSIM, MUSIQ up; LPIPS, DISTS, FID, CLIP-FID down; None if unknown)."""
    return metric_display(key).higher_is_better


def is_random_weights(method: str) -> bool:
    """True for tiny random-weight methods (registry name contains ``tiny``), whose numbers mean nothing."""
    return "tiny" in base_method(method).lower()


def method_label(method: str, labels: Mapping[str, str] | None = None) -> str:
    """Paper spelling for known methods; tiny ones are flagged: ``"pasd-tiny (random weights)"``,
    released-weight stand-ins too: ``"CartoonGAN (released weights)"``.

    Args:
        method: a method key or entry id (``"pasd[steps=50]"`` -> ``"PASD [steps=50]"``).
        labels: entry id -> the label its preset gave it (``ResultsStore.method_labels``); a
            labelled entry is shown by its label (``folder[...]`` -> ``"StableSR (released outputs)"``).
    """
    name, key = split_method_id(method)
    given = (labels or {}).get(method)
    if given:
        text = given
    elif is_random_weights(name):
        text = name + (f" [{key}]" if key else "")
    else:
        text = METHODS.get(name, name) + (f" [{key}]" if key else "")
    if is_random_weights(name):
        return text if RANDOM_WEIGHTS_TAG in text else f"{text} {RANDOM_WEIGHTS_TAG}"
    if name in CAVEATS:
        return text if RELEASED_WEIGHTS_TAG in text else f"{text} {RELEASED_WEIGHTS_TAG}"
    return text


def method_caveat(method: str) -> str | None:
    """The footnote for a method whose numbers are not comparable with the paper's, else ``None``."""
    return CAVEATS.get(base_method(method))


def method_note(method: str) -> str | None:
    """What the row is, for methods whose name alone does not say (``ldm``: which weights)."""
    return METHOD_NOTES.get(base_method(method))


def dataset_label(dataset: str) -> str:
    """``"DIV2K valid"`` for ``"div2k-val"``; unknown keys are shown as they are."""
    return DATASETS.get(dataset, dataset)
