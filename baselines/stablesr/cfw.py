"""StableSR's CFW autoencoder (``vqgan_cfw_00011.ckpt``, official ``AutoencoderKLResi``).

The SD 2.1 VAE (diffusers ``AutoencoderKL``) plus Controllable Feature Wrapping: the encoder also
returns its features after resolution levels 1 and 2, and the decoder, after the residual blocks
of levels ``n-2 .. 1``, adds ``w * F(enc_feat, dec_feat)`` to its features, ``F`` being
``fusion_layer_<level>`` (residual block on the concatenation, RRDBs, residual block). ``w``
(``dec_w``, the paper's fidelity/quality knob) is a call argument here; the official code sets
``decoder.fusion_w``. The RRDBs are basicsr's, the class the official code imports.
"""

from __future__ import annotations

import torch
from basicsr.archs.rrdbnet_arch import RRDB
from diffusers.configuration_utils import register_to_config
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKL
from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution
from diffusers.models.resnet import ResnetBlock2D
from torch import nn

#: the official VAE GroupNorm eps (``Normalize`` in ldm/modules/diffusionmodules/model.py)
_EPS = 1e-6


class CFWFusionBlock(nn.Module):
    """``dec + w * res3(RRDBs(res1(cat(enc, dec))))`` (official ``Fuse_sft_block_RRDB``)."""

    def __init__(self, channels: int, num_rrdb: int = 2, grow_channels: int = 32) -> None:
        super().__init__()
        self.encode_enc_1 = ResnetBlock2D(
            in_channels=2 * channels, out_channels=channels, temb_channels=None, eps=_EPS
        )
        self.encode_enc_2 = nn.Sequential(
            *(RRDB(num_feat=channels, num_grow_ch=grow_channels) for _ in range(num_rrdb))
        )
        self.encode_enc_3 = ResnetBlock2D(
            in_channels=channels, out_channels=channels, temb_channels=None, eps=_EPS
        )

    def forward(self, enc: torch.Tensor, dec: torch.Tensor, w: float) -> torch.Tensor:
        fused = self.encode_enc_1(torch.cat([enc, dec], dim=1), None)
        fused = self.encode_enc_3(self.encode_enc_2(fused), None)
        return dec + w * fused


class CFWAutoencoderModel(AutoencoderKL):
    """SD VAE with CFW fusion layers; defaults are the released (SD 2.1) size.

    Args:
        fusion_blocks: RRDBs per fusion layer (official ``num_fuse_block``).
        (others): As ``diffusers.AutoencoderKL``.

    Raises:
        ValueError: With more than four resolution levels: the official decoder would index encoder
            features the official encoder never returns (it keeps levels 1 and 2 only).
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        block_out_channels: tuple[int, ...] = (128, 256, 512, 512),
        layers_per_block: int = 2,
        latent_channels: int = 4,
        norm_num_groups: int = 32,
        sample_size: int = 512,
        scaling_factor: float = 0.18215,
        fusion_blocks: int = 2,
    ) -> None:
        n = len(block_out_channels)
        if n > 4:
            raise ValueError(f"CFW supports at most 4 resolution levels, got {n} ({block_out_channels})")
        super().__init__(
            in_channels=in_channels,
            out_channels=out_channels,
            down_block_types=("DownEncoderBlock2D",) * n,
            up_block_types=("UpDecoderBlock2D",) * n,
            block_out_channels=block_out_channels,
            layers_per_block=layers_per_block,
            latent_channels=latent_channels,
            norm_num_groups=norm_num_groups,
            sample_size=sample_size,
            scaling_factor=scaling_factor,
        )
        # the official names (decoder.fusion_layer_<level>) keep the checkpoint map one-to-one
        for level in self.fusion_levels:
            setattr(
                self.decoder,
                f"fusion_layer_{level}",
                CFWFusionBlock(block_out_channels[level], fusion_blocks),
            )

    @property
    def fusion_levels(self) -> tuple[int, ...]:
        """Resolution levels (official ``i_level``) with a fusion layer: ``n-2`` down to ``1`` (none below 3 levels)."""
        return tuple(range(len(self.config.block_out_channels) - 2, 0, -1))

    def encode_with_features(
        self, x: torch.Tensor
    ) -> tuple[DiagonalGaussianDistribution, list[torch.Tensor]]:
        """Posterior of ``x`` and the encoder features CFW fuses (after levels 1 and 2).

        Args:
            x: Image ``(B, 3, H, W)`` in [-1, 1].

        Returns:
            ``(posterior, [level-1 features, level-2 features])``.
        """
        enc = self.encoder
        h = enc.conv_in(x)
        feats = []
        for level, block in enumerate(enc.down_blocks):
            for resnet in block.resnets:
                h = resnet(h, temb=None)
            if level in (1, 2):
                feats.append(h)
            if block.downsamplers is not None:
                for down in block.downsamplers:
                    h = down(h)
        h = enc.conv_out(enc.conv_act(enc.conv_norm_out(enc.mid_block(h))))
        return DiagonalGaussianDistribution(self.quant_conv(h)), feats

    def decode_with_fusion(
        self, z: torch.Tensor, enc_feats: list[torch.Tensor], fusion_w: float
    ) -> torch.Tensor:
        """Decode latents (unscaled, i.e. ``z / scaling_factor``) fusing the LQ encoder features.

        Args:
            z: Latents ``(B, 4, h, w)``.
            enc_feats: :meth:`encode_with_features` features of the LQ image.
            fusion_w: CFW weight ``w`` (``dec_w``); 0 gives the plain SD decoder.

        Returns:
            Image ``(B, 3, 8h, 8w)``, unclamped.
        """
        dec = self.decoder
        h = dec.conv_in(self.post_quant_conv(z))
        h = dec.mid_block(h, None).to(next(iter(dec.up_blocks.parameters())).dtype)
        n = len(dec.up_blocks)
        for j, block in enumerate(dec.up_blocks):
            level = n - 1 - j  # diffusers orders up blocks from the lowest resolution
            for resnet in block.resnets:
                h = resnet(h, temb=None)
            if level in self.fusion_levels:
                h = getattr(dec, f"fusion_layer_{level}")(enc_feats[level - 1], h, fusion_w)
            if block.upsamplers is not None:
                for up in block.upsamplers:
                    h = up(h)
        return dec.conv_out(dec.conv_act(dec.conv_norm_out(h)))
