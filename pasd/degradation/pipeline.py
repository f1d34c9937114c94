"""The batched second-order Real-ESRGAN degradation, driven by recorded per-image parameters.

Order of operations (``RealESRGANModel.feed_data``): [USM] -> blur1 -> resize1 -> noise1 -> JPEG1
-> [blur2] -> resize2 -> noise2 -> {[resize to HQ/scale + sinc] then JPEG2, or JPEG2 then
[resize + sinc]} -> [PASD: resize back to HQ size] -> clamp and round to 8 bit.

Unlike Real-ESRGAN, every image keeps its own resize scale, noise and quality (Real-ESRGAN shares
them across a batch), so images whose intermediate sizes differ are processed in shape groups;
each image's result depends only on its own parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

from pasd.degradation.config import DegradationConfig
from pasd.degradation.filters import filter2d, usm_sharpen
from pasd.degradation.jpeg import FastJPEG
from pasd.degradation.kernels import build_kernel
from pasd.degradation.noise import add_noise

Images = list[torch.Tensor]  # each (1, C, h, w); sizes may differ between images


def _grouped(xs: Images, fn: Callable[[torch.Tensor, list[int]], torch.Tensor]) -> Images:
    """Apply a batched op to images of equal shape together; ``fn(batch, indices)``."""
    groups: dict[tuple, list[int]] = {}
    for i, x in enumerate(xs):
        groups.setdefault(tuple(x.shape), []).append(i)
    out: Images = [None] * len(xs)  # type: ignore[list-item]
    for idx in groups.values():
        y = fn(xs[idx[0]] if len(idx) == 1 else torch.cat([xs[i] for i in idx]), idx)
        for j, i in enumerate(idx):
            out[i] = y[j : j + 1]
    return out


def _resize(x: torch.Tensor, size: tuple[int, int] | None, scale: float | None, mode: str) -> torch.Tensor:
    if size is not None and min(size) < 1:
        raise ValueError(f"degradation resized an image to {size}; the HQ image is too small")
    return F.interpolate(x, size=size, scale_factor=scale, mode=mode)


class DegradationPipeline(torch.nn.Module):
    """Apply the degradation described by per-image parameter dicts to a batch of HQ images.

    Args:
        config: the settings (only ``scale`` and ``usm_input`` are read here; the random ranges
            were used when the parameters were sampled).

    Example:
        >>> from pasd.degradation import load_config, image_rng, sample_params
        >>> cfg = load_config()
        >>> params = [sample_params(cfg, image_rng(0, "0801"))]
        >>> lq = DegradationPipeline(cfg)(torch.rand(1, 3, 128, 128), params)
        >>> tuple(lq.shape)
        (1, 3, 32, 32)
    """

    def __init__(self, config: DegradationConfig) -> None:
        super().__init__()
        self.config = config
        self.jpeger = FastJPEG()  # bit-identical to basicsr's DiffJPEG(differentiable=False)

    def _blur(self, xs: Images, specs: list[dict]) -> Images:
        def fn(batch: torch.Tensor, idx: list[int]) -> torch.Tensor:
            kernels = [torch.from_numpy(build_kernel(specs[i])).float() for i in idx]
            return filter2d(batch, kernels)

        return _grouped(xs, fn)

    def _jpeg(self, xs: Images, qualities: list[float]) -> Images:
        def fn(batch: torch.Tensor, idx: list[int]) -> torch.Tensor:
            q = torch.tensor([qualities[i] for i in idx], dtype=batch.dtype, device=batch.device)
            return self.jpeger(torch.clamp(batch, 0, 1), q)

        return _grouped(xs, fn)

    def _resize_each(self, xs: Images, sizes: list, scales: list, modes: list[str]) -> Images:
        return [_resize(x, sizes[i], scales[i], modes[i]) for i, x in enumerate(xs)]

    def _resize_sinc(
        self, xs: Images, idx: list[int] | None, params: Sequence[dict], size: tuple[int, int]
    ) -> Images:
        """Resize ``xs[i]`` (``i`` in ``idx``, or all) to ``size``, then the final sinc filter."""
        idx = list(range(len(xs))) if idx is None else idx
        if not idx:
            return []
        modes = [params[i]["final"]["resize_mode"] for i in idx]
        out = [_resize(xs[i], size, None, m) for i, m in zip(idx, modes)]
        return self._blur(out, [params[i]["sinc"] for i in idx])

    @torch.no_grad()
    def forward(self, hq: torch.Tensor, params: Sequence[dict], resize_back: bool = False) -> torch.Tensor:
        """Degrade ``hq`` ``(B, 3, H, W)`` in [0, 1] with ``params[i]`` for image ``i``.

        Args:
            hq: the HQ batch (float, any device).
            params: one dict per image from :func:`~pasd.degradation.sampling.sample_params`.
            resize_back: PASD's variant: resize the LQ back to ``(H, W)`` before rounding.

        Returns:
            LQ ``(B, 3, H // scale, W // scale)`` (or ``(B, 3, H, W)``), values ``k / 255``.

        Raises:
            ValueError: mismatched lengths, a non-RGB batch or an image too small for the kernels.
        """
        if hq.dim() != 4 or hq.size(1) != 3:
            raise ValueError(f"hq must be (B, 3, H, W), got {tuple(hq.shape)}")
        if len(params) != hq.size(0):
            raise ValueError(f"need one parameter dict per image: {hq.size(0)} images, {len(params)} dicts")
        n, (h, w), s = len(params), hq.shape[-2:], self.config.scale
        x = usm_sharpen(hq) if self.config.usm_input else hq
        # ---- first degradation
        xs = self._blur(list(x.split(1)), [p["kernel1"] for p in params])
        r1 = [p["stage1"]["resize"] for p in params]
        xs = self._resize_each(xs, [None] * n, [r["scale"] for r in r1], [r["mode"] for r in r1])
        xs = [add_noise(x, p["stage1"]["noise"]) for x, p in zip(xs, params)]
        xs = self._jpeg(xs, [p["stage1"]["jpeg_quality"] for p in params])
        # ---- second degradation
        blur2 = [i for i, p in enumerate(params) if p["stage2"]["blur"]]
        if blur2:
            blurred = self._blur([xs[i] for i in blur2], [params[i]["kernel2"] for i in blur2])
            for i, y in zip(blur2, blurred):
                xs[i] = y
        r2 = [p["stage2"]["resize"] for p in params]
        sizes = [(int(h / s * r["scale"]), int(w / s * r["scale"])) for r in r2]
        xs = self._resize_each(xs, sizes, [None] * n, [r["mode"] for r in r2])
        xs = [add_noise(x, p["stage2"]["noise"]) for x, p in zip(xs, params)]
        # ---- [resize to HQ/scale + sinc] and the last JPEG, in each image's drawn order
        finals = [p["final"] for p in params]
        early = [i for i in range(n) if finals[i]["order"] == "resize_then_jpeg"]
        late = [i for i in range(n) if finals[i]["order"] != "resize_then_jpeg"]
        size = (h // s, w // s)
        resized = self._resize_sinc(xs, early, params, size)
        for i, y in zip(early, self._jpeg(resized, [finals[i]["jpeg_quality"] for i in early])):
            xs[i] = y
        jpeged = self._jpeg([xs[i] for i in late], [finals[i]["jpeg_quality"] for i in late])
        for i, y in zip(late, self._resize_sinc(jpeged, None, [params[i] for i in late], size)):
            xs[i] = y
        out = torch.cat(xs)
        if resize_back:  # PASD: before rounding, as its degrade_process
            out = torch.cat(
                [_resize(y, (h, w), None, f["resize_back_mode"]) for y, f in zip(out.split(1), finals)]
            )
        return torch.clamp((out * 255.0).round(), 0, 255) / 255.0
