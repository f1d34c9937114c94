"""Random-weight checkpoints of the feed-forward baselines, in each released file's exact on-disk layout.

For tests and timing (``benchmarks/perf/baselines.py``) on machines without the real files: an
output made with these weights means nothing. The networks are built with classes independent of
the adapters' loader (basicsr's ``RRDBNet``/``SwinIR`` for the RRDB and SwinIR families), then
written the way each release is:

=============  =================================================  ===============================
method         released file                                      layout
=============  =================================================  ===============================
realesrgan     ``RealESRGAN_x4plus.pth``                           ``{"params_ema": sd}``
bsrgan         ``BSRGAN.pth``                                      bare ``sd``, old ESRGAN key names
ldl            ``net_g_RealESRGAN+LDL.pth``                        ``{"params": sd, "params_ema": sd'}``
swinir-gan-m/l ``003_realSR_..._SwinIR-{M,L}_x4_GAN.pth``         ``{"params_ema": sd}``
femasr         ``FeMaSR_SRX4_model_g.pth``                         ``{"params": sd + unused keys}``
=============  =================================================  ===============================

All float32. Facts behind each layout: RealESRGANer loads ``params_ema`` first; KAIR's
``main_test_bsrgan.py`` loads the file itself into its old-layout ``RRDBNet``; LDL's EMA training
saves both keys (``sd'`` is a second, different random network, so a test can tell which key was
loaded); ``main_test_swinir.py`` reads ``params_ema`` for real-SR models; FeMaSR's file carries
keys its model does not use, under the four prefixes spandrel_extra_arches removes (their shapes
here are placeholders). ``"tiny"`` networks are as small as spandrel still detects (RRDB grow
channels and SwinIR's 64 upsampler features are fixed there; FeMaSR has no smaller detectable
form), ``"full"`` ones are the released sizes.

The last convolution is rescaled so outputs sit mostly inside ``[0, 1]`` (mean 0.5, std 0.15 on a
random probe): default-initialised SR networks otherwise clamp to a flat image, and comparisons
of flat images prove nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import torch

Size = Literal["tiny", "full"]

#: method -> (artifact, file path inside the artifact)
RELEASES: dict[str, tuple[str, str]] = {
    "realesrgan": ("realesrgan-x4plus", "checkpoints/RealESRGAN_x4plus.pth"),
    "bsrgan": ("bsrgan", "checkpoints/BSRGAN.pth"),
    "ldl": ("ldl", "checkpoints/net_g_RealESRGAN+LDL.pth"),
    "swinir-gan-m": ("swinir-gan-realsr-m", "checkpoints/003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth"),
    "swinir-gan-l": ("swinir-gan-realsr", "checkpoints/003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth"),
    "femasr": ("femasr-x4", "checkpoints/FeMaSR_SRX4_model_g.pth"),
}
RELEASES["swinir-gan"] = RELEASES["swinir-gan-l"]

#: basicsr RRDBNet key -> KAIR/BSRGAN old-layout key
_OLD_ESRGAN = (
    (r"^body\.(\d+)\.rdb(\d)\.", r"RRDB_trunk.\1.RDB\2."),
    (r"^conv_body\.", "trunk_conv."),
    (r"^conv_up(\d)\.", r"upconv\1."),
    (r"^conv_hr\.", "HRconv."),
)

#: FeMaSR release keys its LQ model ignores (spandrel_extra_arches FeMaSR._clean_state_dict)
_FEMASR_UNUSED = ("sft_fusion_group.0.weight", "multiscale_encoder.upsampler.0.weight", "conv_semantic.0.weight",
                  "vgg_feat_extractor.vgg_net.0.weight")  # fmt: skip


def rrdbnet(size: Size = "tiny") -> torch.nn.Module:
    """basicsr ``RRDBNet`` x4: the released 64/23/32 or a tiny 8-feature, 2-block one."""
    from basicsr.archs.rrdbnet_arch import RRDBNet

    feat, blocks = (64, 23) if size == "full" else (8, 2)
    return RRDBNet(num_in_ch=3, num_out_ch=3, scale=4, num_feat=feat, num_block=blocks, num_grow_ch=32)


def swinir(variant: Literal["m", "l"], size: Size = "tiny") -> torch.nn.Module:
    """basicsr ``SwinIR`` with ``main_test_swinir.py``'s real-SR settings (M, or L = ``--large_model``)."""
    from basicsr.archs.swinir_arch import SwinIR

    if size == "full":
        dim, depths, heads = (180, [6] * 6, [6] * 6) if variant == "m" else (240, [6] * 9, [8] * 9)
    else:
        dim, depths, heads = (16, [2, 2], [2, 2]) if variant == "m" else (16, [2, 2, 2], [2, 2, 2])
    return SwinIR(upscale=4, in_chans=3, img_size=64, window_size=8, img_range=1.0, depths=depths, embed_dim=dim,
                  num_heads=heads, mlp_ratio=2, upsampler="nearest+conv",
                  resi_connection="1conv" if variant == "m" else "3conv")  # fmt: skip


