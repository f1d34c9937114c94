"""The FID feature pipelines that evaluation scripts disagree on, besides clean-fid's ``clean``.

- clean-fid ``legacy_tensorflow``: no resize outside the network; the TorchScript Inception
  resizes inside (``InceptionV3W(resize_inside=True)``), as TF1's FID code did.
- clean-fid ``legacy_pytorch``: torch bilinear resize to 299 (``make_resizer("PyTorch", ...)``),
  then pytorch-fid's Inception port (``cleanfid.inception_pytorch.InceptionV3``) on ``x / 255``.
- pyiqa's ``FID`` (``pyiqa/archs/fid_arch.py``), what OSEDiff and StableSR report: pytorch-fid's
  Inception port (pyiqa's own copy) after pyiqa's ``ResizeDataset`` resize for the mode: ``clean``
  = per-channel PIL bicubic in float then ``(x - 128) / 128``; ``legacy_pytorch`` = torch
  bilinear then ``2 * x / 255 - 1``; ``legacy_tensorflow`` = pyiqa's TF1-style bilinear.

The pytorch-fid port loads ``pt_inception-2015-12-05-6726825d.pth`` (artifact
``inception-fid-pt``); both libraries would download it, so the state dict is loaded here from
the resolved local file instead, with strict key checking.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from benchmarks.metrics.base import FeatureExtractor
from benchmarks.metrics.features import INCEPTION_FILE, _weights_id
from benchmarks.metrics.weights import weights_file

FID_IMPLEMENTATIONS: tuple[str, ...] = ("clean-fid", "pyiqa")
FID_MODES: tuple[str, ...] = ("clean", "legacy_pytorch", "legacy_tensorflow")


def _by_shape(images: list[np.ndarray]) -> Iterator[tuple[list[int], np.ndarray]]:
    """Indices and stacked arrays of same-size images (a network without outside resize needs that)."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for i, im in enumerate(images):
        groups.setdefault(im.shape, []).append(i)
    for idx in groups.values():
        yield idx, np.stack([images[i] for i in idx])


def _pt_state(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)


@contextlib.contextmanager
def _local_pt_weights(library: str, path: Path) -> Iterator[None]:
    """Make the library's ``fid_inception_v3`` load ``path`` instead of downloading.

    clean-fid calls ``load_state_dict_from_url(URL)`` and then ``load_state_dict`` (strict);
    pyiqa calls ``load_pretrained_network(net, URL)``; each is replaced by a read of the file,
    and the load itself stays strict so a wrong file fails on its keys.
    """
    if library == "clean-fid":
        import cleanfid.inception_pytorch as module

        with mock.patch.object(module, "load_state_dict_from_url", lambda *a, **k: _pt_state(path)):
            yield
        return
    import pyiqa.archs.inception as module

    def load(net, *args, **kwargs):
        net.load_state_dict(_pt_state(path), strict=True)

    with mock.patch.object(module, "load_pretrained_network", load):
        yield


class LegacyTFInceptionExtractor(FeatureExtractor):
    """clean-fid ``legacy_tensorflow``: the TorchScript Inception resizing inside the network."""

    def __init__(self, device: str | torch.device = "cpu", path: Path | None = None) -> None:
        from cleanfid.inception_torchscript import InceptionV3W

        path = Path(path) if path is not None else weights_file("inception-fid")
        if path.name != INCEPTION_FILE:
            raise ValueError(f"clean-fid loads {INCEPTION_FILE!r} from a folder; got {path}")
        self.device = torch.device(device)
        self.model = InceptionV3W(str(path.parent), download=False, resize_inside=True).to(self.device).eval()
        self.key = f"inception-legacy_tensorflow-{_weights_id(path)}"

    @torch.no_grad()
    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(images), 2048))
        for idx, batch in _by_shape(images):
            x = torch.from_numpy(batch.astype(np.float32)).permute(0, 3, 1, 2).to(self.device)
            out[idx] = self.model(x).double().cpu().numpy()
        return out


