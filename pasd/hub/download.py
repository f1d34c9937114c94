"""Download artifacts with a progress bar, check their hashes, and fail fast when offline."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from pasd.hub.caches import bench_weights_dir, home_is_explicit, library_cache_dir
from pasd.hub.errors import MissingWeightsError
from pasd.hub.registry import Artifact, ArtifactFile, get_artifact
from pasd.hub.resolve import ArtifactReport, candidates, check_file, verify
from pasd.utils.io import atomic_open

logger = logging.getLogger(__name__)

#: env var: seconds to wait for a TCP connection before declaring the source unreachable
ENV_TIMEOUT = "PASD_BENCH_CONNECT_TIMEOUT"


def connect_timeout() -> float:
    return float(os.environ.get(ENV_TIMEOUT, "8"))


_CHUNK = 1 << 20


def _offline_env() -> str | None:
    for var in ("PASD_BENCH_OFFLINE", "HF_HUB_OFFLINE"):
        if os.environ.get(var, "").lower() in ("1", "true", "yes", "on"):
            return var
    return None


def _check_reachable(url: str) -> None:
    """Open (and close) one TCP connection with a short timeout so that offline fails in seconds."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    with socket.create_connection((parsed.hostname, port), timeout=connect_timeout()):
        pass


def _hf_endpoint() -> str:
    """The Hugging Face endpoint huggingface_hub downloads from (``HF_ENDPOINT``; a mirror or a test server)."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def _target_dir(artifact: Artifact) -> Path | None:
    """Where ``fetch`` writes: ``$PASD_BENCH_HOME/weights/NAME`` when set, else the library's cache.

    ``None`` means the Hugging Face hub cache, which ``hf_hub_download`` manages itself.
    """
    if home_is_explicit():
        return bench_weights_dir(artifact.name)
    if artifact.cache == "hf":
        return None
    _, folder = library_cache_dir(artifact.cache, artifact.package, artifact.repo_id)
    return folder if folder is not None else bench_weights_dir(artifact.name)


def _download_url(f: ArtifactFile, dest: Path) -> None:
    """Stream ``f.url`` to ``dest`` atomically, hashing on the fly, with a tqdm bar."""
    from tqdm.auto import tqdm

    req = urllib.request.Request(f.url, headers={"User-Agent": "pasd-bench"})
    h = hashlib.sha256()
    with urllib.request.urlopen(req, timeout=connect_timeout()) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or f.size
        with (
            atomic_open(dest, "wb") as out,
            tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar,
        ):
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                out.write(chunk)
                h.update(chunk)
                bar.update(len(chunk))
            if f.sha256 is not None and h.hexdigest() != f.sha256:
                # raising inside atomic_open discards the temporary file
                raise ValueError(f"sha256 {h.hexdigest()} does not match {f.sha256}")


def _download_hf(artifact: Artifact, f: ArtifactFile, local_dir: Path | None) -> Path:
    from huggingface_hub import hf_hub_download

    # etag/download timeouts are read by huggingface_hub from these variables
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", str(int(connect_timeout())))
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", str(int(connect_timeout())))
    return Path(hf_hub_download(artifact.repo_id, f.path, revision=artifact.revision, local_dir=local_dir))


def fetch(name: str) -> ArtifactReport:
    """Download every missing file of artifact ``name`` and verify the result.

    Already-present files with a matching hash are not downloaded again.

    Raises:
        MissingWeightsError: offline, unreachable source, HTTP error, hash mismatch, or an
            artifact with no direct download; the message says what failed and where to put files.
    """
    artifact = get_artifact(name)
    searched = [(c.label, c.root) for c in candidates(artifact)]

    def fail(reason: str) -> MissingWeightsError:
        manual = artifact.notes
        if manual is None and artifact.cache == "hf":
            manual = f"download https://huggingface.co/{artifact.repo_id} into {bench_weights_dir(name)}"
        elif manual is None:
            urls = ", ".join(f.url for f in artifact.files if f.url)
            manual = f"download {urls} into {bench_weights_dir(name)}"
        err = MissingWeightsError(name, searched, reason, manual)
        err.fetch_command = f"pasd-bench weights fetch {name}  (failed: {reason})"
        return err

    report = verify(name)
    if report.usable and all(fr.status == "ok" or fr.file.sha256 is None for fr in report.files):
        return report
    if not artifact.fetchable:
        raise fail("no direct download is available")
    if artifact.cache == "package":
        raise fail(f"shipped inside the pip package {artifact.package!r}; reinstall it")
    offline = _offline_env()
    if offline:
        raise fail(f"offline ({offline} is set)")

    probe = _hf_endpoint() if artifact.cache == "hf" else next(f.url for f in artifact.files if f.url)
    try:
        _check_reachable(probe)
    except OSError as exc:
        raise fail(f"cannot reach {urlparse(probe).hostname} ({exc.__class__.__name__}: {exc})") from exc

    target = _target_dir(artifact)
    logger.info("fetching %s into %s", name, target or "the Hugging Face cache")
    for f in artifact.files:
        try:
            if artifact.cache == "hf":
                # hf_hub_download skips files already in its cache
                got_path = _download_hf(artifact, f, target)
            else:
                flat = target != bench_weights_dir(name)
                got_path = target / (Path(f.path).name if flat else f.path)
                if check_file(f, got_path).status != "ok":
                    _download_url(f, got_path)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise fail(f"download of {f.path} failed: {exc}") from exc
        except Exception as exc:  # huggingface_hub raises its own HTTP error hierarchy
            raise fail(f"download of {f.path} failed: {exc.__class__.__name__}: {exc}") from exc
        got = check_file(f, got_path)
        if got.status not in ("ok", "unverified"):
            raise fail(f"{f.path}: {got.status} ({got.detail})")
    return verify(name)