def femasr() -> torch.nn.Module:
    """FeMaSR x4 as ``inference_femasr.py`` builds it (needs ``spandrel_extra_arches``)."""
    from spandrel_extra_arches.architectures.FeMaSR import FeMaSR

    return FeMaSR(in_channel=3, codebook_params=[[32, 1024, 512]], gt_resolution=256, LQ_stage=True, norm_type="gn",
                  act_type="silu", use_quantize=True, scale_factor=4, use_residual=True)  # fmt: skip


def _network(method: str, size: Size) -> tuple[torch.nn.Module, str]:
    if method in ("realesrgan", "bsrgan", "ldl"):
        return rrdbnet(size), "conv_last"
    if method.startswith("swinir-gan"):
        return swinir("m" if method == "swinir-gan-m" else "l", size), "conv_last"
    if method == "femasr":
        return femasr(), "out_conv"
    raise ValueError(f"no random release for {method!r}; known: {sorted(RELEASES)}")


@torch.no_grad()
def _calibrate(net: torch.nn.Module, last: str, seed: int) -> None:
    # two passes: scale the last conv for the spread, then shift its bias for the mean (SwinIR adds
    # its RGB mean after that conv, so one affine pass would not land on 0.5)
    conv = getattr(net, last)
    probe = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    gain = 0.15 / (float(net.eval()(probe).std()) or 1.0)
    conv.weight.mul_(gain)
    conv.bias.mul_(gain)
    conv.bias.add_(0.5 - float(net(probe).mean()))


def random_network(method: str, size: Size = "tiny", seed: int = 0) -> torch.nn.Module:
    """The randomly initialised (seeded, calibrated) reference network of ``method``, eval mode."""
    torch.manual_seed(seed)
    net, last = _network(method, size)
    _calibrate(net, last, seed)
    return net.eval()


def old_esrgan_keys(state: dict) -> dict:
    """basicsr ``RRDBNet`` key names -> the old ESRGAN names of KAIR's ``network_rrdbnet.RRDBNet``."""
    out = {}
    for key, value in state.items():
        for pattern, repl in _OLD_ESRGAN:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def release_checkpoint(method: str, size: Size = "tiny", seed: int = 0) -> dict:
    """The object ``torch.save`` writes for ``method``'s release (see the module table)."""
    sd = {k: v.float().clone() for k, v in random_network(method, size, seed).state_dict().items()}
    if method == "bsrgan":
        return old_esrgan_keys(sd)
    if method == "ldl":
        other = {k: v.float().clone() for k, v in random_network(method, size, seed + 1).state_dict().items()}
        return {"params": sd, "params_ema": other}
    if method == "femasr":
        gen = torch.Generator().manual_seed(seed)
        return {"params": {**sd, **{k: torch.randn(4, 4, 1, 1, generator=gen) for k in _FEMASR_UNUSED}}}
    return {"params_ema": sd}


def write_release(method: str, home: str | Path, size: Size = "tiny", seed: int = 0) -> Path:
    """Write ``method``'s random release under ``home/weights/<artifact>/`` (``$PASD_BENCH_HOME``'s layout).

    Returns:
        The checkpoint's path.
    """
    if method not in RELEASES:
        raise ValueError(f"no random release for {method!r}; known: {sorted(RELEASES)}")
    artifact, rel = RELEASES[method]
    path = Path(home) / "weights" / artifact / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(release_checkpoint(method, size, seed), path)
    return path
