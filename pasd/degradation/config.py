"""Degradation settings: a YAML data file -> a frozen, validated :class:`DegradationConfig`.

Shipped presets live in ``pasd/degradation/configs/``: ``pasd_x4`` (the default; PASD's
``params_realesrgan.yml``) and ``realesrgan_x4plus`` (Real-ESRGAN's published training options).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pasd.degradation.config_checks import as_tuple, check_final, check_kernel_sizes, check_stage

CONFIG_DIR = Path(__file__).parent / "configs"
DEFAULT_CONFIG = "pasd_x4"


@dataclass(frozen=True)
class StageConfig:
    """Random ranges of one degradation stage (blur -> resize -> noise -> JPEG)."""

    kernel_list: tuple[str, ...]
    kernel_prob: tuple[float, ...]
    sinc_prob: float
    blur_sigma: tuple[float, float]
    betag_range: tuple[float, float]
    betap_range: tuple[float, float]
    resize_prob: tuple[float, float, float]
    resize_range: tuple[float, float]
    resize_modes: tuple[str, ...]
    gaussian_noise_prob: float
    noise_range: tuple[float, float]
    poisson_scale_range: tuple[float, float]
    gray_noise_prob: float
    jpeg_range: tuple[float, float]
    blur_prob: float = 1.0


@dataclass(frozen=True)
class FinalConfig:
    """The last step: final sinc filter, resize to HQ/scale and its order relative to JPEG."""

    sinc_prob: float
    resize_modes: tuple[str, ...]
    resize_then_jpeg_prob: float


@dataclass(frozen=True)
class DegradationConfig:
    """All settings of the second-order Real-ESRGAN degradation (see the YAML presets)."""

    name: str
    scale: int
    kernel_sizes: tuple[int, ...]
    kernel_pad_to: int
    usm_input: bool
    usm_target: bool
    stage1: StageConfig
    stage2: StageConfig
    final: FinalConfig

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (recorded in manifests)."""
        return dataclasses.asdict(self)

    def with_scale(self, scale: int) -> DegradationConfig:
        """A copy with another output scale (the config's own scale is only the default)."""
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale!r}")
        return dataclasses.replace(self, scale=scale)


def _stage(raw: dict[str, Any], prefix: str) -> StageConfig:
    fields = {f.name for f in dataclasses.fields(StageConfig)}
    unknown = set(raw) - fields
    if unknown:
        raise KeyError(f"unknown keys in {prefix!r}: {sorted(unknown)!r}; allowed: {sorted(fields)!r}")
    kw = {k: as_tuple(v, f"{prefix}.{k}") if isinstance(v, list) else v for k, v in raw.items()}
    try:
        stage = StageConfig(**kw)
    except TypeError as exc:  # a missing key
        raise KeyError(f"{prefix}: {exc}") from None
    check_stage(stage, prefix)
    return stage


def config_from_dict(raw: dict[str, Any]) -> DegradationConfig:
    """Build and validate a config from its parsed YAML mapping.

    Raises:
        KeyError: unknown or missing keys.
        ValueError: out-of-range values, naming the key and the allowed range.
    """
    top = {f.name for f in dataclasses.fields(DegradationConfig)}
    if set(raw) != top:
        raise KeyError(f"config keys must be exactly {sorted(top)!r}; got {sorted(raw)!r}")
    final_raw = dict(raw["final"])
    final = FinalConfig(
        sinc_prob=float(final_raw.pop("sinc_prob")),
        resize_modes=as_tuple(final_raw.pop("resize_modes"), "final.resize_modes"),
        resize_then_jpeg_prob=float(final_raw.pop("resize_then_jpeg_prob")),
    )
    if final_raw:
        raise KeyError(f"unknown keys in 'final': {sorted(final_raw)!r}")
    check_final(final)
    sizes = tuple(int(k) for k in raw["kernel_sizes"])
    pad_to = int(raw["kernel_pad_to"])
    check_kernel_sizes(sizes, pad_to)
    cfg = DegradationConfig(
        name=str(raw["name"]),
        scale=int(raw["scale"]),
        kernel_sizes=sizes,
        kernel_pad_to=pad_to,
        usm_input=bool(raw["usm_input"]),
        usm_target=bool(raw["usm_target"]),
        stage1=_stage(raw["stage1"], "stage1"),
        stage2=_stage(raw["stage2"], "stage2"),
        final=final,
    )
    return cfg.with_scale(cfg.scale)


def list_configs() -> list[str]:
    """Names of the shipped presets."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load_config(name_or_path: str | Path | None = None) -> DegradationConfig:
    """Load a shipped preset by name, or a YAML file by path.

    Args:
        name_or_path: preset name (see :func:`list_configs`), a path to a YAML file, or ``None``
            for the default preset ``pasd_x4``.

    Returns:
        The validated config.

    Raises:
        KeyError: an unknown preset name that is not an existing file either.
        ValueError: invalid values in the file.
    """
    if name_or_path is None:
        name_or_path = DEFAULT_CONFIG
    path = Path(name_or_path)
    if not path.is_file():
        if str(name_or_path) not in list_configs():
            raise KeyError(
                f"no degradation config file or preset {str(name_or_path)!r}; presets: {list_configs()!r}"
            )
        path = CONFIG_DIR / f"{name_or_path}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"degradation config {str(path)!r} must be a YAML mapping")
    return config_from_dict(raw)
