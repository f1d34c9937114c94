"""The one interface every comparison method implements, and its registry.

A method maps an LQ image to an output image. Images are ``uint8`` RGB arrays ``(H, W, 3)``
(what a PNG holds), so outputs can be cached as PNG without loss and every method sees
exactly the same input bytes.
"""

from __future__ import annotations

import abc
import hashlib
import itertools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from pasd.utils.registry import new_registry

Task = Literal["real-isr", "stylization"]

#: file endings of weights passed by path (style models, LoRAs): fingerprinted in cache keys
_WEIGHT_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".onnx")

#: name -> Method subclass; adapters register in ``baselines/*_adapter.py``
METHODS = new_registry("method")


class MethodNotAvailableError(RuntimeError):
    """The method's adapter exists but cannot run here (code dependency missing, not yet built)."""


class Method(abc.ABC):
    """A Real-ISR or stylization method behind one call.

    Subclasses set the class constants and write :meth:`_process`; they load networks lazily
    in :meth:`load` so that planning a run (``pasd-bench run`` prints what would run) costs nothing.

    Class constants:
        name: registry key (lower-case).
        task: ``"real-isr"`` or ``"stylization"``.
        scale: output size / input size (1 for stylization).
        stochastic: whether the output depends on a seed.
        weights: :mod:`pasd.hub` artifact names the method needs.
        random_weights: True for plumbing-only variants (tiny random networks); every table and
            figure labels them so no one mistakes their numbers for results.
        version: the adapter's version; bump it when a change to the adapter changes its outputs
            (it is part of the output-cache key, so stale outputs are never reused).
        shared_params: params a preset sets once for every method that takes them (its
            ``[shared]`` table, ``pasd-bench run --set KEY=VALUE``), e.g. ``style_model``.
        allowed_params: the params this method takes (``()`` for none), checked by ``__init__``;
            ``None`` (default) for subclasses that check their own.
        bytes_per_output_pixel: measured peak memory per output pixel, or ``None`` (no
            pre-check); with it the runner refuses an input too large for the free memory
            (:meth:`check_fits`) instead of letting the process die in the allocator.

    Attributes:
        options: every effective setting of this instance (the method's defaults merged with the
            caller's params). Subclasses with defaults fill it in ``__init__``; it, not ``params``,
            is what identifies the outputs.
    """

    name: ClassVar[str]
    task: ClassVar[Task] = "real-isr"
    scale: ClassVar[int] = 4
    stochastic: ClassVar[bool] = False
    weights: ClassVar[tuple[str, ...]] = ()
    random_weights: ClassVar[bool] = False
    version: ClassVar[str] = "1"
    shared_params: ClassVar[tuple[str, ...]] = ()
    bytes_per_output_pixel: ClassVar[float | None] = None
    #: params the base ``__init__`` accepts (``()``: none); ``None`` leaves checking to the subclass
    allowed_params: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        if self.allowed_params is not None:
            unknown = sorted(set(params) - set(self.allowed_params))
            if unknown:
                raise ValueError(
                    f"{self.name}: unknown params {unknown}; allowed: {sorted(self.allowed_params) or 'none'}"
                )
        self.device = device
        self.params = dict(params)
        self.options: dict[str, Any] = dict(params)
        self._loaded = False

    @property
    def label(self) -> str:
        """Display name; random-weight variants say so."""
        return f"{self.name} (random weights)" if self.random_weights else self.name

    def cache_key(self) -> str:
        """Hash of everything that changes this method's outputs; not the device.

        The key is ``sha256`` over :meth:`cache_identity`: the method name, its scale and task, its
        adapter ``version``, every resolved option (``self.options``: defaults included, so a
        changed default gives new outputs) and the identity of each weights artifact it uses
        (:func:`pasd.hub.identify`: sha256 where known, else the Hugging Face commit, else a
        size+mtime fingerprint). Options naming existing files or folders (a style model, a LoRA)
        contribute those files' size/mtime/ctime fingerprints as well as their paths.
        """
        blob = json.dumps(self.cache_identity(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def cache_identity(self) -> dict[str, Any]:
        """The JSON-able record :meth:`cache_key` hashes (also stored with every run as provenance)."""
        return {
            "name": self.name,
            "version": str(self.version),
            "scale": self.scale,
            "task": self.task,
            "options": {k: _option_identity(v) for k, v in sorted(self.options.items())},
            "weights": self.weights_identity(),
        }

    def weights_identity(self) -> dict[str, dict[str, str] | None]:
        """Artifact -> ``{"kind", "value"}`` of the weights this instance uses (``None``: not on disk)."""
        from pasd import hub

        out: dict[str, dict[str, str] | None] = {}
        for name in self.weights:
            ident = hub.identify(name)
            out[name] = None if ident is None else {"kind": ident["kind"], "value": ident["value"]}
        return out

    def check_fits(self, width: int, height: int, what: str = "image") -> None:
        """Raise :class:`pasd.utils.memory.ImageTooLargeError` if a ``width x height`` input would not fit.

        A no-op for methods without a measured ``bytes_per_output_pixel``.
        """
        if self.bytes_per_output_pixel is None:
            return
        from pasd.utils.memory import check_fits

        check_fits(width, height, scale=self.scale, bytes_per_output_pixel=self.bytes_per_output_pixel,
                   device=self.device, what=what)  # fmt: skip

    def missing_weights(self) -> list[str]:
        """Artifact names that :mod:`pasd.hub` cannot find (presence only, no hashing)."""
        from pasd import hub

        return hub.missing(self.weights)

    def load(self) -> None:  # noqa: B027 - optional hook, not abstract: interpolation has nothing to load
        """Load networks; called once before the first image. Default: nothing to load."""

    def __call__(self, image: np.ndarray, seed: int | None = None) -> np.ndarray:
        """Process one image.

        Args:
            image: ``uint8`` RGB ``(H, W, 3)``.
            seed: required for stochastic methods (the same seed must give the same bytes).

        Returns:
            ``uint8`` RGB ``(H * scale, W * scale, 3)`` for Real-ISR.

        Raises:
            TypeError / ValueError: on a wrong dtype or shape, or a missing seed.
        """
        return self.process_batch([image], [seed])[0]

    def process_item(self, image: np.ndarray, seed: int | None, names: Sequence[str] = ()) -> np.ndarray:
        """Process one dataset item; ``names`` identify it (item id, then the input's file stem).

        Methods that compute from pixels ignore ``names`` (this default); a method that imports
        outputs made elsewhere (the ``folder`` method) looks its file up by them.
        """
        return self(image, seed=seed)

    def ensure_loaded(self) -> None:
        """Load networks now (not at the first image), so a broken install fails before any work."""
        if not self._loaded:
            self.load()
            self._loaded = True

    def process_batch(self, images: Sequence[np.ndarray], seeds: Sequence[int | None]) -> list[np.ndarray]:
        """Process several images; subclasses with real batching override :meth:`_process_batch`."""
        if len(images) != len(seeds):
            raise ValueError(f"{len(images)} images but {len(seeds)} seeds")
        for img in images:
            _check_image(img)
        if self.stochastic and any(s is None for s in seeds):
            raise ValueError(f"{self.name} is stochastic: pass a seed for every image")
        if not self._loaded:
            self.load()
            self._loaded = True
        outs = self._process_batch(list(images), list(seeds))
        for img, out in zip(images, outs):
            _check_image(out)
            if self.task == "real-isr" and out.shape[:2] != (
                img.shape[0] * self.scale,
                img.shape[1] * self.scale,
            ):
                raise RuntimeError(
                    f"{self.name}: output {out.shape[:2]} is not {self.scale}x the input {img.shape[:2]}"
                )
        return outs

    def _process_batch(self, images: list[np.ndarray], seeds: list[int | None]) -> list[np.ndarray]:
        return [self._process(img, seed) for img, seed in zip(images, seeds)]

    @abc.abstractmethod
    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        """The method itself, on one validated image."""


def _option_identity(value: Any) -> Any:
    """An option value, plus a fingerprint when it names an existing file or folder (weights by path)."""
    if not isinstance(value, (str, Path)) or len(str(value)) > 4096:
        return value
    text = str(value)
    # only what looks like a path: words such as "wavelet" must not match a file in the cwd
    if not ("/" in text or os.sep in text or text.lower().endswith(_WEIGHT_SUFFIXES)):
        return value
    path = Path(text).expanduser()
    try:
        if not (path.is_file() or path.is_dir()):
            return value
        found = [path] if path.is_file() else (p for p in path.rglob("*") if p.is_file())
        files = sorted(itertools.islice(found, 10_000))
        # ctime too: an mtime can be set back (rsync -a, cp -p) over new content, a ctime cannot
        stamp = [(str(p.relative_to(path)) if p != path else "", st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                 for p, st in ((p, p.stat()) for p in files)]  # fmt: skip
    except OSError:
        return value
    return {"path": str(value), "fingerprint": hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]}


def _check_image(img: np.ndarray) -> None:
    if not isinstance(img, np.ndarray):
        raise TypeError(f"images must be numpy arrays, got {type(img).__name__}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"images must be uint8 (H, W, 3) RGB, got {img.dtype} {img.shape}")


def create_method(name: str, device: str = "cpu", **params: Any) -> Method:
    """Build the method registered as ``name`` (KeyError with close matches if unknown)."""
    return METHODS.get(name)(device=device, **params)
