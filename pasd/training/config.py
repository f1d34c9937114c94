"""Training settings as data: shipped TOML configs (``pasd/training/configs/``) -> :class:`TrainConfig`.

A config file groups its keys in sections (``[model]``, ``[loss]``, ``[data]``, ``[optim]``,
``[run]``) and may start from another one with ``extends = "pasd"``; every key has exactly one
section, so ``--set dr=false`` and ``--set model.dr=false`` mean the same override.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_DIR = Path(__file__).parent / "configs"
MIXED_PRECISIONS = ("no", "fp16", "bf16")
#: diffusers.optimization.get_scheduler names we expose (the official script's --lr_scheduler choices)
LR_SCHEDULERS = ("constant", "constant_with_warmup", "linear", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a PASD training run (defaults: the ``pasd`` recipe; see ``configs/pasd.toml``).

    Model:
        base: The SD1.5 base: a ``pasd.hub`` artifact (``sd15``), a diffusers folder, or ``tiny``
            (the random tiny SD of :mod:`pasd.tiny`, for plumbing runs).
        paca_type: ``"full"`` (``pasd``, ``pasd_rrdb``) or ``"light"`` (``pasd_light``).
        use_rrdb: Two RRDB blocks in the degradation-removal module (``pasd_rrdb``).
        dr: Table 3 switch: False removes the toRGB heads and the ``L_DR`` term (variant (a)).
        paca: Fig. 7(b) switch: False trains with ControlNet residual addition only; the PACA
            layers stay at their initial values, unused (run the result with ``use_paca=False``).

    Loss:
        dr_weight: ``alpha`` of Eq. 5 (paper: 1).
        null_prompt_prob: Probability that a caption is replaced by "" (paper: 0.5).

    Data:
        data: HQ image folders (captions from ``<stem>.txt`` beside an image when present).
        resolution: Random square crop of each HQ image (images smaller than it are skipped).
        degradation: A :mod:`pasd.degradation` preset name or YAML path.
        hflip: Random horizontal flip.
        num_workers: DataLoader worker processes (degradation runs in them).
        val_data: HQ folder for validation (default: the first training images).
        val_images: How many validation images.
        val_every: Validate every N steps (0: never).
        val_steps: Denoising steps of the validation pipeline.

    Optim:
        learning_rate, adam_beta1, adam_beta2, weight_decay, adam_epsilon: AdamW settings.
        max_grad_norm: Gradient clipping (L2 norm over all trainable parameters).
        lr_scheduler, lr_warmup_steps: diffusers ``get_scheduler`` name; warm-up in optimizer steps.
        batch_size: Per process.
        gradient_accumulation_steps: Micro-batches per optimizer step.

    Run:
        max_steps: Optimizer steps in total.
        checkpoint_every: Save ``checkpoint-N`` every N steps (and always at the end).
        keep_checkpoints: Keep only the newest K checkpoints (None: all, as the official default).
        log_every: Write a CSV/TensorBoard row every N steps.
        mixed_precision: ``no``, ``fp16`` or ``bf16`` (frozen VAE/text encoder run in that dtype).
        gradient_checkpointing: Recompute activations in backward (UNet and ControlNet).
        allow_tf32: TF32 matmuls on Ampere+ GPUs.
        seed: Seeds crops, degradations, null prompts, noise and timesteps (per sample).
    """

    name: str = "custom"
    description: str = ""
    # model
    base: str = "sd15"
    paca_type: Literal["full", "light"] = "full"
    use_rrdb: bool = False
    dr: bool = True
    paca: bool = True
    # loss
    dr_weight: float = 1.0
    null_prompt_prob: float = 0.5
    # data
    data: tuple[str, ...] = ()
    resolution: int = 512
    degradation: str = "pasd_x4"
    hflip: bool = True
    num_workers: int = 4
    val_data: str | None = None
    val_images: int = 4
    val_every: int = 0
    val_steps: int = 20
    # optim
    learning_rate: float = 5e-5
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    weight_decay: float = 1e-2
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    lr_scheduler: str = "constant"
    lr_warmup_steps: int = 0
    batch_size: int = 4
    gradient_accumulation_steps: int = 2
    # run
    max_steps: int = 500_000
    checkpoint_every: int = 10_000
    keep_checkpoints: int | None = None
    log_every: int = 10
    mixed_precision: str = "fp16"
    gradient_checkpointing: bool = False
    allow_tf32: bool = False
    seed: int = 0
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check(self)

    def as_dict(self) -> dict[str, Any]:
        """The resolved settings (stored as ``train_config.json`` in the run folder)."""
        out = dataclasses.asdict(self)
        out["data"] = list(self.data)
        return out

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (validated; unknown keys -> ValueError)."""
        _check_keys(changes)
        return dataclasses.replace(self, **_coerce(changes))


#: section -> keys; a config file's keys must sit in their section
SECTIONS: dict[str, tuple[str, ...]] = {
    "model": ("base", "paca_type", "use_rrdb", "dr", "paca"),
    "loss": ("dr_weight", "null_prompt_prob"),
    "data": ("data", "resolution", "degradation", "hflip", "num_workers", "val_data", "val_images",
             "val_every", "val_steps"),
    "optim": ("learning_rate", "adam_beta1", "adam_beta2", "weight_decay", "adam_epsilon", "max_grad_norm",
              "lr_scheduler", "lr_warmup_steps", "batch_size", "gradient_accumulation_steps"),
    "run": ("max_steps", "checkpoint_every", "keep_checkpoints", "log_every", "mixed_precision",
            "gradient_checkpointing", "allow_tf32", "seed"),
}  # fmt: skip
_TOP = ("name", "description", "extends")
_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
#: settings that may change when a run is resumed (they do not change what a step computes)
RESUMABLE_CHANGES = ("max_steps", "checkpoint_every", "keep_checkpoints", "log_every", "num_workers", "val_data",
                     "val_images", "val_every", "val_steps", "description", "name")  # fmt: skip


def _check_keys(keys: Any) -> None:
    allowed = [k for k in _FIELDS if k != "source"]
    for key in keys:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=3)
            hint = f"; did you mean {close}?" if close else ""
            raise ValueError(f"unknown training setting {key!r}{hint} allowed: {sorted(allowed)}")


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "data" in out:
        data = out["data"]
        out["data"] = (data,) if isinstance(data, str) else tuple(str(d) for d in data)
    for key in ("learning_rate", "adam_beta1", "adam_beta2", "weight_decay", "adam_epsilon", "max_grad_norm",
                "dr_weight", "null_prompt_prob"):  # fmt: skip
        if key in out and isinstance(out[key], int) and not isinstance(out[key], bool):
            out[key] = float(out[key])
    return out


def _check(cfg: TrainConfig) -> None:
    """Validate types and ranges, naming the bad value and what is allowed."""
    for name, f in _FIELDS.items():
        value = getattr(cfg, name)
        kind = f.type if isinstance(f.type, str) else str(f.type)
        if kind.startswith("bool") and not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false, got {value!r}")
        if kind.startswith("int") and (isinstance(value, bool) or not isinstance(value, int)):
            if not (kind.endswith("None") and value is None):
                raise TypeError(f"{name} must be an integer, got {value!r}")
        if kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise TypeError(f"{name} must be a number, got {value!r}")
    if cfg.paca_type not in ("full", "light"):
        raise ValueError(f"paca_type={cfg.paca_type!r} is not one of ('full', 'light')")
    if cfg.mixed_precision not in MIXED_PRECISIONS:
        raise ValueError(f"mixed_precision={cfg.mixed_precision!r} is not one of {MIXED_PRECISIONS}")
    if cfg.lr_scheduler not in LR_SCHEDULERS:
        raise ValueError(f"lr_scheduler={cfg.lr_scheduler!r} is not one of {LR_SCHEDULERS}")
    if not 0.0 <= cfg.null_prompt_prob <= 1.0:
        raise ValueError(f"null_prompt_prob must be in [0, 1], got {cfg.null_prompt_prob}")
    if cfg.resolution < 64 or cfg.resolution % 64:
        raise ValueError(f"resolution must be a positive multiple of 64, got {cfg.resolution}")
    positive = ("batch_size", "gradient_accumulation_steps", "max_steps", "checkpoint_every", "log_every",
                "val_images", "val_steps")  # fmt: skip
    for name in positive:
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    for name in ("num_workers", "val_every", "lr_warmup_steps"):
        if getattr(cfg, name) < 0:
            raise ValueError(f"{name} must be >= 0, got {getattr(cfg, name)}")
    if cfg.keep_checkpoints is not None and cfg.keep_checkpoints < 1:
        raise ValueError(f"keep_checkpoints must be >= 1 or unset, got {cfg.keep_checkpoints}")
    if cfg.learning_rate <= 0 or cfg.max_grad_norm <= 0 or cfg.dr_weight < 0:
        raise ValueError(
            f"need learning_rate > 0, max_grad_norm > 0, dr_weight >= 0; got {cfg.learning_rate}, "
            f"{cfg.max_grad_norm}, {cfg.dr_weight}"
        )


def list_configs() -> list[str]:
    """Names of the shipped configs."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.toml"))


