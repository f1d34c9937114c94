"""PASD networks: degradation-removal ControlNet, UNet with pixel-aware cross attention, loaders.

Public API::

    PASDControlNetModel      ControlNet with the DR pyramid; forward -> (rgbs, down residuals, mid residual)
    PASDControlNetOutput     its output dataclass
    PASDUNet2DConditionModel SD UNet + PACA ("full" or "light"); forward(use_paca=False) = plain residual add
    DegradationRemovalModule the DR pyramid itself (ControlNet.controlnet_cond_embedding)
    dr_loss                  L_DR: sum over scales of L1(toRGB_s, resized GT in [-1, 1])
    load_pasd_unet / load_pasd_controlnet / load_pasd_models
                             strict loaders for released ``checkpoint-N/{unet,controlnet}`` folders
    load_pasd_release        the same, finding the folder through ``pasd.hub`` (artifact name)
    detect_paca_type         "full"/"light" from a UNet state dict's keys
    CheckpointMismatchError  raised by the loaders, naming missing/unexpected/mis-shaped keys
    SD15_UNET_CONFIG         SD1.5's UNet architecture (the size of every PASD release)

Importing this package imports torch and diffusers.
"""

from pasd.models.checkpoint_keys import CheckpointMismatchError, checkpoint_shapes
from pasd.models.configs import SD15_UNET_CONFIG
from pasd.models.controlnet import PASDControlNetModel, PASDControlNetOutput
from pasd.models.dr_module import DegradationRemovalModule
from pasd.models.loading import (
    detect_paca_type,
    load_pasd_controlnet,
    load_pasd_models,
    load_pasd_release,
    load_pasd_unet,
    release_checkpoint_dir,
)
from pasd.models.losses import dr_loss
from pasd.models.paca import PACA_TYPES
from pasd.models.unet import PASDUNet2DConditionModel

__all__ = [
    "PACA_TYPES",
    "SD15_UNET_CONFIG",
    "CheckpointMismatchError",
    "DegradationRemovalModule",
    "PASDControlNetModel",
    "PASDControlNetOutput",
    "PASDUNet2DConditionModel",
    "checkpoint_shapes",
    "detect_paca_type",
    "dr_loss",
    "load_pasd_controlnet",
    "load_pasd_models",
    "load_pasd_release",
    "load_pasd_unet",
    "release_checkpoint_dir",
]