class CleanFIDPytorchInceptionExtractor(FeatureExtractor):
    """clean-fid ``legacy_pytorch``: torch bilinear resize, then pytorch-fid's Inception on ``x / 255``."""

    def __init__(self, device: str | torch.device = "cpu", path: Path | None = None) -> None:
        from cleanfid.inception_pytorch import InceptionV3
        from cleanfid.resize import build_resizer

        path = Path(path) if path is not None else weights_file("inception-fid-pt")
        self.device = torch.device(device)
        with _local_pt_weights("clean-fid", path):
            self.model = InceptionV3(output_blocks=[3], resize_input=False).to(self.device).eval()
        self.resize = build_resizer("legacy_pytorch")
        self.key = f"inception-pt-cleanfid-legacy_pytorch-{_weights_id(path)}"

    @torch.no_grad()
    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        batch = np.stack([self.resize(im) for im in images]).astype(np.float32)
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).to(self.device)
        # cleanfid.features.feature_extractor("pytorch_inception"): model(x / 255)[0]
        return self.model(x / 255.0)[0].reshape(len(images), -1).double().cpu().numpy()


class PyiqaInceptionExtractor(FeatureExtractor):
    """pyiqa's ``FID`` feature path (``get_folder_features``) for one ``mode``, on decoded arrays."""

    def __init__(
        self, device: str | torch.device = "cpu", mode: str = "clean", path: Path | None = None
    ) -> None:
        from pyiqa.archs.inception import InceptionV3

        if mode not in FID_MODES:
            raise ValueError(f"pyiqa FID mode {mode!r} not in {FID_MODES}")
        path = Path(path) if path is not None else weights_file("inception-fid-pt")
        self.device, self.mode = torch.device(device), mode
        with _local_pt_weights("pyiqa", path):
            self.model = InceptionV3(output_blocks=[3]).to(self.device).eval()
        self.key = f"inception-pt-pyiqa-{mode}-{_weights_id(path)}"

    def _resize(self, im: np.ndarray) -> torch.Tensor:
        # pyiqa.archs.fid_arch.ResizeDataset.__getitem__, from an array instead of a file
        from PIL import Image

        if self.mode == "clean":
            chans = [
                np.asarray(
                    Image.fromarray(im[:, :, c].astype(np.float32), mode="F").resize(
                        (299, 299), Image.BICUBIC
                    )
                )
                .clip(0, 255)
                .reshape(299, 299, 1)
                for c in range(3)
            ]
            return torch.tensor(np.concatenate(chans, axis=2).astype(np.float32)).permute(2, 0, 1)
        x = torch.from_numpy(im.clip(0, 255)).permute(2, 0, 1).float().unsqueeze(0)
        if self.mode == "legacy_tensorflow":
            from pyiqa.archs.fid_arch import interpolate_bilinear_2d_like_tensorflow1x

            return interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False).squeeze(
                0
            )
        return torch.nn.functional.interpolate(
            x, size=(299, 299), mode="bilinear", align_corners=False
        ).squeeze(0)

    @torch.no_grad()
    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        batch = torch.stack([self._resize(im) for im in images])
        # get_folder_features: clean / legacy_tensorflow -> (x - 128) / 128, no normalisation;
        # legacy_pytorch -> x / 255 with the model's own (-1, 1) normalisation
        if self.mode == "legacy_pytorch":
            feats = self.model(batch.to(self.device) / 255, False, True)[0]
        else:
            feats = self.model((batch.to(self.device) - 128) / 128, False, False)[0]
        return feats.reshape(len(images), -1).double().cpu().numpy()


def build_fid_extractor(
    extractor: str, implementation: str = "clean-fid", mode: str = "clean", device: str | torch.device = "cpu"
) -> FeatureExtractor:
    """The feature extractor for one (network, implementation, mode).

    Raises:
        ValueError: an unknown or unsupported combination (CLIP-FID exists in clean-fid's clean mode only).
        pasd.hub.MissingWeightsError: its weights are not on disk.
    """
    from benchmarks.metrics.features import build_extractor

    if implementation not in FID_IMPLEMENTATIONS:
        raise ValueError(f"FID implementation {implementation!r} not in {FID_IMPLEMENTATIONS}")
    if mode not in FID_MODES:
        raise ValueError(f"FID mode {mode!r} not in {FID_MODES}")
    if extractor == "clip":
        if (implementation, mode) != ("clean-fid", "clean"):
            raise ValueError(f"CLIP-FID exists in clean-fid's 'clean' mode only, not {implementation}/{mode}")
        return build_extractor("clip", device)
    if extractor != "inception":
        raise ValueError(f"unknown feature extractor {extractor!r}; allowed: ['clip', 'inception']")
    if implementation == "pyiqa":
        return PyiqaInceptionExtractor(device, mode)
    if mode == "clean":
        return build_extractor("inception", device)
    if mode == "legacy_tensorflow":
        return LegacyTFInceptionExtractor(device)
    return CleanFIDPytorchInceptionExtractor(device)
