"""Pretrained-artifact registry: names, sources, hashes, resolution, verification and download.

Resolution order for every loader in the suite:

1. an explicit path argument (``--base DIR``, ``path=``); a wrong explicit path is an error;
2. ``$PASD_BENCH_HOME/weights/<name>/`` (default home: ``~/.cache/pasd-bench``);
3. the owning library's own cache (Hugging Face hub cache, ``torch.hub.get_dir()``, pyiqa's
   cache, clean-fid's folder, the ``clip`` package cache, or the installed package itself).

Loaders raise :class:`MissingWeightsError`, whose message lists the paths searched and the
``pasd-bench weights fetch NAME`` command.
"""

from pasd.hub.caches import ENV_HOME, bench_home
from pasd.hub.download import fetch
from pasd.hub.errors import MissingWeightsError
from pasd.hub.identity import identify
from pasd.hub.registry import (
    ARTIFACTS_FILE,
    Artifact,
    ArtifactFile,
    get_artifact,
    list_artifacts,
    load_artifacts,
)
from pasd.hub.resolve import ArtifactReport, candidates, locate, missing, resolve, resolve_file, verify

__all__ = [
    "ARTIFACTS_FILE",
    "ENV_HOME",
    "Artifact",
    "ArtifactFile",
    "ArtifactReport",
    "MissingWeightsError",
    "bench_home",
    "candidates",
    "fetch",
    "get_artifact",
    "identify",
    "list_artifacts",
    "load_artifacts",
    "locate",
    "missing",
    "resolve",
    "resolve_file",
    "verify",
]
