"""Seeded, hashed exemplar sets from a personalized model (e.g. ToonYou): the Table 2 FID reference.

The paper does not say which images its stylization FID/CLIP-FID compare against. One honest
choice is a set of images the personalized model itself generates: how close each method's
outputs come to "looking like ToonYou". This module makes such a set reproducibly: SD1.5 with
the style model loaded by the same code the methods use (:mod:`baselines.style_model`), a fixed
prompt list, one seed per image (``seed + i``), and a ``manifest.json`` holding every setting,
each file's sha256 and a digest of the whole set, which runs record. Generation resumes: images
already listed in the manifest are kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from pasd.utils.io import atomic_write_bytes, atomic_write_json

logger = logging.getLogger(__name__)

#: our prompt list (the paper has none): faces and scenes, the two Table 2 sets, in turn
DEFAULT_PROMPTS: tuple[str, ...] = (
    "a portrait of a person, best quality, masterpiece",
    "a landscape with mountains and a lake, best quality, masterpiece",
    "a close-up portrait of a smiling woman, best quality, masterpiece",
    "a city street with buildings, best quality, masterpiece",
    "a portrait of an old man, best quality, masterpiece",
    "a garden with flowers and trees, best quality, masterpiece",
)
DEFAULTS: dict[str, Any] = {
    "n": 100, "seed": 0, "prompts": list(DEFAULT_PROMPTS), "negative_prompt": "worst quality, low quality",
    "steps": 30, "cfg": 7.5, "size": 512, "dtype": "auto",
}  # fmt: skip
MANIFEST = "manifest.json"


def exemplar_settings(raw: dict[str, Any], source: Any = "") -> dict[str, Any]:
    """``raw`` (a preset's ``reference = { generated = ..., ... }``) checked and completed with :data:`DEFAULTS`.

    Raises:
        ValueError: unknown keys, a bad count/size, or an empty prompt list.
    """
    allowed = {"generated", *DEFAULTS}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(
            f"preset {source}: reference.generated: unknown keys {unknown}; allowed: {sorted(allowed)}"
        )
    out = {**DEFAULTS, **raw}
    out["generated"] = str(out["generated"])
    for key, low in (("n", 1), ("steps", 1), ("size", 64)):
        if not isinstance(out[key], int) or isinstance(out[key], bool) or out[key] < low:
            raise ValueError(f"preset {source}: reference {key} must be an int >= {low}, got {out[key]!r}")
    if out["size"] % 8:
        raise ValueError(f"preset {source}: reference size must be a multiple of 8, got {out['size']}")
    if (
        not isinstance(out["prompts"], list)
        or not out["prompts"]
        or not all(isinstance(p, str) for p in out["prompts"])
    ):
        raise ValueError(f"preset {source}: reference prompts must be a non-empty list of strings")
    return out


def settings_key(settings: dict[str, Any]) -> str:
    """12 hex digits identifying every generation setting (part of the folder name)."""
    blob = json.dumps(settings, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def exemplar_dir(settings: dict[str, Any], root: str | Path | None = None) -> Path:
    """``<root>/<model>-n<N>-seed<S>-<key>`` with root ``$PASD_BENCH_HOME/references`` by default."""
    from pasd.hub import bench_home

    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(settings["generated"]).stem or settings["generated"])
    base = Path(root) if root is not None else bench_home() / "references"
    return base / f"{stem}-n{settings['n']}-seed{settings['seed']}-{settings_key(settings)}"


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The folder's manifest, or ``None`` when there is none (or it is unreadable)."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def set_digest(files: dict[str, str]) -> str:
    """sha256 over ``name:sha256`` lines in name order: one value for the whole set."""
    return hashlib.sha256("".join(f"{k}:{files[k]}\n" for k in sorted(files)).encode()).hexdigest()


def exemplar_status(settings: dict[str, Any], folder: str | Path | None = None) -> tuple[Path, str | None]:
    """``(folder, None)`` when the set is complete, else ``(folder, why not)``."""
    folder = Path(folder) if folder is not None else exemplar_dir(settings)
    manifest = read_manifest(folder)
    if manifest is None:
        return (
            folder,
            f"not generated yet: run pasd-bench style-exemplars --preset <preset> (folder {folder})",
        )
    have = len(manifest.get("files", {}))
    if have < settings["n"]:
        return (
            folder,
            f"{have} of {settings['n']} exemplars generated: run pasd-bench style-exemplars --preset <preset> to finish",
        )
    return folder, None


def image_name(i: int) -> str:
    return f"{i:05d}.png"


def generate_exemplars(
    settings: dict[str, Any], out: str | Path | None = None, device: str = "cpu", progress: bool = True
) -> Path:
    """Generate (or finish) the exemplar set ``settings`` describes; returns its folder.

    Raises:
        MethodNotAvailableError: the style model path does not exist.
        MissingWeightsError: SD1.5 or the style model artifact is not on disk.
    """
    import torch
    from diffusers import StableDiffusionPipeline
    from tqdm.auto import tqdm

    from baselines.style_model import apply_style_model, check_style_model, resolve_style_model
    from pasd import hub
    from pasd.pipeline.build import parse_dtype
    from pasd.utils.image_io import encode_png

    check_style_model("style-exemplars", settings["generated"])
    folder = Path(out) if out is not None else exemplar_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder) or {}
    if manifest and manifest.get("settings") != settings:
        raise ValueError(f"{folder} holds exemplars made with other settings; choose another --out")
    files: dict[str, str] = dict(manifest.get("files", {}))
    todo = [
        i
        for i in range(settings["n"])
        if image_name(i) not in files or not (folder / image_name(i)).is_file()
    ]
    model_path = resolve_style_model(settings["generated"])
    record = {"settings": settings, "model": str(model_path), "files": files}
    if todo:
        pipe = StableDiffusionPipeline.from_pretrained(
            str(hub.resolve("sd15")), safety_checker=None, requires_safety_checker=False,
            torch_dtype=parse_dtype(settings["dtype"], device),
        )  # fmt: skip
        apply_style_model(pipe, settings["generated"])
        pipe = pipe.to(device)
        pipe.set_progress_bar_config(disable=True)
        for i in tqdm(todo, desc="exemplars", disable=not progress):
            prompts = settings["prompts"]
            image = pipe(
                prompt=prompts[i % len(prompts)], negative_prompt=settings["negative_prompt"] or None,
                height=settings["size"], width=settings["size"], num_inference_steps=settings["steps"],
                guidance_scale=settings["cfg"], generator=torch.Generator("cpu").manual_seed(settings["seed"] + i),
                output_type="np",
            ).images[0]  # fmt: skip
            data = encode_png((image.clip(0, 1) * 255).round().astype("uint8"))  # the suite's one PNG writer
            atomic_write_bytes(folder / image_name(i), data)
            files[image_name(i)] = hashlib.sha256(data).hexdigest()
            atomic_write_json(folder / MANIFEST, {**record, "files": files, "digest": set_digest(files)})
    atomic_write_json(folder / MANIFEST, {**record, "files": files, "digest": set_digest(files)})
    logger.info("exemplar set %s: %d images, digest %s", folder, len(files), set_digest(files)[:12])
    return folder
