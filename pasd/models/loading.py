"""Load released PASD checkpoints (``checkpoint-N/{unet,controlnet}``) into our classes, strictly.

The released folders are diffusers ``save_pretrained`` output of yangxy/PASD's own classes, so
their ``config.json`` names ``UNet2DConditionModel``/``ControlNetModel`` and does not say which
PACA layout the UNet has: :func:`detect_paca_type` reads it off the weight names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import torch

from pasd.models.checkpoint_keys import checkpoint_shapes, compare_shapes
from pasd.models.controlnet import PASDControlNetModel
from pasd.models.paca import PACA_TYPES, PacaType
from pasd.models.unet import PASDUNet2DConditionModel

logger = logging.getLogger(__name__)


def detect_paca_type(keys: Iterable[str]) -> PacaType:
    """Which PACA layout a UNet state dict has: ``"full"`` (``pixel_attentions``) or ``"light"`` (``attn2_plus``).

    Raises:
        ValueError: If the keys have no PACA weights (a plain SD UNet: use
            :meth:`PASDUNet2DConditionModel.from_sd_unet` to start training from it).
    """
    keys = list(keys)
    if any(".pixel_attentions." in k for k in keys):
        return "full"
    if any(".attn2_plus." in k for k in keys):
        return "light"
    raise ValueError(
        "no PACA weights (neither 'pixel_attentions' nor 'attn2_plus' keys): this looks like a plain SD UNet; "
        "build a PASD UNet from it with PASDUNet2DConditionModel.from_sd_unet"
    )


def _expected_shapes(model_cls: type, folder: Path, **overrides: object) -> dict[str, tuple[int, ...]]:
    config = model_cls.load_config(str(folder))
    config.update(overrides)
    with torch.device("meta"):  # layout only: no memory, no init time
        model = model_cls.from_config(config)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def load_pasd_unet(
    path: str | Path, paca_type: PacaType | None = None, torch_dtype: torch.dtype | None = None
) -> PASDUNet2DConditionModel:
    """Load a released (or our own) PASD UNet folder with strict key and shape checking.

    Args:
        path: The ``unet`` folder (``config.json`` + ``diffusion_pytorch_model.*``).
        paca_type: ``"full"``/``"light"``; detected from the weights when None.
        torch_dtype: Load in this dtype (default float32).

    Returns:
        The model in eval mode.

    Raises:
        FileNotFoundError: If the folder or its weights are missing.
        ValueError: For an unknown ``paca_type`` or weights without PACA layers.
        CheckpointMismatchError: Listing missing/unexpected keys and shape mismatches.
    """
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder / 'config.json'} not found (expected a diffusers model folder)")
    found = checkpoint_shapes(folder)
    if paca_type is None:
        paca_type = detect_paca_type(found)
    elif paca_type not in PACA_TYPES:
        raise ValueError(f"paca_type={paca_type!r} is not one of {PACA_TYPES}")
    expected = _expected_shapes(PASDUNet2DConditionModel, folder, paca_type=paca_type)
    compare_shapes(expected, found, f"UNet weights in {folder} (paca_type={paca_type!r})")
    model = PASDUNet2DConditionModel.from_pretrained(
        str(folder), paca_type=paca_type, torch_dtype=torch_dtype
    )
    logger.info("loaded PASD UNet (%s PACA) from %s", paca_type, folder)
    return model.eval()


def load_pasd_controlnet(path: str | Path, torch_dtype: torch.dtype | None = None) -> PASDControlNetModel:
    """Load a released (or our own) PASD ControlNet folder with strict key and shape checking.

    ``use_rrdb`` comes from the folder's ``config.json`` (the ``pasd_rrdb`` release sets it).

    Args:
        path: The ``controlnet`` folder.
        torch_dtype: Load in this dtype (default float32).

    Returns:
        The model in eval mode.

    Raises:
        FileNotFoundError: If the folder or its weights are missing.
        CheckpointMismatchError: Listing missing/unexpected keys and shape mismatches.
    """
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder / 'config.json'} not found (expected a diffusers model folder)")
    found = checkpoint_shapes(folder)
    compare_shapes(_expected_shapes(PASDControlNetModel, folder), found, f"ControlNet weights in {folder}")
    model = PASDControlNetModel.from_pretrained(str(folder), torch_dtype=torch_dtype)
    logger.info("loaded PASD ControlNet (use_rrdb=%s) from %s", model.config.use_rrdb, folder)
    return model.eval()


def load_pasd_models(
    checkpoint_dir: str | Path, paca_type: PacaType | None = None, torch_dtype: torch.dtype | None = None
) -> tuple[PASDUNet2DConditionModel, PASDControlNetModel]:
    """Load ``<checkpoint_dir>/unet`` and ``<checkpoint_dir>/controlnet`` (the released layout).

    Args:
        checkpoint_dir: e.g. the unpacked ``runs/pasd/checkpoint-100000`` (``pasd.hub.resolve("pasd")``).
        paca_type: Forced PACA layout; detected when None.
        torch_dtype: Load in this dtype.

    Returns:
        ``(unet, controlnet)``.

    Raises:
        FileNotFoundError: If either subfolder is missing.
        CheckpointMismatchError: If the weights do not match.
    """
    root = Path(checkpoint_dir)
    for sub in ("unet", "controlnet"):
        if not (root / sub).is_dir():
            raise FileNotFoundError(
                f"{root / sub} not found; a PASD checkpoint folder holds 'unet' and 'controlnet'"
            )
    unet = load_pasd_unet(root / "unet", paca_type=paca_type, torch_dtype=torch_dtype)
    return unet, load_pasd_controlnet(root / "controlnet", torch_dtype=torch_dtype)


def release_checkpoint_dir(name: str = "pasd", path: str | Path | None = None) -> Path:
    """The ``checkpoint-N`` folder (holding ``unet``/``controlnet``) of a PASD artifact on disk.

    Args:
        name: A ``pasd.hub`` artifact (``pasd``, ``pasd_rrdb``, ``pasd_light``, ...).
        path: An explicit root to look in first (as ``pasd.hub.resolve``).

    Returns:
        The folder, e.g. ``<root>/pasd/checkpoint-100000``.

    Raises:
        MissingWeightsError: If the artifact is not on disk (names the paths searched).
        KeyError: For an unknown artifact name.
        ValueError: If the artifact does not list a ``unet/config.json``.
    """
    from pasd.hub import resolve
    from pasd.hub.registry import get_artifact

    root = resolve(name, path)
    configs = [f.path for f in get_artifact(name).files if f.path.endswith("unet/config.json")]
    if len(configs) != 1:
        raise ValueError(f"artifact {name!r} lists {len(configs)} unet/config.json files; expected exactly 1")
    return root / Path(configs[0]).parent.parent


def load_pasd_release(
    name: str = "pasd", path: str | Path | None = None, torch_dtype: torch.dtype | None = None
) -> tuple[PASDUNet2DConditionModel, PASDControlNetModel]:
    """Find a released PASD checkpoint through ``pasd.hub`` and load it strictly.

    Args:
        name: The artifact name (``pasd``, ``pasd_rrdb``, ``pasd_light``, ...).
        path: An explicit root to look in first.
        torch_dtype: Load in this dtype.

    Returns:
        ``(unet, controlnet)``.

    Raises:
        MissingWeightsError: If the weights are not on disk (``pasd-bench weights fetch NAME``).
        CheckpointMismatchError: If the weights do not match the model.
    """
    return load_pasd_models(release_checkpoint_dir(name, path), torch_dtype=torch_dtype)
