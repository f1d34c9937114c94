"""Where each owning library keeps the weights it downloads itself.

Resolution looks there last, so that weights a user already has (from diffusers, pyiqa,
clean-fid, torchvision, ...) are found without a second copy.
"""

from __future__ import annotations

import importlib.util
import os
import platform
from pathlib import Path

ENV_HOME = "PASD_BENCH_HOME"


def bench_home() -> Path:
    """``$PASD_BENCH_HOME``, else ``$XDG_CACHE_HOME/pasd-bench``, else ``~/.cache/pasd-bench``."""
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "pasd-bench"


def home_is_explicit() -> bool:
    return bool(os.environ.get(ENV_HOME))


def bench_weights_dir(name: str) -> Path:
    return bench_home() / "weights" / name


def torch_hub_dir() -> Path:
    """``torch.hub.get_dir()``: ``$TORCH_HOME/hub`` (default ``~/.cache/torch/hub``)."""
    import torch.hub

    return Path(torch.hub.get_dir())


def package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def modelscope_cache_base() -> Path:
    """``$MODELSCOPE_CACHE``, else ``~/.cache/modelscope`` (modelscope-hub's cache root)."""
    env = os.environ.get("MODELSCOPE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "modelscope"


def library_cache_dir(
    cache: str, package: str | None = None, repo_id: str | None = None
) -> tuple[str, Path | None]:
    """The (label, folder) where the owning library looks for a file by its base name.

    ``hf`` is handled separately (it has its own snapshot layout); this covers the libraries
    that keep a flat folder of files.
    """
    if cache == "torch-hub":
        return "torch hub cache", torch_hub_dir() / "checkpoints"
    if cache == "pyiqa":
        # pyiqa.utils.download_util.DEFAULT_CACHE_DIR
        return "pyiqa cache", torch_hub_dir() / "pyiqa"
    if cache == "cleanfid":
        # cleanfid.features.feature_extractor hard-codes this folder
        return "clean-fid folder", Path("./" if platform.system() == "Windows" else "/tmp")
    if cache == "clip":
        # clip.load(download_root=None)
        return "clip cache", Path("~/.cache/clip").expanduser()
    if cache == "ultralytics":
        return "ultralytics weights dir", _ultralytics_weights_dir()
    if cache == "modelscope":
        # the folder `snapshot_download` writes today; resolve.py searches the older layouts too
        owner, _, name = (repo_id or "").partition("/")
        return (
            "ModelScope cache",
            modelscope_cache_base() / "models" / f"{owner}--{name}" / "snapshots" / "master",
        )
    if cache == "package":
        return f"installed package {package}", package_dir(package) if package else None
    raise ValueError(f"unknown cache {cache!r}")


def _ultralytics_weights_dir() -> Path | None:
    if importlib.util.find_spec("ultralytics") is None:
        return None
    from ultralytics.utils import SETTINGS

    return Path(SETTINGS["weights_dir"])
