"""The official inference procedures of the feed-forward baselines, transcribed for tests.

Each function follows one official script line by line (file and commit in its docstring) on a
network built and loaded independently of the adapters: basicsr's ``RRDBNet``/``SwinIR`` with
``load_state_dict(strict=True)`` from the checkpoint's wrapper key, and the ``realesrgan``
package's own ``RealESRGANer``. Images go in and out as the scripts see them (``cv2`` BGR ``uint8``);
the helpers take and return RGB so tests compare with the adapters directly. Each helper loads
its network once and returns a :data:`Runner` (``benchmarks/perf/baselines.py`` times these as the
peers). Nothing here imports
``baselines.feedforward``, ``baselines.tiling`` or ``baselines.checkpoints``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import torch

from baselines.random_weights import femasr, rrdbnet, swinir

#: an official procedure with its network loaded: RGB uint8 in, RGB uint8 (4x) out
Runner = Callable[[np.ndarray], np.ndarray]


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[..., ::-1])


def _rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., ::-1])


def realesrganer(path, size="tiny", tile=0, tile_pad=10, pre_pad=0, half=False, device="cpu") -> Runner:
    """``inference_realesrgan.py -n RealESRGAN_x4plus``: the ``realesrgan`` package's ``RealESRGANer.enhance``."""
    from realesrgan import RealESRGANer

    up = RealESRGANer(scale=4, model_path=str(path), model=rrdbnet(size), tile=tile, tile_pad=tile_pad,
                      pre_pad=pre_pad, half=half, device=torch.device(device))  # fmt: skip
    return lambda rgb: _rgb(up.enhance(_bgr(rgb), outscale=4)[0])


def _kair_to_basicsr(state: dict) -> dict:
    # inverse of KAIR's old RRDBNet names, written here independently of baselines.random_weights
    subs = ((r"^RRDB_trunk\.(\d+)\.RDB(\d)\.", r"body.\1.rdb\2."), (r"^trunk_conv\.", "conv_body."),
            (r"^upconv(\d)\.", r"conv_up\1."), (r"^HRconv\.", "conv_hr."))  # fmt: skip
    out = {}
    for k, v in state.items():
        for pattern, repl in subs:
            k = re.sub(pattern, repl, k)
        out[k] = v
    return out


def kair_bsrgan(path, size="tiny", device="cpu") -> Runner:
    """cszn/BSRGAN ``main_test_bsrgan.py`` (5ce1a9c): bare state dict, ``uint2tensor4`` -> model -> ``tensor2uint``."""
    net = rrdbnet(size)
    net.load_state_dict(_kair_to_basicsr(torch.load(path)), strict=True)
    net = net.eval().to(device)

    @torch.no_grad()
    def run(rgb):
        img = _bgr(rgb)[..., ::-1]  # imread_uint: cv2 BGR -> RGB
        x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(255.0).unsqueeze(0)
        y = net(x.to(device)).data.squeeze().float().clamp_(0, 1).cpu().numpy()
        return np.uint8((np.transpose(y, (1, 2, 0)) * 255.0).round())

    return run


def ldl_basicsr(path, key="params", size="tiny", device="cpu") -> Runner:
    """csjliang/LDL ``test_LDL_Realworld_x4.yml`` via basicsr: ``load_net[param_key_g]``, ``net_g(lq)``, ``tensor2img``."""
    from basicsr.utils import img2tensor, tensor2img

    net = rrdbnet(size)
    net.load_state_dict(torch.load(path)[key], strict=True)
    net = net.eval().to(device)

    @torch.no_grad()
    def run(rgb):
        lq = img2tensor(_bgr(rgb).astype(np.float32) / 255.0, bgr2rgb=True, float32=True).unsqueeze(0)
        return _rgb(tensor2img([net(lq.to(device))]))

    return run


def _swinir_test(img_lq, model, tile, tile_overlap, window_size=8, sf=4):
    # main_test_swinir.py test()
    if tile is None:
        return model(img_lq)
    b, c, h, w = img_lq.size()
    tile = min(tile, h, w)
    assert tile % window_size == 0, "tile size should be a multiple of window_size"
    stride = tile - tile_overlap
    h_idx_list = list(range(0, h - tile, stride)) + [h - tile]
    w_idx_list = list(range(0, w - tile, stride)) + [w - tile]
    E = torch.zeros(b, c, h * sf, w * sf).type_as(img_lq)  # noqa: N806 (the script's names)
    W = torch.zeros_like(E)  # noqa: N806
    for h_idx in h_idx_list:
        for w_idx in w_idx_list:
            in_patch = img_lq[..., h_idx : h_idx + tile, w_idx : w_idx + tile]
            out_patch = model(in_patch)
            E[..., h_idx * sf : (h_idx + tile) * sf, w_idx * sf : (w_idx + tile) * sf].add_(out_patch)
            W[..., h_idx * sf : (h_idx + tile) * sf, w_idx * sf : (w_idx + tile) * sf].add_(
                torch.ones_like(out_patch)
            )
    return E.div_(W)


