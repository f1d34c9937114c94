"""Shared base of the single-pass (GAN / transformer) SR baselines: options, loading, batching, rounding.

Every subclass reproduces one official inference script. What they share, and what each official
script does identically:

* input: ``uint8`` RGB -> float32 ``x / 255`` in ``[0, 1]`` (``cv2.imread(...).astype(float32) / 255``
  then BGR->RGB in every official script; the division is the same IEEE float32 operation);
* output: ``clamp(0, 1)`` in float32, ``* 255``, **round half to even** (``np.round`` in
  ``tensor2img``/``tensor2uint``/``RealESRGANer.enhance``; ``torch.round`` is the same rule), ``uint8``;
* weights: the method's artifact through :mod:`pasd.hub`, read with its official wrapper-key rule
  (:mod:`baselines.checkpoints`), built by spandrel.

What differs (pre-padding, the network-call wrapper, the tile rule, the dtype) is set by class
constants and two hooks, :meth:`FeedForwardSR._procedure` (whole image) and
:meth:`FeedForwardSR._forward` (one network call). Every effective setting is in ``self.options``,
so it is part of the output-cache key.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import torch

from baselines.base import Method, MethodNotAvailableError
from baselines.checkpoints import KEY_RULES, load_network, read_checkpoint
from baselines.tiling import BLENDS, TileConfig, tiled_forward

logger = logging.getLogger(__name__)

DTYPES: dict[str, torch.dtype] = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}

#: settings every feed-forward method accepts (a method may add its own in ``extra_defaults``)
COMMON_DEFAULTS: dict[str, Any] = {
    "tile": 0,  # input px per tile; 0 = whole image
    "tile_overlap": 32,
    "tile_blend": "feather",
    "tile_batch": 4,  # tiles per network call
    "batch": 4,  # equal-size images per network call
    "dtype": "auto",  # the official script's dtype for the device
    "param_key": "raw",  # KEY_RULES entry
}


class FeedForwardSR(Method):
    """A deterministic x4 network loaded through spandrel, run with its official procedure.

    Class constants (besides :class:`~baselines.base.Method`'s):
        artifact: the :mod:`pasd.hub` artifact holding the single checkpoint file.
        arch: spandrel architecture id the checkpoint must be.
        extra_arch: the architecture comes from ``spandrel_extra_arches`` (optional extra).
        half_on_cuda: the official script runs fp16 on CUDA (``dtype="auto"`` follows it).
        defaults: this method's official values of :data:`COMMON_DEFAULTS` keys.
        extra_defaults: settings only this method has (e.g. RealESRGANer's ``pre_pad``).
        fixed: recorded, not settable: the padding and rounding rules, for the cache key.
        tile_multiple: tiles of the blended modes must be a multiple of this.
    """

    artifact: ClassVar[str]
    arch: ClassVar[str]
    extra_arch: ClassVar[bool] = False
    half_on_cuda: ClassVar[bool] = False
    defaults: ClassVar[dict[str, Any]] = {}
    extra_defaults: ClassVar[dict[str, Any]] = {}
    fixed: ClassVar[dict[str, Any]] = {}
    tile_multiple: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "artifact" in cls.__dict__:  # the registry spec (weights) without building an instance
            cls.weights = (cls.artifact,)

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        allowed = {**COMMON_DEFAULTS, **self.extra_defaults}
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValueError(f"{self.name}: unknown params {unknown}; allowed: {sorted(allowed)}")
        super().__init__(device=device, **params)
        opts = {**COMMON_DEFAULTS, **self.defaults, **self.extra_defaults, **params}
        dtype = opts["dtype"]
        if dtype == "auto":
            dtype = "fp16" if self.half_on_cuda and str(device).startswith("cuda") else "fp32"
        if dtype not in DTYPES:
            raise ValueError(f"{self.name}: dtype {dtype!r} is not one of {['auto', *DTYPES]}")
        opts["dtype"] = dtype
        if opts["param_key"] not in KEY_RULES:
            raise ValueError(
                f"{self.name}: param_key {opts['param_key']!r} is not one of {sorted(KEY_RULES)}"
            )
        if opts["tile_blend"] not in BLENDS:
            raise ValueError(f"{self.name}: tile_blend {opts['tile_blend']!r} is not one of {list(BLENDS)}")
        if not isinstance(opts["batch"], int) or opts["batch"] < 1:
            raise ValueError(f"{self.name}: batch must be an integer >= 1, got {opts['batch']!r}")
        self.tiling = TileConfig(
            opts["tile"], opts["tile_overlap"], opts["tile_blend"], opts["tile_batch"], self.tile_multiple
        )
        self.options = {**opts, **self.fixed}

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Resolve the artifact, read it with the method's key rule, build it with spandrel.

        Raises:
            pasd.hub.MissingWeightsError: the checkpoint is not on disk (names the fetch command).
            MethodNotAvailableError: CUDA requested on a machine without it.
            ValueError: the file is not the expected architecture.
        """
        from pasd import hub

        if str(self.device).startswith("cuda") and not torch.cuda.is_available():
            raise MethodNotAvailableError(
                f"{self.name}: device {self.device!r} requested but CUDA is not available"
            )
        path = hub.resolve_file(self.artifact)
        state, chosen = read_checkpoint(path, self.options["param_key"])
        desc = load_network(state, self.arch, self.scale, extra=self.extra_arch, source=str(path))
        dtype = DTYPES[self.options["dtype"]]
        if dtype == torch.float16 and not desc.supports_half:
            raise ValueError(
                f"{self.name}: spandrel marks {self.arch} as not supporting fp16; use dtype=fp32"
            )
        self.net = desc.model.to(device=self.device, dtype=dtype)
        self.loaded_key = chosen
        logger.info("%s: loaded %s (%s) from %s", self.name, self.arch, chosen, path)

    # -- the procedure -----------------------------------------------------------------------
    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """One network call on a (batch of) tile(s); subclasses wrap per-call padding around it."""
        return self.net(x)

    def _procedure(self, x: torch.Tensor) -> torch.Tensor:
        """The whole-image procedure on ``(N, 3, h, w)`` in ``[0, 1]``; returns ``(N, 3, 4h, 4w)`` unclamped."""
        return tiled_forward(self._forward, x, self.scale, self.tiling)

    @torch.no_grad()
    def _run(self, images: list[np.ndarray]) -> list[np.ndarray]:
        x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255.0)
        x = x.to(device=self.device).to(DTYPES[self.options["dtype"]])
        try:
            out = self._procedure(x)
        except torch.cuda.OutOfMemoryError as exc:
            h, w = images[0].shape[:2]
            raise RuntimeError(
                f"{self.name}: out of GPU memory on {len(images)} image(s) of {h}x{w} px; set the param "
                f"tile (e.g. tile=256) and/or batch=1 (now tile={self.options['tile']}, batch={self.options['batch']})"
            ) from exc
        out = out.float().cpu().clamp_(0, 1)
        out = out.mul(255.0).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
        return list(out)

    def _process_batch(self, images: list[np.ndarray], seeds: list[int | None]) -> list[np.ndarray]:
        """Stack equal-size images ``batch`` at a time; order is kept."""
        outs: list[np.ndarray | None] = [None] * len(images)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, img in enumerate(images):
            groups.setdefault(img.shape, []).append(i)
        step = self.options["batch"]
        for idx in groups.values():
            for k in range(0, len(idx), step):
                chunk = idx[k : k + step]
                for i, out in zip(chunk, self._run([images[i] for i in chunk])):
                    outs[i] = out
        return outs  # type: ignore[return-value]

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        return self._run([image])[0]
