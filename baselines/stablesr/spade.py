"""SFT (spatial feature transform) layers: the time-aware encoder's features modulate the UNet.

StableSR implements SFT with a SPADE block (IceClear/StableSR ``ldm/modules/spade.py``): after a
residual block's second convolution, the features are group-normalised and scaled/shifted by
``(1 + gamma, beta)`` predicted from the encoder feature map of the same width. The UNet's
residual blocks are diffusers' :class:`~diffusers.models.resnet.ResnetBlock2D`; this module adds
the SPADE step between ``conv2`` and the shortcut addition, where the official ``ResBlockDual``
applies it.
"""

from __future__ import annotations

import torch
from diffusers.models.resnet import ResnetBlock2D
from torch import nn

#: hidden width of SPADE's shared MLP (hard-coded in the official SPADE)
SPADE_HIDDEN = 128


class StructCond:
    """The encoder features of the current UNet call, shared by every SPADE block of one UNet.

    diffusers' blocks call ``resnet(hidden_states, temb)`` and have no slot for extra inputs, so
    the UNet stores the features here for the length of its forward pass.
    """

    def __init__(self) -> None:
        self.features: dict[str, torch.Tensor] | None = None

    def lookup(self, width: int) -> torch.Tensor:
        """The feature map for a block whose input is ``width`` wide (the official keys by width).

        Raises:
            RuntimeError: Outside a UNet forward pass.
            KeyError: If the encoder produced no map of that width.
        """
        if self.features is None:
            raise RuntimeError("SPADE block called outside StableSRUNet2DConditionModel.forward")
        key = str(width)
        if key not in self.features:
            raise KeyError(f"no struct_cond feature of width {key}; have {sorted(self.features, key=int)}")
        return self.features[key]


class SPADE(nn.Module):
    """``GroupNorm(x) * (1 + gamma(seg)) + beta(seg)`` with a two-layer 3x3 conv MLP on ``seg``.

    Args:
        channels: Channels of the modulated features.
        cond_channels: Channels of the conditioning map (the encoder's ``out_channels``).
    """

    def __init__(self, channels: int, cond_channels: int) -> None:
        super().__init__()
        self.param_free_norm = nn.GroupNorm(32, channels)
        self.mlp_shared = nn.Sequential(nn.Conv2d(cond_channels, SPADE_HIDDEN, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(SPADE_HIDDEN, channels, 3, padding=1)
        self.mlp_beta = nn.Conv2d(SPADE_HIDDEN, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        # the official GroupNorm32 normalises in float32 (matters under fp16 autocast)
        normalized = self.param_free_norm(x.float()).type(x.dtype)
        actv = self.mlp_shared(seg)
        return normalized * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class SPADEResnetBlock2D(ResnetBlock2D):
    """diffusers' residual block with SPADE applied to the residual branch before the shortcut.

    Args:
        cond_channels: Channels of the encoder features.
        struct: The owning UNet's :class:`StructCond`.
        **kwargs: :class:`ResnetBlock2D` arguments; only the plain SD layout is supported
            (``time_embedding_norm="default"``, no up/down sampling inside the block).

    Raises:
        ValueError: For a block layout StableSR's UNet does not have.
    """

    def __init__(self, *, cond_channels: int, struct: StructCond, **kwargs) -> None:
        if (
            kwargs.get("up")
            or kwargs.get("down")
            or kwargs.get("time_embedding_norm", "default") != "default"
        ):
            raise ValueError(f"SPADE blocks support the plain SD resnet layout only, got {kwargs}")
        super().__init__(**kwargs)
        self.spade = SPADE(self.out_channels, cond_channels)
        # a plain attribute, not a submodule: the holder has no weights and must not be copied per block
        self.__dict__["_struct"] = struct

    @classmethod
    def like(cls, block: ResnetBlock2D, cond_channels: int, struct: StructCond) -> SPADEResnetBlock2D:
        """A SPADE block with the hyper-parameters of an existing diffusers ``ResnetBlock2D``."""
        return cls(
            cond_channels=cond_channels,
            struct=struct,
            in_channels=block.in_channels,
            out_channels=block.out_channels,
            temb_channels=block.time_emb_proj.in_features if block.time_emb_proj is not None else None,
            dropout=block.dropout.p,
            groups=block.norm1.num_groups,
            groups_out=block.norm2.num_groups,
            eps=block.norm1.eps,
            output_scale_factor=block.output_scale_factor,
        )

    def forward(self, input_tensor: torch.Tensor, temb: torch.Tensor | None, *args, **kwargs) -> torch.Tensor:
        h = self.conv1(self.nonlinearity(self.norm1(input_tensor)))
        if self.time_emb_proj is not None and temb is not None:
            h = h + self.time_emb_proj(self.nonlinearity(temb))[:, :, None, None]
        h = self.conv2(self.dropout(self.nonlinearity(self.norm2(h))))
        h = self.spade(h, self._struct.lookup(h.shape[-1]))
        if self.conv_shortcut is not None:
            input_tensor = self.conv_shortcut(input_tensor)
        return (input_tensor + h) / self.output_scale_factor
