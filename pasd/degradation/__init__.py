"""Real-ESRGAN second-order degradation: reproducible per image, batched, CPU or GPU.

* :mod:`~pasd.degradation.config`: YAML presets -> :class:`DegradationConfig`.
* :mod:`~pasd.degradation.sampling`: per-image parameters from a generator seeded by (seed, id).
* :mod:`~pasd.degradation.pipeline`: :class:`DegradationPipeline` applies recorded parameters.
* :mod:`~pasd.degradation.dataset`: (HQ, LQ) pairs on the fly for training.
* :mod:`~pasd.degradation.synth`: build a synthetic LQ test set from an HQ folder.
* Primitives: :mod:`~pasd.degradation.kernels` (basicsr's kernel functions),
  :mod:`~pasd.degradation.noise` (basicsr's noise with an explicit generator),
  :mod:`~pasd.degradation.filters` and :mod:`~pasd.degradation.jpeg` (faster equivalents of
  basicsr's ``filter2D``/``USMSharp``/``DiffJPEG``, tested against them).

Byte-identical output whatever the batch size, order or worker count is tested on CPU. On a GPU
the parameters and noise are still identical (both are drawn on the CPU), but convolution
algorithms may differ from the CPU's, so CPU and GPU LQ sets can differ by rounding.
"""

from pasd.degradation.config import DEFAULT_CONFIG, DegradationConfig, list_configs, load_config
from pasd.degradation.dataset import DegradationCollate, DegradationDataset
from pasd.degradation.pipeline import DegradationPipeline
from pasd.degradation.sampling import image_rng, sample_params

__all__ = [
    "DEFAULT_CONFIG",
    "DegradationCollate",
    "DegradationConfig",
    "DegradationDataset",
    "DegradationPipeline",
    "image_rng",
    "list_configs",
    "load_config",
    "sample_params",
]
