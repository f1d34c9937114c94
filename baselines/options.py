"""Merge a method's defaults with the caller's params, refusing names the method does not take."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def resolve_options(method: str, defaults: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """``{**defaults, **params}`` after checking every param name is one of ``defaults``.

    Args:
        method: registry name, for the message.
        defaults: every setting the method has, with its default value.
        params: what the caller (a preset, ``--param``) passed.

    Returns:
        The effective options: what identifies the method's outputs.

    Raises:
        ValueError: an unknown param, naming it and the allowed ones.

    Example:
        >>> resolve_options("m", {"steps": 50, "cfg": 7.5}, {"steps": 2})
        {'steps': 2, 'cfg': 7.5}
    """
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"{method}: unknown params {unknown}; allowed: {sorted(defaults)}")
    return {**defaults, **params}


def effective_dtype(dtype: str, device: str) -> str:
    """``auto`` as what it means on ``device`` (fp16 on CUDA, else fp32; :func:`pasd.pipeline.build.parse_dtype`).

    Adapters store this in ``options``: the cache key leaves the device out, so the dtype it
    implies must be in it (fp16 and fp32 outputs differ).

    Example:
        >>> effective_dtype("auto", "cuda:1"), effective_dtype("auto", "cpu"), effective_dtype("bf16", "cpu")
        ('fp16', 'fp32', 'bf16')
    """
    if dtype != "auto":
        return dtype
    return "fp16" if str(device).startswith("cuda") else "fp32"


def check_choice(method: str, key: str, value: Any, allowed: Mapping[str, Any] | tuple) -> None:
    """Raise ``ValueError`` naming ``value`` and the allowed set when ``value`` is not in ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{method}: {key}={value!r} is not one of {sorted(allowed)}")