def _read(name_or_path: str | Path, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    path = Path(name_or_path)
    if not path.suffix:
        shipped = CONFIG_DIR / f"{name_or_path}.toml"
        if not shipped.is_file():
            close = difflib.get_close_matches(str(name_or_path), list_configs(), n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise ValueError(
                f"unknown training config {str(name_or_path)!r}.{hint} Shipped: {list_configs()}; "
                "or pass a .toml file"
            )
        path = shipped
    if not path.is_file():
        raise FileNotFoundError(f"training config {path} not found")
    if str(path.resolve()) in seen:
        raise ValueError(f"config {path} extends itself (chain: {' -> '.join(seen)})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SECTIONS:
            if not isinstance(value, dict):
                raise ValueError(f"{path}: [{key}] must be a table")
            for sub, sub_value in value.items():
                if sub not in SECTIONS[key]:
                    owner = next((s for s, keys in SECTIONS.items() if sub in keys), None)
                    where = f"; it belongs in [{owner}]" if owner else ""
                    raise ValueError(f"{path}: {sub!r} is not a [{key}] setting{where}")
                flat[sub] = sub_value
        elif key in _TOP:
            flat[key] = value
        else:
            raise ValueError(f"{path}: unknown key {key!r}; allowed: sections {sorted(SECTIONS)} and {_TOP}")
    parent = flat.pop("extends", None)
    if parent is not None:
        base, _ = _read(parent if Path(str(parent)).suffix else str(parent), (*seen, str(path.resolve())))
        base.pop("description", None)
        flat = {**base, **flat}
    return flat, str(path)


def parse_override(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` (``VALUE`` a TOML literal, else a plain string) -> ``(key, value)``.

    Example:
        >>> parse_override("dr=false"), parse_override("model.base=/models/sd15")
        (('dr', False), ('base', '/models/sd15'))

    Raises:
        ValueError: Without ``=``, or for a section prefix that does not own the key.
    """
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"override {item!r} is not KEY=VALUE")
    if "." in key:
        section, _, key = key.partition(".")
        if section not in SECTIONS or key not in SECTIONS[section]:
            raise ValueError(f"{section}.{key} is not a setting; sections: {sorted(SECTIONS)}")
    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    return key, value


def load_train_config(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Load a shipped config by name (``pasd``, ``tiny``, ...) or a TOML file, then apply ``overrides``.

    Args:
        name_or_path: A name from :func:`list_configs` or a path to a ``.toml`` file.
        overrides: Settings that replace the file's (e.g. ``{"dr": False, "max_steps": 20}``).

    Returns:
        The validated config.

    Raises:
        ValueError: Unknown config name or key, bad value, invalid TOML, circular ``extends``.
        TypeError: A value of the wrong type.
        FileNotFoundError: A config path that does not exist.
    """
    flat, source = _read(name_or_path)
    flat.update(overrides or {})
    _check_keys(flat)
    return TrainConfig(**_coerce(flat), source=source)
