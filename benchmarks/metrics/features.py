"""clean-fid's feature extractors, built from locally resolved weights, fed with decoded arrays.

``clean`` mode as in ``cleanfid.resize.build_resizer("clean")``: each channel resized to
299x299 with PIL bicubic in float32, then the Inception-v3 torchscript network
(``InceptionV3W``); for CLIP-FID, clean-fid's ``img_preprocess_clip`` (bicubic resize of the
short side to 224 + centre crop, uint8) and its ``CLIP_fx`` (ViT-B/32 image embedding). The
arrays go through the same functions clean-fid's ``ResizeDataset`` applies to each file, so
the features equal clean-fid's folder features for the same decoded pixels.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from benchmarks.metrics.base import FeatureExtractor
from benchmarks.metrics.weights import weights_file

#: the file name InceptionV3W looks for inside the folder it is given
INCEPTION_FILE = "inception-2015-12-05.pt"


def _weights_id(path: Path) -> str:
    # size + mtime identify a weights file cheaply (hashing 350 MB of CLIP on every run would not)
    st = path.stat()
    return hashlib.sha256(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]


class InceptionExtractor(FeatureExtractor):
    """2048-d pool3 features of clean-fid's Inception-v3 in ``clean`` mode."""

    def __init__(self, device: str | torch.device = "cpu", path: Path | None = None) -> None:
        from cleanfid.inception_torchscript import InceptionV3W
        from cleanfid.resize import build_resizer

        path = Path(path) if path is not None else weights_file("inception-fid")
        if path.name != INCEPTION_FILE:
            raise ValueError(f"clean-fid loads {INCEPTION_FILE!r} from a folder; got {path}")
        self.device = torch.device(device)
        self.model = (
            InceptionV3W(str(path.parent), download=False, resize_inside=False).to(self.device).eval()
        )
        self.resize = build_resizer("clean")
        self.key = f"inception-clean-{_weights_id(path)}"

    @torch.no_grad()
    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        batch = np.stack([self.resize(im) for im in images]).astype(np.float32)
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).to(self.device)
        return self.model(x).double().cpu().numpy()


class ClipExtractor(FeatureExtractor):
    """clean-fid's CLIP ViT-B/32 image embeddings (``model_name="clip_vit_b_32"``)."""

    def __init__(self, device: str | torch.device = "cpu", path: Path | None = None) -> None:
        from benchmarks.metrics.clip_compat import import_clip

        import_clip()
        from cleanfid.clip_features import CLIP_fx, img_preprocess_clip

        path = Path(path) if path is not None else weights_file("clip-vit-b32")
        self.device = torch.device(device)
        # clip.load accepts a file path (JIT archive or state dict) and then downloads nothing
        self.model = CLIP_fx(str(path), device=str(self.device))
        self.preprocess = img_preprocess_clip
        self.key = f"clip-vit-b32-{_weights_id(path)}"

    @torch.no_grad()
    def __call__(self, images: list[np.ndarray]) -> np.ndarray:
        batch = np.stack([self.preprocess(im) for im in images])
        # ResizeDataset's uint8 branch: ToTensor() * 255 -> float in [0, 255]
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float().to(self.device)
        return self.model(x).double().cpu().numpy()


EXTRACTORS = {"inception": InceptionExtractor, "clip": ClipExtractor}


def build_extractor(name: str, device: str | torch.device = "cpu") -> FeatureExtractor:
    """Build a feature extractor by name.

    Raises:
        ValueError: unknown ``name``.
        pasd.hub.MissingWeightsError: its weights are not on disk.
    """
    if name not in EXTRACTORS:
        raise ValueError(f"unknown feature extractor {name!r}; allowed: {sorted(EXTRACTORS)}")
    return EXTRACTORS[name](device)
