"""Cache keys = method name + resolved options + weights identity + adapter version (never the device)."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np

from baselines.base import Method


class _Toy(Method):
    name = "toy-key"
    weights: ClassVar[tuple[str, ...]] = ("toy-manual",)
    defaults: ClassVar[dict[str, Any]] = {"strength": 1.0}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        self.options = {**self.defaults, **params}

    def _process(self, image, seed):
        return np.repeat(np.repeat(image, 4, 0), 4, 1)


def test_key_covers_defaults_version_and_weights(toy_table, isolated_caches, monkeypatch):
    weights = isolated_caches / "pasd-home" / "weights" / "toy-manual" / "manual.pth"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"v1")
    base = _Toy().cache_key()
    assert _Toy(device="cuda").cache_key() == base  # the device is not part of it
    assert _Toy(strength=1.0).cache_key() == base  # passing the default explicitly: same outputs

    monkeypatch.setattr(_Toy, "defaults", {"strength": 2.0})  # a changed default
    assert _Toy().cache_key() != base
    monkeypatch.setattr(_Toy, "defaults", {"strength": 1.0})

    monkeypatch.setattr(_Toy, "version", "2")  # an adapter change that changes outputs
    assert _Toy().cache_key() != base
    monkeypatch.setattr(_Toy, "version", "1")

    assert _Toy().cache_key() == base
    weights.write_bytes(b"v2")  # other weights at the same path
    os.utime(weights, ns=(5_000_000_000, 5_000_000_000))
    assert _Toy().cache_key() != base
    ident = _Toy().cache_identity()
    assert ident["weights"]["toy-manual"]["kind"] == "fingerprint" and ident["options"] == {"strength": 1.0}


def test_weights_passed_by_path_are_fingerprinted(toy_table, tmp_path):
    lora = tmp_path / "style.safetensors"
    lora.write_bytes(b"a")
    key = _Toy(lora=str(lora)).cache_key()
    lora.write_bytes(b"bb")
    assert _Toy(lora=str(lora)).cache_key() != key
    assert _Toy(mode="wavelet").cache_identity()["options"]["mode"] == "wavelet"  # words stay words


def test_pasd_auto_dtype_is_resolved_into_the_key(isolated_caches):
    """dtype=auto runs fp16 on CUDA and fp32 on CPU: different outputs, so different keys."""
    from baselines import create_method

    cpu, cuda = create_method("pasd", device="cpu"), create_method("pasd", device="cuda")
    assert (cpu.options["dtype"], cuda.options["dtype"]) == ("fp32", "fp16")
    assert cpu.cache_key() != cuda.cache_key()
    assert create_method("pasd", device="cuda", dtype="fp32").cache_key() == cpu.cache_key()


#: the least each adapter needs to be built here (no weights are loaded by a constructor)
_MINIMAL: dict[str, dict[str, Any]] = {
    "pasd-stylize": {"style_model": "toonyou"}, "sd-img2img": {"style_model": "toonyou"},
    "controlnet": {"style_model": "toonyou"}, "instructpix2pix": {"style_model": "toonyou"},
}  # fmt: skip


def _every_method(tmp_path):
    from PIL import Image

    import baselines

    released = tmp_path / "released"
    released.mkdir()
    Image.new("RGB", (8, 8)).save(released / "a.png")
    params = {**_MINIMAL, "folder": {"path": str(released)}}
    for name in sorted(baselines.METHODS):
        for device in ("cpu", "cuda"):
            try:
                yield name, device, baselines.create_method(name, device=device, **params.get(name, {}))
            except baselines.MethodNotAvailableError:  # dct-net without modelscope, pasd-abl-a untrained
                continue


def test_every_adapter_resolves_device_dependent_settings_into_its_options(isolated_caches, tmp_path):
    """The key leaves the device out, so what the device changes (dtype auto, autocast) must be in options."""
    keys: dict[str, dict[str, str]] = {}
    for name, device, m in _every_method(tmp_path):
        for key in ("dtype", "precision"):
            assert m.options.get(key) != "auto", (name, device, key)
        if m.options.get("precision") == "autocast":
            assert device == "cuda", name  # autocast is fp16 on CUDA only; elsewhere it is full precision
        keys.setdefault(name, {})[device] = m.cache_key()
        assert m.cache_key() == m.cache_key()  # stable (no time or randomness in the key)
    # the methods whose official dtype on CUDA is fp16 (or autocast) have other keys there
    for name in (
        "pasd",
        "realesrgan",
        "sd-upscaler",
        "sd-img2img",
        "controlnet",
        "instructpix2pix",
        "stablesr",
    ):
        assert keys[name]["cpu"] != keys[name]["cuda"], name
    for name in ("bicubic", "bsrgan", "swinir-gan", "ldm", "cartoongan", "folder"):
        assert keys[name]["cpu"] == keys[name]["cuda"], name  # fp32 everywhere: one output, one key


def test_per_style_artifacts_are_the_instance_weights(isolated_caches):
    from baselines import create_method

    cases = {
        ("cartoongan", "shinkai"): ("cartoongan-shinkai",),
        ("animegan", "face-paint-512-v2"): ("animeganv2-face-paint-512-v2",),
    }
    for (name, style), weights in cases.items():
        m = create_method(name, style=style)
        assert m.weights == weights and set(m.weights_identity()) == set(weights)
        assert m.cache_key() != create_method(name).cache_key()
    styl = create_method("sd-img2img", style_model="toonyou")
    assert "toonyou" in styl.weights and "toonyou" in styl.cache_identity()["weights"]
