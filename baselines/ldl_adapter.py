"""LDL (Liang et al. 2022), Real-ESRGAN + LDL x4, as LDL's basicsr test pipeline runs it.

Official procedure (csjliang/LDL ``options/test/LDL/test_LDL_Realworld_x4.yml`` run by
``basicsr/test.py``, read at 2d22ddd):

* weights: ``net_g_RealESRGAN+LDL.pth`` with ``param_key_g: params``. LDL trains with
  ``ema_decay: 0.999`` (``options/train/LDL/train_Realworld_LDL.yml``), and basicsr's
  ``ESRGANModel.save`` then writes **both** ``params`` and ``params_ema`` (inferred from the code;
  the released file was not available to inspect). The test config loads ``params``; spandrel's
  ``load_from_file`` would take ``params_ema``, a different network. So the file is read with the config's key
  (``BaseModel.load_network``: ``load_net["params"]`` if present, else the dict; ``module.`` stripped);
* ``SRModel.test``: no ``net_g_ema`` at test time, so ``net_g`` on the whole image, fp32;
* input ``imfrombytes(float32=True)`` = ``x / 255``; output ``tensor2img``: ``clamp_(0, 1)``,
  ``(x * 255).round()``. (LDL's ``inference/inference.py`` does the same with ``["params"]``.)

``tile > 0`` is our addition (``"feather"`` blend, overlap 32).
"""

from __future__ import annotations

from baselines.base import METHODS
from baselines.feedforward import FeedForwardSR


@METHODS.register("ldl")
class LDLMethod(FeedForwardSR):
    """Real-ESRGAN + LDL x4: the ``params`` weights the official test config names, whole image, fp32."""

    name = "ldl"
    artifact = "ldl"
    arch = "ESRGAN"
    defaults = {"tile": 0, "tile_overlap": 32, "tile_blend": "feather", "param_key": "params>raw"}
    fixed = {"pad": "none", "rounding": "round"}
