"""The metric registry and its single entry point, :func:`create_metric`.

A preset (``configs.DEFAULT_CONFIGS``) names a registered class (``type``) and its default
options; :func:`create_metric` applies the preset's options, then the caller's, as pyiqa's
``InferenceModel`` does. Classes register themselves in ``*_metric.py`` modules, which
``benchmarks.metrics`` imports, so the file suffix is the registration rule.
"""

from __future__ import annotations

from typing import Any

import torch

from benchmarks.metrics.base import PerImageMetric, SetMetric
from benchmarks.metrics.configs import DEFAULT_CONFIGS, MetricSpec, get_spec
from pasd.utils.registry import new_registry

#: class name (a preset's ``type``) -> metric class
METRICS = new_registry("metric")


def create_metric(name: str, device: str | torch.device = "cpu", **kwargs: Any) -> PerImageMetric | SetMetric:
    """Build the metric called ``name`` with its preset options, overridden by ``kwargs``.

    Weights are found through :mod:`pasd.hub` only; nothing is downloaded.

    Args:
        name: a key of ``DEFAULT_CONFIGS`` (``psnr``, ``lpips``, ``fid``, ...).
        device: where the metric's network runs.
        **kwargs: options of the preset's class (e.g. ``crop_border=0``).

    Returns:
        A :class:`PerImageMetric` (FR/NR) or a :class:`SetMetric`.

    Raises:
        KeyError: unknown ``name`` (with close matches).
        TypeError: an option the class does not take.
        pasd.hub.MissingWeightsError: a weights artifact is missing.

    Example:
        >>> m = create_metric("psnr", crop_border=0)
        >>> type(m).__name__, m.crop_border
        ('PSNRY', 0)
    """
    spec = get_spec(name)
    cls = METRICS.get(spec.type)
    opts = {**spec.opts, **kwargs}
    return cls(name=spec.name, device=device, **opts)


def list_metrics() -> list[MetricSpec]:
    """Every preset, sorted by name."""
    return [DEFAULT_CONFIGS[k] for k in sorted(DEFAULT_CONFIGS)]
