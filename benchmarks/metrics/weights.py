"""Find a metric's weights through :mod:`pasd.hub` and load backbone state dicts.

Every metric that needs weights calls :func:`weights_file` and hands the resolved path to the
owning library, so nothing downloads at run time and a missing file raises
:class:`pasd.hub.MissingWeightsError` (naming the fetch command).
"""

from __future__ import annotations

from pathlib import Path

import torch

from pasd.hub import MissingWeightsError, get_artifact, resolve_file


def weights_file(artifact: str, suffix: str | None = None) -> Path:
    """Path of the (only, or first ``suffix``-matching) file of ``artifact``.

    Raises:
        MissingWeightsError: the artifact is not on disk, or not in the artifact table at all.
        ValueError: the artifact has several files and none ends with ``suffix``.
    """
    try:
        art = get_artifact(artifact)
    except KeyError:
        raise MissingWeightsError(
            artifact, reason="not listed in the artifact table (see `pasd-bench weights list`)"
        ) from None
    if len(art.files) == 1:
        return resolve_file(artifact)
    names = [f.path for f in art.files]
    match = [n for n in names if suffix and n.endswith(suffix)]
    if not match:
        raise ValueError(f"artifact {artifact!r} has files {names}; none ends with {suffix!r}")
    return resolve_file(artifact, match[0])


def load_state_dict(artifact: str, suffix: str | None = None) -> dict[str, torch.Tensor]:
    """A plain ``torch.save``'d state dict (torchvision/lpips/DISTS format), loaded on CPU."""
    path = weights_file(artifact, suffix)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
    return state


def load_features_into(
    modules: dict[str, torch.nn.Module], state: dict[str, torch.Tensor], source: str
) -> None:
    """Copy a torchvision ``features.<i>.*`` state dict into re-sliced copies of ``features``.

    lpips and DISTS split torchvision's ``features`` Sequential into slices that keep the
    original child indices (``slice2.3.weight`` is ``features.3.weight``); ``modules`` maps each
    index to its module. Every ``features.*`` tensor must find a home (strict), so a wrong file
    cannot load silently.
    """
    used = set()
    for idx, module in modules.items():
        for pname, param in module.state_dict().items():
            key = f"features.{idx}.{pname}"
            if key not in state:
                raise ValueError(f"{source}: key {key!r} missing from the backbone state dict")
            if state[key].shape != param.shape:
                raise ValueError(
                    f"{source}: {key} has shape {tuple(state[key].shape)}, expected {tuple(param.shape)}"
                )
            used.add(key)
        module.load_state_dict({p: state[f"features.{idx}.{p}"] for p in module.state_dict()})
    extra = [k for k in state if k.startswith("features.") and k not in used]
    if extra:
        raise ValueError(f"{source}: backbone keys not used: {extra[:5]}")


def weights_id(*paths: Path) -> str:
    """A short id of weight files by name, size and mtime (hashing GBs on every run would not pay).

    Part of every cache key derived from a network's output, so replacing a file invalidates it.
    """
    import hashlib

    h = hashlib.sha256()
    for path in paths:
        st = Path(path).stat()
        h.update(f"{Path(path).name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:12]
