"""A small artifact table that tests control completely (the real one is checked separately).

The ``toy_table`` fixture using it lives in ``tests/conftest.py``.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

TOY_BYTES = b"pasd-bench toy weights\n" * 100


def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_table(path: Path, url_base: str) -> Path:
    sha = hashlib.sha256(TOY_BYTES).hexdigest()
    path.write_text(
        f"""
[artifacts.toy-url]
title = "Toy single-file checkpoint"
kind = "checkpoint"
licence = "CC0"
used_by = ["tests"]
cache = "torch-hub"
[[artifacts.toy-url.files]]
path = "toy-1234.pth"
url = "{url_base}/toy-1234.pth"
sha256 = "{sha}"
size = {len(TOY_BYTES)}

[artifacts.toy-hf]
title = "Toy diffusers folder"
kind = "diffusers-model"
licence = "CC0"
used_by = ["tests"]
cache = "hf"
repo_id = "pasd-bench/toy"
[[artifacts.toy-hf.files]]
path = "unet/config.json"
[[artifacts.toy-hf.files]]
path = "unet/diffusion_pytorch_model.safetensors"
sha256 = "{sha}"

[artifacts.toy-manual]
title = "Toy weights with no direct download"
kind = "checkpoint"
licence = "unknown"
cache = "torch-hub"
fetchable = false
notes = "ask the authors by e-mail"
[[artifacts.toy-manual.files]]
path = "manual.pth"
"""
    )
    return path
