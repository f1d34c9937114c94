"""Training checkpoints: ``checkpoint-N/{unet,controlnet}`` in the released layout + accelerate's state.

A checkpoint is written into ``.checkpoint-N.partial`` and renamed to ``checkpoint-N`` only when
everything is on disk (``training_state.json`` last), so a process killed during a save leaves a
``.partial`` folder that nothing mistakes for a checkpoint; it is removed on the next start.
The models are saved once, as the release is (loadable by :func:`pasd.models.load_pasd_models`),
not a second time by accelerate: the save/load hooks swap accelerate's weight files for them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch

from pasd.utils.io import atomic_write_json

logger = logging.getLogger(__name__)

PREFIX = "checkpoint-"
STATE_FILE = "training_state.json"
PARTIAL = ".partial"
_NAME = re.compile(r"^checkpoint-(\d+)$")


def is_complete(path: str | Path) -> bool:
    """Whether ``path`` is a finished checkpoint (state file and both model configs present)."""
    p = Path(path)
    return all((p / f).is_file() for f in (STATE_FILE, "unet/config.json", "controlnet/config.json"))


def list_checkpoints(out_dir: str | Path) -> list[tuple[int, Path]]:
    """Complete checkpoints under ``out_dir`` as ``(step, path)``, oldest first."""
    root = Path(out_dir)
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        m = _NAME.match(p.name)
        if m and p.is_dir() and is_complete(p):
            found.append((int(m.group(1)), p))
    return sorted(found)


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    """The newest complete checkpoint, or None."""
    found = list_checkpoints(out_dir)
    return found[-1][1] if found else None


def resolve_resume(out_dir: str | Path, resume: str | Path | None) -> Path | None:
    """What ``--resume`` points at: ``latest`` (None if there is no checkpoint yet) or a folder.

    Raises:
        FileNotFoundError: A folder that does not exist.
        ValueError: A folder that is not a complete checkpoint.
    """
    if resume is None:
        return None
    if str(resume) == "latest":
        path = latest_checkpoint(out_dir)
        if path is None:
            logger.info("no checkpoint in %s yet: starting a new run", out_dir)
        return path
    path = Path(resume)
    if not path.is_dir():
        # a bare name such as checkpoint-400 means the one in the run folder
        path = Path(out_dir) / str(resume) if (Path(out_dir) / str(resume)).is_dir() else path
    if not path.is_dir():
        raise FileNotFoundError(f"checkpoint {resume} not found (give 'latest' or a checkpoint-N folder)")
    if not is_complete(path):
        raise ValueError(f"{path} is not a complete checkpoint (no {STATE_FILE} or model configs)")
    return path


def find_model_dir(path: str | Path) -> Path:
    """The folder holding ``unet/`` and ``controlnet/`` for ``path``: a checkpoint, or a run's newest one.

    Args:
        path: A ``checkpoint-N`` folder (ours or a release), or a training run folder.

    Raises:
        FileNotFoundError: If neither ``path`` nor any checkpoint in it holds the two model folders.
    """
    p = Path(path).expanduser()
    if (p / "unet" / "config.json").is_file() and (p / "controlnet" / "config.json").is_file():
        return p
    latest = latest_checkpoint(p)
    if latest is None:
        raise FileNotFoundError(
            f"{p} holds neither unet/ + controlnet/ nor a finished checkpoint-N/ (train one with pasd-bench train)"
        )
    return latest


def has_dr_supervision(path: str | Path) -> bool:
    """Whether the model in ``path`` (see :func:`find_model_dir`) has the DR module's toRGB heads.

    Raises:
        FileNotFoundError: As :func:`find_model_dir`.
    """
    config = json.loads((find_model_dir(path) / "controlnet" / "config.json").read_text(encoding="utf-8"))
    return bool(config.get("return_rgbs", True))  # the class default, as from_pretrained would use


def model_identity(path: str | Path) -> dict[str, Any]:
    """What identifies the model in a checkpoint folder: its training state and every file's SHA-256.

    A run folder retrained into the same place (same config, same step) writes the same
    ``training_state.json`` but other weights, and a copy (``rsync -a``) keeps sizes and mtimes:
    only the content says which weights they are. Digests are remembered by path, size and mtime
    (:func:`pasd.hub.hashing.sha256_file`), so only the first look at a new checkpoint reads it.

    Raises:
        FileNotFoundError: As :func:`find_model_dir`.
    """
    from pasd.hub.hashing import sha256_file

    root = find_model_dir(path)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != STATE_FILE)
    state_file = root / STATE_FILE
    return {
        "training_state": json.loads(state_file.read_text(encoding="utf-8"))
        if state_file.is_file()
        else None,
        "files": {p.relative_to(root).as_posix(): sha256_file(p) for p in files},
    }


def read_state(path: str | Path) -> dict[str, Any]:
    """The ``training_state.json`` of a checkpoint."""
    return json.loads((Path(path) / STATE_FILE).read_text(encoding="utf-8"))


def clean_partials(out_dir: str | Path) -> list[Path]:
    """Remove leftovers of interrupted saves; restore a checkpoint whose replacement was interrupted.

    Returns:
        The removed folders.
    """
    root = Path(out_dir)
    removed = []
    if not root.is_dir():
        return removed
    for p in sorted(root.glob(f".{PREFIX}*")):
        old = p.name.endswith(".old") and _NAME.match(p.name[1:-4])
        target = root / p.name[1:-4] if old else None
        if target is not None and not target.exists() and is_complete(p):
            os.rename(p, target)  # killed between the two renames of a replacement
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
        logger.warning("removed %s (an interrupted checkpoint save)", p)
    return removed


def _fsync_tree(root: Path) -> None:
    # the rename must not reach the disk before the files it publishes
    for dirpath, _, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _plain_permissions(root: Path) -> None:
    # safetensors writes 0600 files; a checkpoint gets what a plain open() would give (0666 & ~umask)
    umask = os.umask(0)
    os.umask(umask)
    for dirpath, _, files in os.walk(root):
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o666 & ~umask)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    from pasd.models.checkpoint_keys import WEIGHT_FILES

    for name in WEIGHT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        if name.endswith(".index.json"):
            state: dict[str, torch.Tensor] = {}
            for shard in sorted(set(json.loads(path.read_text())["weight_map"].values())):
                state.update(_load_one(folder / shard, load_file))
            return state
        return _load_one(path, load_file)
    raise FileNotFoundError(f"no weights in {folder}; looked for {', '.join(WEIGHT_FILES)}")


def _load_one(path: Path, load_file) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        return load_file(str(path))
    return torch.load(str(path), map_location="cpu", weights_only=True)


class CheckpointManager:
    """Save and restore checkpoints of one run through an ``accelerate.Accelerator``.

    Every process calls :meth:`save` (accelerate writes each process's RNG state); the main
    process writes the models, optimizer, scheduler, scaler and the state file, then renames.

    Args:
        accelerator: The run's accelerator (the trained module already prepared).
        out_dir: The run folder.
        keep: Keep only the newest ``keep`` checkpoints (None: all).
    """

    def __init__(self, accelerator: Any, out_dir: str | Path, keep: int | None = None) -> None:
        self.accelerator, self.out_dir, self.keep = accelerator, Path(out_dir), keep
        accelerator.register_save_state_pre_hook(self._save_models)
        accelerator.register_load_state_pre_hook(self._load_models)

    def _save_models(self, models: list, weights: list, output_dir: str) -> None:
        from pasd.tiny import save_released_layout

        for model in models:
            module = self.accelerator.unwrap_model(model)
            if self.accelerator.is_main_process:
                save_released_layout(module.unet, module.controlnet, output_dir)
                _plain_permissions(Path(output_dir))
        # accelerate would otherwise save the same weights again as model.safetensors
        weights.clear()

    def _load_models(self, models: list, input_dir: str) -> None:
        while models:
            module = self.accelerator.unwrap_model(models.pop())
            for name in ("unet", "controlnet"):
                # strict: a checkpoint of another variant fails here, naming the keys
                getattr(module, name).load_state_dict(_read_weights(Path(input_dir) / name), strict=True)

    def save(self, step: int, state: dict[str, Any]) -> Path:
        """Write ``checkpoint-<step>`` atomically; returns its path (the same on every process)."""
        acc = self.accelerator
        final = self.out_dir / f"{PREFIX}{step}"
        tmp = self.out_dir / f".{PREFIX}{step}{PARTIAL}"
        acc.wait_for_everyone()
        if acc.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        acc.wait_for_everyone()
        acc.save_state(str(tmp))
        acc.wait_for_everyone()
        if acc.is_main_process:
            atomic_write_json(tmp / STATE_FILE, {**state, "step": step})
            _fsync_tree(tmp)
            if final.exists():  # re-saving a step (resumed from an older checkpoint)
                old = self.out_dir / f".{PREFIX}{step}.old"
                os.rename(final, old)
                os.rename(tmp, final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, final)
            _fsync_dir(self.out_dir)
            logger.info("saved %s", final)
            self._prune()
        acc.wait_for_everyone()
        return final

    def _prune(self) -> None:
        if self.keep is None:
            return
        for _, path in list_checkpoints(self.out_dir)[: -self.keep]:
            shutil.rmtree(path, ignore_errors=True)
            logger.info("removed old %s (keep_checkpoints=%d)", path, self.keep)

    def load(self, path: str | Path) -> dict[str, Any]:
        """Restore models, optimizer, scheduler, scaler and RNG from ``path``; returns its state dict."""
        self.accelerator.load_state(str(path))
        logger.info("resumed from %s", path)
        return read_state(path)
