"""Display names and directions: how metric, method and dataset keys appear in tables and figures.

Keys are the registries' lower-case names; labels follow the paper's spelling ("CLIP-FID↓",
"Real-ESRGAN", "DIV2K valid"). A method whose key contains ``tiny`` runs with tiny random weights:
its label always says so, so a plumbing number is never mistaken for a result.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """True for tiny random-weight methods (key contains ``tiny``), whose numbers mean nothing."""
    return "tiny" in method.lower()


def method_label(method: str) -> str:
    """Paper spelling for known methods; tiny ones are flagged: ``"pasd-tiny (random weights)"``,
    released-weight stand-ins too: ``"CartoonGAN (released weights)"``."""
    if is_random_weights(method):
        return f"{method} {RANDOM_WEIGHTS_TAG}"
    if method in CAVEATS:
        return f"{METHODS.get(method, method)} {RELEASED_WEIGHTS_TAG}"
    return METHODS.get(method, method)


def method_caveat(method: str) -> str | None:
    """The footnote for a method whose numbers are not comparable with the paper's, else ``None``."""
    return CAVEATS.get(method)


def dataset_label(dataset: str) -> str:
    """``"DIV2K valid"`` for ``"div2k-val"``; unknown keys are shown as they are."""
    return DATASETS.get(dataset, dataset)
