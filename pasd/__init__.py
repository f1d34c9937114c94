"""Pixel-Aware Stable Diffusion (PASD): model, pipeline, degradation synthesizer and weights registry.

Importing :mod:`pasd` is cheap (no torch import). It installs the basicsr/torchvision
compatibility finder so that ``import basicsr`` works anywhere in the process afterwards.
"""

from pasd.compat.basicsr_shim import install as _install_basicsr_shim

__version__ = "0.1.0"

_install_basicsr_shim()
