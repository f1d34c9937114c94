"""What a protocol card may say: every setting that moves a score, with its allowed values.

A card sets every key below (no hidden defaults), so two cards always differ in named settings
only. Keys are ``<scope>.<setting>``: ``images.*`` applies to every metric; ``psnr.*`` etc. to
one metric. :data:`METRIC_SCOPES` maps a metric preset name to the scopes that change it.
"""

from __future__ import annotations

from typing import Any

from benchmarks.metrics.images import ALPHA_POLICIES

#: setting -> allowed values (a tuple) or a type for open-ended numbers
SETTINGS: dict[str, tuple[Any, ...] | type] = {
    "images.alpha": ALPHA_POLICIES,
    "images.resize": ("error", "resize-pred"),
    **{
        f"{m}.{k}": v
        for m in ("psnr", "ssim")
        for k, v in (
            ("implementation", ("basicsr", "pyiqa")),
            ("colour", ("y", "rgb")),
            ("color_space", ("ycbcr", "yiq")),
            ("round_y", (True, False)),
            ("crop_border", int),
        )
    },
    "lpips.net": ("alex", "vgg", "squeeze"),
    "lpips.version": ("0.0", "0.1"),
    "musiq.variant": ("koniq", "spaq", "paq2piq", "ava"),
    "fid.implementation": ("clean-fid", "pyiqa"),
    "fid.mode": ("clean", "legacy_pytorch", "legacy_tensorflow"),
    "fid.reference": ("dataset-hq",),
    "clipfid.implementation": ("clean-fid",),
    "clipfid.model": ("ViT-B/32",),
    "clipfid.reference": ("dataset-hq",),
}

#: metric preset -> the setting scopes that change its score
METRIC_SCOPES: dict[str, tuple[str, ...]] = {
    "psnr": ("images", "psnr"),
    "ssim": ("images", "ssim"),
    "lpips": ("images", "lpips"),
    "dists": ("images",),
    "musiq": ("images", "musiq"),
    "fid": ("images", "fid"),
    "clipfid": ("images", "clipfid"),
}


def check_setting(key: str, value: Any) -> Any:
    """Validate one setting.

    Raises:
        KeyError: unknown key (the known keys are listed).
        ValueError: a value outside the allowed set.
    """
    if key not in SETTINGS:
        raise KeyError(f"unknown protocol setting {key!r}; known: {', '.join(SETTINGS)}")
    allowed = SETTINGS[key]
    if isinstance(allowed, type):
        if isinstance(value, bool) or not isinstance(value, allowed) or value < 0:
            raise ValueError(
                f"protocol setting {key!r} must be a non-negative {allowed.__name__}, got {value!r}"
            )
        return value
    if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
        raise ValueError(f"protocol setting {key!r} = {value!r} not in {list(allowed)}")
    return value


def scopes_for(metric: str) -> tuple[str, ...]:
    """The setting scopes that change ``metric`` (only ``images`` for metrics no card configures)."""
    return METRIC_SCOPES.get(metric, ("images",))


#: settings that have no effect when ``<metric>.colour`` is "rgb" (no luma is computed)
_LUMA_ONLY = ("color_space", "round_y")


def settings_for(settings: dict[str, Any], metric: str) -> dict[str, Any]:
    """The settings in effect for ``metric``: its scopes, minus luma settings on RGB.

    Dropping settings without effect keeps diffs honest: two cards that both score PSNR on RGB
    do not "differ" in a Y formula neither of them uses.
    """
    scopes = scopes_for(metric)
    out = {k: v for k, v in settings.items() if k.split(".", 1)[0] in scopes}
    for scope in scopes:
        if out.get(f"{scope}.colour") == "rgb":
            for key in _LUMA_ONLY:
                out.pop(f"{scope}.{key}", None)
    return out
