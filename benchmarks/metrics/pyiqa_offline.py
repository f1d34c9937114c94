"""Build pyiqa presets offline: pyiqa's own construction, its downloads answered by pasd.hub files.

``pyiqa.create_metric(name)`` runs its default path (the preset's options, checkpoint keys,
strictness, class count) while every download call is answered by a locally resolved artifact:
``load_file_from_url`` (pyiqa's weights), ``clip_model._download`` (OpenAI CLIP backbones) and
timm's ImageNet init (MANIQA's ViT, TOPIQ's ResNet; both checkpoints hold those weights and
are loaded strictly). A URL no artifact of the metric provides is a :class:`MissingWeightsError`,
never a download. Passing ``pretrained_model_path`` instead would not be the same: MANIQA then
reads the file's ``params`` key, which the released checkpoints do not have, and TOPIQ loads
non-strictly.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

import torch

from benchmarks.metrics.configs import PYIQA_WEIGHTS
from pasd.hub import MissingWeightsError, get_artifact, resolve_file

logger = logging.getLogger(__name__)


#: the pyiqa versions this wiring was read from and tested with (pyproject pins the same range)
TESTED_PYIQA: tuple[str, str] = ("0.1.16", "0.1.17")  # [low, high)

#: presets whose network needs a minimum image size (pyiqa asserts it; we say it first)
MIN_SIDE: dict[str, int] = {"liqe": 224, "liqe_mix": 224, "niqe": 96}


def _check_version() -> str:
    import pyiqa
    from packaging.version import Version

    v = getattr(pyiqa, "__version__", "0")
    low, high = TESTED_PYIQA
    if not Version(low) <= Version(v) < Version(high):
        logger.warning("pyiqa %s is outside the tested range [%s, %s): scores may differ", v, low, high)
    return v


def artifact_files(artifacts: tuple[str, ...]) -> dict[str, Path]:
    """File base name -> resolved path for every file of ``artifacts``.

    Raises:
        MissingWeightsError: an artifact is not on disk or not in the artifact table.
    """
    files: dict[str, Path] = {}
    for name in artifacts:
        try:
            art = get_artifact(name)
        except KeyError:
            raise MissingWeightsError(
                name, reason="not listed in the artifact table (see `pasd-bench weights list`)"
            ) from None
        for f in art.files:
            files[Path(f.path).name] = resolve_file(name, f.path)
    return files


@contextlib.contextmanager
def offline_pyiqa(files: dict[str, Path], metric: str) -> Iterator[None]:
    """Answer pyiqa's download calls with ``files`` (by base name); anything else is missing weights."""
    import timm

    from benchmarks.metrics.clip_compat import import_clip

    import_clip()  # pyiqa's CLIP-based archs import OpenAI clip, which needs pkg_resources
    from pyiqa.archs import arch_util, clip_model, clipiqa_arch, liqe_arch, niqe_arch

    def local(url: str, *args, **kwargs) -> str:
        name = os.path.basename(urlparse(url).path)
        if name not in files:
            raise MissingWeightsError(
                f"pyiqa:{name}",
                reason=f"metric {metric!r}: pyiqa asked for {url}, which none of its artifacts "
                f"({', '.join(sorted(files)) or 'none'}) provides (wiring read from pyiqa {TESTED_PYIQA[0]})",
            )
        return str(files[name])

    real_create = timm.create_model

    def create_model(name: str, pretrained: bool = False, **kw):
        # MANIQA's ViT and TOPIQ's ResNet come from timm with ImageNet weights, which the metric's
        # checkpoint then overwrites entirely (both load it strictly): skip the ImageNet download
        return real_create(name, pretrained=False, **kw)

    with contextlib.ExitStack() as stack:
        for module in (arch_util, niqe_arch, clipiqa_arch):
            stack.enter_context(mock.patch.object(module, "load_file_from_url", local))
        stack.enter_context(mock.patch.object(clip_model, "_download", local))
        stack.enter_context(mock.patch.object(timm, "create_model", create_model))
        # LIQE caches its prompt embeddings in pyiqa's weights folder and reads any file found
        # there later, even one made by other weights: give it a fresh folder every time
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pasd-liqe-"))
        stack.enter_context(mock.patch.object(liqe_arch, "DEFAULT_CACHE_DIR", tmp))
        yield


def build_pyiqa(pyiqa_name: str, device: str | torch.device = "cpu", **kwargs) -> torch.nn.Module:
    """``pyiqa.create_metric(pyiqa_name)`` built from the resolved local weights.

    Args:
        pyiqa_name: a key of :data:`PYIQA_WEIGHTS`.
        device: where the network runs.
        **kwargs: pyiqa options over the preset's (e.g. ``backbone_pretrain=False``).

    Raises:
        KeyError: a pyiqa preset this suite has no weights mapping for.
        pasd.hub.MissingWeightsError: the weights are not on disk.
    """
    if pyiqa_name not in PYIQA_WEIGHTS:
        raise KeyError(f"pyiqa metric {pyiqa_name!r} not wired; allowed: {sorted(PYIQA_WEIGHTS)}")
    import pyiqa

    _check_version()
    files = artifact_files(PYIQA_WEIGHTS[pyiqa_name])
    with offline_pyiqa(files, pyiqa_name), contextlib.redirect_stdout(io.StringIO()):
        return pyiqa.create_metric(pyiqa_name, device=torch.device(device), **kwargs)
