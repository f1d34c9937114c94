"""What a result depends on besides code: package versions, devices, dtypes, codecs.

Every run stores :func:`collect_env` next to its results, so a drifting number can be traced
to a library upgrade.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

#: distribution names whose versions can change a score
PACKAGES: tuple[str, ...] = (
    "pasd-bench", "torch", "torchvision", "diffusers", "transformers", "accelerate",
    "huggingface_hub", "safetensors", "pyiqa", "clean-fid", "lpips", "DISTS_pytorch",
    "basicsr", "spandrel", "numpy", "scipy", "Pillow", "opencv-python-headless",
    "scikit-image", "pandas",
)  # fmt: skip


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _pillow_codecs() -> dict[str, Any]:
    from PIL import features

    return {
        "libjpeg": features.version("jpg"),
        "libjpeg_turbo": bool(features.check_feature("libjpeg_turbo")),
        "zlib": features.version("zlib"),
        "libpng": features.version("png") if "png" in features.get_supported_codecs() else None,
    }


def _git_revision() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _torch_info() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
        "cudnn_version": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "mps_available": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        "num_threads": torch.get_num_threads(),
        "devices": [],
    }
    dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    targets = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    for dev in targets:
        entry: dict[str, Any] = {"device": dev}
        if dev.startswith("cuda"):
            idx = int(dev.split(":")[1])
            props = torch.cuda.get_device_properties(idx)
            entry |= {
                "name": props.name,
                "memory_gib": round(props.total_memory / 2**30, 2),
                "capability": f"{props.major}.{props.minor}",
            }
        else:
            entry["name"] = platform.processor() or platform.machine()
        # a dtype is "supported" when a small matmul runs and gives a finite result
        ok = {}
        for dname, dt in dtypes.items():
            try:
                a = torch.ones(8, 8, dtype=dt, device=dev)
                ok[dname] = bool(torch.isfinite((a @ a).float()).all())
            except (RuntimeError, TypeError):
                ok[dname] = False
        entry["dtypes"] = ok
        info["devices"].append(entry)
    return info


def collect_env(with_torch: bool = True) -> dict[str, Any]:
    """Versions and capabilities as a JSON-serialisable dict (see ``pasd-bench env --json``)."""
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "git_revision": _git_revision(),
        "packages": {name: _version(name) for name in PACKAGES},
        "pillow_codecs": _pillow_codecs(),
    }
    if with_torch:
        env["torch"] = _torch_info()
    return env
