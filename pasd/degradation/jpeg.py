"""JPEG simulation with the arithmetic of basicsr's ``DiffJPEG(differentiable=False)``, faster.

basicsr's ``DiffJPEG`` computes colour conversion and the 8x8 DCT/IDCT with ``torch.tensordot``
against a (8, 8, 8, 8) tensor; ``tensordot`` permutes and reshapes its operands on every call and
costs milliseconds even for tiny inputs. It is itself a reshape + matrix product, so calling the
product directly on the same reshaped operands gives the same numbers (tests check bit equality
with ``DiffJPEG``) at a fraction of the overhead. The tables and the transform tensors are taken
from basicsr's modules, so the quantisation is basicsr's by construction.
"""

from __future__ import annotations

import torch
from basicsr.utils.diffjpeg import DiffJPEG, quality_to_factor  # `pasd` installed the shim
from torch.nn import functional as F


class FastJPEG(torch.nn.Module):
    """``DiffJPEG(differentiable=False)`` with ``tensordot`` replaced by direct matrix products."""

    def __init__(self) -> None:
        super().__init__()
        ref = DiffJPEG(differentiable=False)
        comp, decomp = ref.compress, ref.decompress
        rgb2ycc, ycc2rgb = comp.l1[0], decomp.colors
        self.register_buffer("rgb2ycc", rgb2ycc.matrix.detach().clone())
        self.register_buffer("rgb2ycc_shift", rgb2ycc.shift.detach().clone())
        self.register_buffer("ycc2rgb", ycc2rgb.matrix.detach().clone())
        self.register_buffer("ycc2rgb_shift", ycc2rgb.shift.detach().clone())
        self.register_buffer("dct", comp.l2[1].tensor.detach().reshape(64, 64).clone())
        self.register_buffer("dct_scale", comp.l2[1].scale.detach().clone())
        self.register_buffer("idct", decomp.idct.tensor.detach().reshape(64, 64).clone())
        self.register_buffer("idct_alpha", decomp.idct.alpha.detach().clone())
        self.register_buffer("y_table", comp.y_quantize.y_table.detach().clone())
        self.register_buffer("c_table", comp.c_quantize.c_table.detach().clone())

    @staticmethod
    def _blocks(plane: torch.Tensor) -> torch.Tensor:
        b, h, w = plane.shape
        return plane.view(b, h // 8, 8, w // 8, 8).permute(0, 1, 3, 2, 4).reshape(b, -1, 64)

    @staticmethod
    def _unblock(blocks: torch.Tensor, h: int, w: int) -> torch.Tensor:
        b = blocks.shape[0]
        return blocks.reshape(b, h // 8, w // 8, 8, 8).permute(0, 1, 3, 2, 4).reshape(b, h, w)

    def _code(self, blocks: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """DCT -> quantise -> dequantise -> IDCT of ``(B, N, 64)`` blocks with ``(B, N, 8, 8)`` tables.

        Y, Cb and Cr blocks go through together (one product per transform instead of three);
        every element sees the same operations as in DiffJPEG's per-plane modules.
        """
        b = blocks.shape[0]
        coeffs = self.dct_scale * ((blocks.reshape(-1, 64) - 128) @ self.dct).view(b, -1, 8, 8)
        coeffs = torch.round(coeffs.float() / table)
        coeffs = (coeffs * table) * self.idct_alpha
        return (0.25 * (coeffs.reshape(-1, 64) @ self.idct) + 128).view(b, -1, 64)

    @torch.no_grad()
    def forward(self, x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        """Compress and decompress ``x`` ``(B, 3, H, W)`` in [0, 1] at per-image ``quality`` ``(B,)``."""
        # same float32 tensor arithmetic as DiffJPEG's in-place loop over quality_to_factor
        factor = quality.clone()
        for i in range(factor.size(0)):
            factor[i] = quality_to_factor(factor[i])
        b, _, h, w = x.shape
        x = F.pad(x, (0, (16 - w % 16) % 16, 0, (16 - h % 16) % 16), mode="constant", value=0)
        ph, pw = x.shape[-2:]
        img = (x * 255).permute(0, 2, 3, 1)
        ycc = (img.reshape(-1, 3) @ self.rgb2ycc + self.rgb2ycc_shift).view(img.shape)
        chroma = ycc.permute(0, 3, 1, 2)[:, 1:].clone()
        chroma = F.avg_pool2d(chroma, kernel_size=2, stride=(2, 2), count_include_pad=False)
        blocks = torch.cat(
            [self._blocks(ycc[..., 0]), self._blocks(chroma[:, 0]), self._blocks(chroma[:, 1])], 1
        )
        ny, nc = (ph // 8) * (pw // 8), (ph // 16) * (pw // 16)
        f = factor.view(b, 1, 1, 1)
        table = torch.cat(
            [
                (self.y_table.expand(b, 1, 8, 8) * f).expand(b, ny, 8, 8),
                (self.c_table.expand(b, 1, 8, 8) * f).expand(b, 2 * nc, 8, 8),
            ],
            1,
        )
        coded = self._code(blocks, table)
        y = self._unblock(coded[:, :ny], ph, pw)
        cb = self._unblock(coded[:, ny : ny + nc], ph // 2, pw // 2)
        cr = self._unblock(coded[:, ny + nc :], ph // 2, pw // 2)
        cb = cb.unsqueeze(-1).repeat(1, 1, 2, 2).view(-1, ph, pw)
        cr = cr.unsqueeze(-1).repeat(1, 1, 2, 2).view(-1, ph, pw)
        ycc = torch.cat([y.unsqueeze(3), cb.unsqueeze(3), cr.unsqueeze(3)], dim=3)
        rgb = ((ycc + self.ycc2rgb_shift).reshape(-1, 3) @ self.ycc2rgb).view(ycc.shape).permute(0, 3, 1, 2)
        rgb = torch.min(255 * torch.ones_like(rgb), torch.max(torch.zeros_like(rgb), rgb))
        return (rgb / 255)[:, :, :h, :w]
