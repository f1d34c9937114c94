"""The ``manifest.json`` of a synthetic set: settings, versions and one entry per image."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from pasd.degradation.config import DegradationConfig
from pasd.utils.io import atomic_write_json

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


def package_versions() -> dict[str, str]:
    """Versions of everything that can change the LQ bytes."""
    out = {"python": platform.python_version()}
    for dist in ("pasd-bench", "torch", "basicsr", "numpy", "opencv-python-headless", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def new_manifest(
    config: DegradationConfig,
    seed: int,
    crop: int | None,
    alpha: str = "error",
    hq_dir: str | Path | None = None,
) -> dict[str, Any]:
    """An empty manifest; ``settings`` is what must match for a run to resume into a folder.

    Args:
        alpha: the translucent-alpha policy; recorded in ``settings`` only when it is not the
            default, so folders made before the option existed still resume.
        hq_dir: the HQ folder (recorded, so ``pasd-bench data verify synth`` can find the sources).
    """
    settings: dict[str, Any] = {
        "config": config.to_dict(),
        "seed": int(seed),
        "scale": config.scale,
        "crop": crop,
    }
    if alpha != "error":
        settings["alpha"] = alpha
    out: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        # through JSON so a fresh manifest compares equal to one read back from disk
        "settings": json.loads(json.dumps(settings)),
        "versions": package_versions(),
        "images": {},
        "duplicates": {},
    }
    if hq_dir is not None:
        out["hq_dir"] = str(Path(hq_dir).resolve())
    return out


def load_manifest(path: str | Path) -> dict[str, Any] | None:
    """Read a manifest, or ``None`` if there is none.

    Raises:
        ValueError: the file is not a manifest this version can resume from.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); move it away to start over") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or "settings" not in data:
        raise ValueError(
            f"{path} is not a format-{MANIFEST_FORMAT} synth manifest; move it away to start over"
        )
    # JSON turns tuples into lists; compare settings in that form
    data["settings"] = json.loads(json.dumps(data["settings"]))
    data.setdefault("duplicates", {})
    return data


def write_manifest(path: str | Path, manifest: dict[str, Any]) -> None:
    """Write atomically with sorted keys, so equal content gives equal bytes."""
    atomic_write_json(path, manifest)


def settings_diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two settings dicts, as ``key: old -> new``."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += settings_diff(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]
