"""CartoonGAN's generator, in the layout of the converted PyTorch weights.

Architecture facts (read from Yijunmaverick/CartoonGAN-Test-Pytorch-Torch, ``network/Transformer.py``):
a 7x7 reflection-padded stem, two stride-2 down blocks (conv, conv, instance norm, ReLU), eight
residual blocks of two reflection-padded 3x3 convs at 256 channels, two up blocks (transposed
conv with output padding 1, conv, instance norm, ReLU) and a 7x7 reflection-padded conv + tanh.
Layers are flat attributes named ``conv01_1`` ... ``deconv03_1`` / ``in01_1`` ... ``in13_1``,
the names the Torch7 -> PyTorch conversion produced; the instance norm has ``scale``/``shift``
parameters and eps 1e-9 (Torch7's), so :class:`torch.nn.InstanceNorm2d` (``weight``/``bias``,
eps 1e-5) would neither load the file nor give the same numbers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: residual blocks are numbered 04..11 in the released names
_RES_BLOCKS = tuple(range(4, 12))


class TorchInstanceNorm(nn.Module):
    """Instance normalisation with Torch7's parameter names and eps (biased variance per channel).

    Args:
        channels: number of channels.
        eps: added to the variance (the released model was trained with 1e-9).
    """

    def __init__(self, channels: int, eps: float = 1e-9) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels))
        self.shift = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.eps)
        return y * self.scale.view(1, -1, 1, 1) + self.shift.view(1, -1, 1, 1)


class CartoonGANGenerator(nn.Module):
    """CartoonGAN generator (Chen et al., CVPR 2018): RGB->BGR input in [-1, 1], tanh output.

    Output size is ``4 * ceil(ceil(H / 2) / 2)`` by the same for W (two stride-2 convs, two
    x2 transposed convs), which equals the input size for multiples of 4.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv01_1 = nn.Conv2d(3, 64, 7)
        self.in01_1 = TorchInstanceNorm(64)
        self.conv02_1 = nn.Conv2d(64, 128, 3, 2, 1)
        self.conv02_2 = nn.Conv2d(128, 128, 3, 1, 1)
        self.in02_1 = TorchInstanceNorm(128)
        self.conv03_1 = nn.Conv2d(128, 256, 3, 2, 1)
        self.conv03_2 = nn.Conv2d(256, 256, 3, 1, 1)
        self.in03_1 = TorchInstanceNorm(256)
        for i in _RES_BLOCKS:
            for j in (1, 2):
                setattr(self, f"conv{i:02d}_{j}", nn.Conv2d(256, 256, 3))
                setattr(self, f"in{i:02d}_{j}", TorchInstanceNorm(256))
        self.deconv01_1 = nn.ConvTranspose2d(256, 128, 3, 2, 1, 1)
        self.deconv01_2 = nn.Conv2d(128, 128, 3, 1, 1)
        self.in12_1 = TorchInstanceNorm(128)
        self.deconv02_1 = nn.ConvTranspose2d(128, 64, 3, 2, 1, 1)
        self.deconv02_2 = nn.Conv2d(64, 64, 3, 1, 1)
        self.in13_1 = TorchInstanceNorm(64)
        self.deconv03_1 = nn.Conv2d(64, 3, 7)

    def _layer(self, name: str) -> nn.Module:
        return getattr(self, name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a ``(B, 3, H, W)`` BGR batch in [-1, 1] to the stylized BGR batch in [-1, 1]."""
        y = F.relu(self.in01_1(self.conv01_1(F.pad(x, (3, 3, 3, 3), mode="reflect"))))
        y = F.relu(self.in02_1(self.conv02_2(self.conv02_1(y))))
        y = F.relu(self.in03_1(self.conv03_2(self.conv03_1(y))))
        for i in _RES_BLOCKS:
            h = F.pad(y, (1, 1, 1, 1), mode="reflect")
            h = F.relu(self._layer(f"in{i:02d}_1")(self._layer(f"conv{i:02d}_1")(h)))
            h = F.pad(h, (1, 1, 1, 1), mode="reflect")
            y = self._layer(f"in{i:02d}_2")(self._layer(f"conv{i:02d}_2")(h)) + y
        y = F.relu(self.in12_1(self.deconv01_2(self.deconv01_1(y))))
        y = F.relu(self.in13_1(self.deconv02_2(self.deconv02_1(y))))
        return torch.tanh(self.deconv03_1(F.pad(y, (3, 3, 3, 3), mode="reflect")))