def swinir_real_sr(path, variant="m", tile=None, tile_overlap=32, size="tiny", device="cpu") -> Runner:
    """JingyunLiang/SwinIR ``main_test_swinir.py --task real_sr --scale 4 [--large_model]`` (6545850)."""
    model = swinir(variant, size)
    pretrained = torch.load(path)
    model.load_state_dict(pretrained["params_ema"] if "params_ema" in pretrained else pretrained, strict=True)
    model = model.eval().to(device)

    @torch.no_grad()
    def run(rgb):
        img_lq = _bgr(rgb).astype(np.float32) / 255.0
        img_lq = np.transpose(img_lq[:, :, [2, 1, 0]], (2, 0, 1))
        img_lq = torch.from_numpy(img_lq).float().unsqueeze(0).to(device)
        window_size = 8
        _, _, h_old, w_old = img_lq.size()
        h_pad = (h_old // window_size + 1) * window_size - h_old
        w_pad = (w_old // window_size + 1) * window_size - w_old
        img_lq = torch.cat([img_lq, torch.flip(img_lq, [2])], 2)[:, :, : h_old + h_pad, :]
        img_lq = torch.cat([img_lq, torch.flip(img_lq, [3])], 3)[:, :, :, : w_old + w_pad]
        output = _swinir_test(img_lq, model, tile, tile_overlap)
        output = output[..., : h_old * 4, : w_old * 4]
        output = output.data.squeeze().float().cpu().clamp_(0, 1).numpy()
        output = np.transpose(output[[2, 1, 0], :, :], (1, 2, 0))
        return _rgb((output * 255.0).round().astype(np.uint8))

    return run


def femasr_official_net(path, device="cpu") -> torch.nn.Module:
    """``FeMaSRNet(codebook_params=[[32, 1024, 512]], LQ_stage=True, scale_factor=4)``, ``load_state_dict(
    torch.load(path)["params"], strict=False)`` (spandrel_extra_arches' class: FeMaSR's own is not
    installable; see ``test_femasr_adapter.py`` for the check against the official class)."""
    net = femasr()
    net.load_state_dict(torch.load(path)["params"], strict=False)
    return net.eval().to(device)


def _femasr_test(net, x, scale=4):
    # FeMaSRNet.test(): wsz = 8 // scale_factor * 8; flip-pad; encode_and_decode; crop
    wsz = 8 // scale * 8
    _, _, h_old, w_old = x.shape
    h_pad = (h_old // wsz + 1) * wsz - h_old
    w_pad = (w_old // wsz + 1) * wsz - w_old
    x = torch.cat([x, torch.flip(x, [2])], 2)[:, :, : h_old + h_pad, :]
    x = torch.cat([x, torch.flip(x, [3])], 3)[:, :, :, : w_old + w_pad]
    return net(x)[..., : h_old * scale, : w_old * scale]


def _femasr_test_tile(net, inp, tile_size=240, tile_pad=16, scale=4):
    # FeMaSRNet.test_tile() (a copy of RealESRGANer.tile_process calling test() per tile)
    batch, channel, height, width = inp.shape
    output = inp.new_zeros((batch, channel, height * scale, width * scale))
    tiles_x, tiles_y = math.ceil(width / tile_size), math.ceil(height / tile_size)
    for y in range(tiles_y):
        for x in range(tiles_x):
            isx, isy = x * tile_size, y * tile_size
            iex, iey = min(isx + tile_size, width), min(isy + tile_size, height)
            isxp, iexp = max(isx - tile_pad, 0), min(iex + tile_pad, width)
            isyp, ieyp = max(isy - tile_pad, 0), min(iey + tile_pad, height)
            out_tile = _femasr_test(net, inp[:, :, isyp:ieyp, isxp:iexp], scale)
            osx, osy = (isx - isxp) * scale, (isy - isyp) * scale
            output[:, :, isy * scale : iey * scale, isx * scale : iex * scale] = out_tile[
                :, :, osy : osy + (iey - isy) * scale, osx : osx + (iex - isx) * scale
            ]
    return output


def femasr_inference(path, max_size=600, tile_size=240, tile_pad=16, device="cpu") -> Runner:
    """chaofengc/FeMaSR ``inference_femasr.py`` (1ca4295): ``test`` below ``max_size**2`` px, else ``test_tile``."""
    from basicsr.utils import img2tensor, tensor2img

    net = femasr_official_net(path, device)

    @torch.no_grad()
    def run(rgb):
        img_tensor = (img2tensor(_bgr(rgb)).to(device) / 255.0).unsqueeze(0)
        h, w = img_tensor.shape[2:]
        if h * w < max_size**2:
            output = _femasr_test(net, img_tensor)
        else:
            output = _femasr_test_tile(net, img_tensor, tile_size, tile_pad)
        return _rgb(tensor2img(output))

    return run
