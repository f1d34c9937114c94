"""Read a released baseline checkpoint the way its official code does, and build the network with spandrel.

Released ``.pth`` files wrap the state dict differently (``{"params_ema": ...}``, ``{"params": ...,
"params_ema": ...}``, or no wrapper), and the official test scripts choose between the wrappers
differently. spandrel's own ``load_from_file`` always prefers ``params_ema`` (its
``canonicalize_state_dict``), which is wrong for LDL, whose test config names ``param_key_g:
params``. So the file is read here with the method's own rule (:data:`KEY_RULES`) and only the
chosen state dict is handed to spandrel for architecture detection and strict loading.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

#: rule name -> (wrapper keys tried in order, whether an unwrapped state dict is accepted)
KEY_RULES: dict[str, tuple[tuple[str, ...], bool]] = {
    # RealESRGANer.__init__: "prefer to use params_ema", else loadnet["params"] (KeyError otherwise)
    "params_ema>params": (("params_ema", "params"), False),
    # basicsr BaseModel.load_network(param_key="params") as LDL's test yml configures it: the
    # "params" entry when present, else the loaded dict itself (its try/except falls through)
    "params>raw": (("params",), True),
    # main_test_swinir.py real_sr: pretrained_model["params_ema"] if present, else the dict itself
    "params_ema>raw": (("params_ema",), True),
    # FeMaSR inference_femasr.py: torch.load(weight_path)["params"]
    "params": (("params",), False),
    # BSRGAN main_test_bsrgan.py: model.load_state_dict(torch.load(model_path)), no wrapper
    "raw": ((), True),
    # a single named wrapper, for overriding a rule (e.g. to compare LDL's "params_ema")
    "params_ema": (("params_ema",), False),
}


def _is_state_dict(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def select_state_dict(loaded: Any, rule: str, source: str = "checkpoint") -> tuple[dict, str]:
    """Apply a :data:`KEY_RULES` rule to what ``torch.load`` returned.

    Args:
        loaded: the unpickled file.
        rule: a key of :data:`KEY_RULES`.
        source: the file, for messages.

    Returns:
        ``(state_dict, chosen)`` where ``chosen`` is the wrapper key used or ``"raw"``. A leading
        ``module.`` (DataParallel) is stripped, as basicsr's ``load_network`` does.

    Raises:
        ValueError: for an unknown rule, or a file the rule cannot read (names the keys found).
    """
    if rule not in KEY_RULES:
        raise ValueError(f"param_key rule {rule!r} is not one of {sorted(KEY_RULES)}")
    keys, raw_ok = KEY_RULES[rule]
    if not isinstance(loaded, dict):
        raise ValueError(f"{source}: expected a dict, got {type(loaded).__name__}")
    chosen = next((k for k in keys if isinstance(loaded.get(k), dict)), None)
    if chosen is not None:
        state = loaded[chosen]
    elif raw_ok and _is_state_dict(loaded):
        state, chosen = loaded, "raw"
    else:
        found = sorted(loaded)[:8]
        want = " or ".join(repr(k) for k in keys) + (" or an unwrapped state dict" if raw_ok else "")
        raise ValueError(f"{source}: rule {rule!r} needs {want}; the file's top-level keys are {found}")
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return dict(state), chosen


def read_checkpoint(path: str | Path, rule: str) -> tuple[dict, str]:
    """``torch.load`` a ``.pth`` on the CPU (tensors only: ``weights_only``) and apply ``rule``.

    Raises:
        ValueError: the file is not a loadable checkpoint, or the rule cannot read it.
    """
    path = Path(path)
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated download or a non-checkpoint file: say which file
        raise ValueError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from exc
    return select_state_dict(loaded, rule, str(path))


def load_network(state: dict, arch: str, scale: int, *, extra: bool = False, source: str = "checkpoint"):
    """Build the spandrel model for ``state`` and check it is the expected architecture and scale.

    Args:
        state: the state dict (as :func:`select_state_dict` returns it).
        arch: spandrel architecture id the file must be (``"ESRGAN"``, ``"SwinIR"``, ``"FeMaSR"``).
        scale: expected upscaling factor.
        extra: detect with ``spandrel_extra_arches``' registry (non-commercial architectures) instead
            of spandrel's main one; the caller checks the package is installed.
        source: the file, for messages.

    Returns:
        spandrel's ``ImageModelDescriptor`` (the ``torch.nn.Module`` is its ``.model``), on the CPU, eval mode.

    Raises:
        ValueError: the state dict is not an ``arch`` x``scale`` model.
    """
    from spandrel import MAIN_REGISTRY, ModelLoader, UnsupportedModelError

    registry = MAIN_REGISTRY
    if extra:
        from spandrel_extra_arches import EXTRA_REGISTRY

        registry = EXTRA_REGISTRY
    try:
        desc = ModelLoader("cpu", registry=registry).load_from_state_dict(state)
    except UnsupportedModelError as exc:
        raise ValueError(f"{source}: spandrel does not recognise this state dict as {arch}") from exc
    except (RuntimeError, KeyError) as exc:  # detected, but shapes/keys do not fit the architecture
        raise ValueError(f"{source}: not a loadable {arch} state dict ({type(exc).__name__}: {exc})") from exc
    if desc.architecture.id != arch or desc.scale != scale:
        raise ValueError(
            f"{source}: expected a x{scale} {arch} model, spandrel found x{desc.scale} {desc.architecture.id}"
        )
    desc.model.eval()
    return desc
