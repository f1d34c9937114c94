"""BSRGAN x4 (Zhang et al. 2021) as ``main_test_bsrgan.py`` runs it.

Official procedure (cszn/BSRGAN ``main_test_bsrgan.py`` + ``utils/utils_image.py``, read at 5ce1a9c;
KAIR carries the same ``utils_image`` helpers):

* weights: ``BSRGAN.pth`` is a bare state dict in the old ESRGAN key layout (``conv_first``,
  ``RRDB_trunk.N.RDBk.convj``, ``trunk_conv``, ``upconv1/2``, ``HRconv``, ``conv_last``), loaded
  with ``model.load_state_dict(torch.load(model_path), strict=True)``; RRDBNet nf 64, nb 23, gc 32;
* the whole image in one call (the script has no tiling), fp32 (the model is never halved);
* ``uint2tensor4``: ``float().div(255.)``; ``tensor2uint``: ``clamp_(0, 1)``, ``np.uint8((x * 255).round())``.

``tile > 0`` is our addition for images too large for one call (``"feather"`` blend, overlap 32).
"""

from __future__ import annotations

from baselines.base import METHODS
from baselines.feedforward import FeedForwardSR


@METHODS.register("bsrgan")
class BSRGANMethod(FeedForwardSR):
    """BSRGAN x4: whole image, fp32, round."""

    name = "bsrgan"
    artifact = "bsrgan"
    arch = "ESRGAN"
    defaults = {"tile": 0, "tile_overlap": 32, "tile_blend": "feather", "param_key": "raw"}
    fixed = {"pad": "none", "rounding": "round"}
