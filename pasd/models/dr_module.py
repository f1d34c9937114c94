"""The degradation-removal (DR) module: PASD's ControlNet conditioning embedding.

A small pyramid turns the LQ image (RGB in [0, 1]) into the feature map that is added to the
ControlNet's ``conv_in`` output, and, through the ``to_rgbs`` heads, into RGB estimates of the HQ
image at 1/2, 1/4 and 1/8 of the LQ size (supervised by :func:`pasd.models.losses.dr_loss`).
Parameter names follow yangxy/PASD (``conv_in``, ``preprocesser``, ``blocks``, ``to_rgbs``,
``conv_out``) so the released checkpoints load strictly.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: number of RRDB blocks in front of the pyramid when ``use_rrdb`` is set (yangxy/PASD ``pasd_rrdb``)
NUM_RRDB_BLOCKS = 2


def zero_module(module: nn.Module) -> nn.Module:
    """Set every parameter of ``module`` to zero (ControlNet's "zero convolution") and return it."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class DegradationRemovalModule(nn.Module):
    """Pyramid feature extractor with intermediate ``toRGB`` heads.

    Layout (channels ``c = block_out_channels``, default ``(16, 32, 96, 256)``): ``conv_in`` 3x3
    ``conditioning_channels -> c[0]`` + SiLU; optionally 2 RRDB(c[0]) blocks; then per stage
    ``i``: conv3x3 ``c[i] -> c[i]`` + SiLU, stride-2 conv3x3 ``c[i] -> c[i+1]`` + SiLU, and a
    ``to_rgbs[i]`` conv3x3 ``c[i+1] -> 3`` on that output (no activation); finally the
    zero-initialised ``conv_out`` 3x3 ``c[-1] -> conditioning_embedding_channels``.

    Args:
        conditioning_embedding_channels: Output channels (the ControlNet's ``block_out_channels[0]``).
        conditioning_channels: Input image channels.
        block_out_channels: Pyramid widths; ``len - 1`` stride-2 stages.
        return_rgbs: Build the ``to_rgbs`` heads and return their outputs.
        use_rrdb: Put 2 RRDB blocks (basicsr) after ``conv_in`` (the ``pasd_rrdb`` release).

    Raises:
        ValueError: If ``block_out_channels`` has fewer than 2 entries.
    """

    def __init__(
        self,
        conditioning_embedding_channels: int,
        conditioning_channels: int = 3,
        block_out_channels: tuple[int, ...] = (16, 32, 96, 256),
        return_rgbs: bool = True,
        use_rrdb: bool = False,
    ) -> None:
        super().__init__()
        if len(block_out_channels) < 2:
            raise ValueError(f"block_out_channels needs at least 2 entries, got {tuple(block_out_channels)}")
        self.return_rgbs = return_rgbs
        self.use_rrdb = use_rrdb
        self.conv_in = nn.Conv2d(conditioning_channels, block_out_channels[0], kernel_size=3, padding=1)
        if use_rrdb:
            from basicsr.archs.rrdbnet_arch import RRDB

            import pasd  # noqa: F401  (installs the basicsr/torchvision shim first)

            # the release builds RRDB(num_feat=c0, num_grow_ch=c0); the misspelt name is the checkpoint key
            self.preprocesser = nn.Sequential(
                *(RRDB(block_out_channels[0], block_out_channels[0]) for _ in range(NUM_RRDB_BLOCKS))
            )
        self.blocks = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        for c_in, c_out in zip(block_out_channels[:-1], block_out_channels[1:]):
            self.blocks.append(nn.Conv2d(c_in, c_in, kernel_size=3, padding=1))
            self.blocks.append(nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, stride=2))
            if return_rgbs:
                self.to_rgbs.append(nn.Conv2d(c_out, 3, kernel_size=3, padding=1))
        self.conv_out = zero_module(
            nn.Conv2d(block_out_channels[-1], conditioning_embedding_channels, kernel_size=3, padding=1)
        )

    def forward(self, conditioning: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Embed the LQ image.

        Args:
            conditioning: ``(B, C, H, W)`` LQ image in [0, 1].

        Returns:
            ``(embedding, rgbs)``: the ``(B, E, H/2^k, W/2^k)`` embedding and the RGB estimates at
            1/2, 1/4, ... of the input size (an empty tuple when ``return_rgbs`` is off).
        """
        embedding = F.silu(self.conv_in(conditioning))
        if self.use_rrdb:
            embedding = self.preprocesser(embedding)
        rgbs = []
        for i, block in enumerate(self.blocks):
            embedding = F.silu(block(embedding))
            # odd indices are the stride-2 convs: each closes a pyramid level
            if i % 2 == 1 and self.return_rgbs:
                rgbs.append(self.to_rgbs[i // 2](embedding))
        return self.conv_out(embedding), tuple(rgbs)
