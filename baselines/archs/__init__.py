"""Small generator architectures of the Table 2 GAN stylizers, written here to load the released weights.

Each class reproduces the parameter names and shapes of the released PyTorch state dicts
exactly (``load_state_dict(strict=True)``), so the files the authors publish load unchanged.
"""

from baselines.archs.animegan import AnimeGANv2Generator
from baselines.archs.cartoongan import CartoonGANGenerator

__all__ = ["AnimeGANv2Generator", "CartoonGANGenerator"]
