"""AnimeGANv2's generator, in the layout of the PyTorch port's weights (bryandlee/animegan2-pytorch).

Architecture facts (read from the port's ``model.py``): blocks ``block_a`` ... ``block_e`` and
``out_layer`` of "conv units" (reflection pad, bias-free conv, GroupNorm with one group, LeakyReLU
0.2) and inverted residual blocks (1x1 expand x2, depthwise 3x3 with bias, 1x1 project,
GroupNorm; identity skip when the widths match). Stride-2 convs pad only right and bottom by 1
(TensorFlow's "SAME" for even sizes). Between blocks the decoder upsamples bilinearly: with
``align_corners=True`` to the encoder's sizes (the port's default ``forward``, used by
``face2paint``), with ``align_corners=False`` by a factor of 2 (``test.py``'s default
``--upsample_align False``). Parameter names are the ``nn.Sequential`` indices those modules
produce, e.g. ``block_c.1.layers.1.1.weight``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _conv_unit(
    cin: int,
    cout: int,
    kernel: int = 3,
    stride: int = 1,
    pad: int | tuple = 1,
    groups: int = 1,
    bias: bool = False,
) -> nn.Sequential:
    # indices 0..3 (pad, conv, norm, act) are part of the released parameter names
    return nn.Sequential(
        nn.ReflectionPad2d(pad),
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=0, groups=groups, bias=bias),
        nn.GroupNorm(1, cout, affine=True),
        nn.LeakyReLU(0.2, inplace=True),
    )


class InvertedResidual(nn.Module):
    """MobileNetV2-style block: 1x1 expand, depthwise 3x3, 1x1 project, GroupNorm (+ skip)."""

    def __init__(self, cin: int, cout: int, expansion: float = 2) -> None:
        super().__init__()
        self.use_res_connect = cin == cout
        mid = int(round(cin * expansion))
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(_conv_unit(cin, mid, kernel=1, pad=0))
        layers += [
            _conv_unit(mid, mid, groups=mid, bias=True),
            nn.Conv2d(mid, cout, kernel_size=1, padding=0, bias=False),
            nn.GroupNorm(1, cout, affine=True),
        ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(x)
        return x + out if self.use_res_connect else out


class AnimeGANv2Generator(nn.Module):
    """AnimeGANv2 generator: RGB in [-1, 1] -> RGB in [-1, 1] (tanh)."""

    def __init__(self) -> None:
        super().__init__()
        down = (0, 1, 0, 1)  # left, right, top, bottom
        self.block_a = nn.Sequential(
            _conv_unit(3, 32, kernel=7, pad=3), _conv_unit(32, 64, stride=2, pad=down), _conv_unit(64, 64)
        )
        self.block_b = nn.Sequential(_conv_unit(64, 128, stride=2, pad=down), _conv_unit(128, 128))
        self.block_c = nn.Sequential(
            _conv_unit(128, 128),
            InvertedResidual(128, 256),
            *(InvertedResidual(256, 256) for _ in range(3)),
            _conv_unit(256, 128),
        )
        self.block_d = nn.Sequential(_conv_unit(128, 128), _conv_unit(128, 128))
        self.block_e = nn.Sequential(
            _conv_unit(128, 64), _conv_unit(64, 64), _conv_unit(64, 32, kernel=7, pad=3)
        )
        self.out_layer = nn.Sequential(nn.Conv2d(32, 3, kernel_size=1, bias=False), nn.Tanh())

    def forward(self, x: torch.Tensor, align_corners: bool = True) -> torch.Tensor:
        """Stylize a ``(B, 3, H, W)`` batch; see the module docstring for ``align_corners``."""
        out = self.block_a(x)
        half = out.shape[-2:]
        out = self.block_c(self.block_b(out))
        out = _up(out, half, align_corners)
        out = self.block_d(out)
        out = _up(out, x.shape[-2:], align_corners)
        return self.out_layer(self.block_e(out))


def _up(x: torch.Tensor, size: torch.Size, align_corners: bool) -> torch.Tensor:
    if align_corners:
        return F.interpolate(x, size, mode="bilinear", align_corners=True)
    # the port's test.py path: a plain x2, so odd input sizes come out a pixel or two smaller
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
