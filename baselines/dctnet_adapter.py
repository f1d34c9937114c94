"""DCT-Net (Men et al., TOG 2022) through ModelScope's own pipeline (Table 2, GAN row).

DCT-Net's released models are TensorFlow frozen graphs served by ModelScope's
``ImageCartoonPipeline`` (task ``image_portrait_stylization``), which is the official inference
(DCT-Net's ``run_sdk.py``): the whole image through the background graph at <= 720 px short
side padded to 16, each detected face aligned, stylized by the head graph and blended back
with the released alpha mask, then resized to the input size. When no face is found the
pipeline returns the background result as it is, so an image whose short side is over 720 px
comes back at 720 px short side (ModelScope 1.40's ``ImageCartoonPipeline.forward``; kept, as
``run_sdk.py`` writes it). We call that pipeline unchanged, so this needs TensorFlow and
ModelScope: the optional extra ``pasd-bench[dctnet]``. Tested on a random release folder
(:mod:`baselines.dctnet_release`) against ``run_sdk.py`` by ``nox -s tests_dctnet``.
Like the other GAN rows these are the released (anime) weights, not the paper's ToonYou retrain.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import numpy as np

from baselines.base import METHODS, Method, MethodNotAvailableError
from baselines.gan_stylizers import RELEASED_WEIGHTS_NOTE
from baselines.options import check_choice, resolve_options

#: what the extra installs, by import name
EXTRA_MODULES = ("tensorflow", "modelscope")
INSTALL_HINT = "not available: pip install pasd-bench[dctnet]"
#: style param -> pasd.hub artifact (other released styles need their own artifact entries)
STYLES = {"anime": "dct-net"}


def missing_modules() -> list[str]:
    """The import names of the ``[dctnet]`` extra that are not installed."""
    return [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]


def import_tensorflow_safely() -> None:
    """Import triton (when installed) before TensorFlow: loaded the other way round, the process dies.

    With tensorflow-cpu 2.21 and triton 3.8 (torch 2.14's), ``import tensorflow; import triton``
    is a segmentation fault, and ModelScope imports triton itself (through transformers and
    ``torch._dynamo``), so TensorFlow must come second.

    Raises:
        MethodNotAvailableError: TensorFlow is already imported and triton is not (importing it now would crash).
    """
    if importlib.util.find_spec("triton") is not None and "triton" not in sys.modules:
        if "tensorflow" in sys.modules:
            raise MethodNotAvailableError(
                "dct-net: TensorFlow was imported before triton in this process, and importing triton "
                "after it crashes (tensorflow-cpu 2.21 / triton 3.8); run dct-net in a fresh process"
            )
        importlib.import_module("triton")
    importlib.import_module("tensorflow")


def to_rgb_uint8(output_bgr: np.ndarray) -> np.ndarray:
    """ModelScope's ``OUTPUT_IMG`` (float BGR, what ``cv2.imwrite`` receives in ``run_sdk.py``) as uint8 RGB.

    ``cv2.imwrite`` converts a float image with ``saturate_cast``: round half to even, clip to
    [0, 255]; ``np.rint`` rounds the same way.
    """
    out = np.clip(np.rint(np.asarray(output_bgr, dtype=np.float64)), 0, 255).astype(np.uint8)
    if out.ndim != 3 or out.shape[2] != 3:
        raise ValueError(f"dct-net: expected an (H, W, 3) BGR output, got shape {out.shape}")
    return np.ascontiguousarray(out[:, :, ::-1])


@METHODS.register("dct-net")
class DCTNetMethod(Method):
    """DCT-Net anime style via ModelScope (TensorFlow picks its own device; ``device`` is not used).

    Params:
        style: ``anime`` (``damo/cv_unet_person-image-cartoon_compound-models``).
    """

    name = "dct-net"
    task = "stylization"
    scale = 1
    weights = ("dct-net",)
    note = RELEASED_WEIGHTS_NOTE
    defaults = {"style": "anime"}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        missing = missing_modules()
        if missing:
            raise MethodNotAvailableError(
                f"{INSTALL_HINT} (DCT-Net runs ModelScope's TensorFlow pipeline; missing: {', '.join(missing)})"
            )
        super().__init__(device=device, **params)
        self.options = resolve_options(self.name, self.defaults, params)
        check_choice(self.name, "style", self.options["style"], STYLES)
        self.weights = (STYLES[self.options["style"]],)

    @property
    def label(self) -> str:
        return f"{self.name} (released weights)"

    def load(self) -> None:
        import_tensorflow_safely()
        from modelscope.pipelines import pipeline
        from modelscope.utils.constant import Tasks

        from pasd import hub

        model_dir = str(hub.resolve(self.weights[0]))
        # ModelScope's facelib/config.py sets CUDA_VISIBLE_DEVICES = "0" when it is imported (inside
        # pipeline()); left so, it would hide the user's GPUs from torch for the rest of the run
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        try:
            self.pipe = pipeline(Tasks.image_portrait_stylization, model=model_dir)
        finally:
            if visible is None:
                os.environ.pop("CUDA_VISIBLE_DEVICES", None)
            else:
                os.environ["CUDA_VISIBLE_DEVICES"] = visible

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        from modelscope.outputs import OutputKeys
        from PIL import Image

        # a PIL image is taken as RGB by ModelScope's LoadImage (a numpy array would be read as BGR)
        result = self.pipe(Image.fromarray(image))
        return to_rgb_uint8(result[OutputKeys.OUTPUT_IMG])
