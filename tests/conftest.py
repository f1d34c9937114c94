"""Shared fixtures: registries and artifact caches are isolated per test; no test touches the network."""

from __future__ import annotations

import os

import pytest

import pasd  # noqa: F401  (installs the basicsr/torchvision shim before any test imports basicsr)
from pasd.utils.registry import ALL_REGISTRIES
from tests.toy_artifacts import closed_port, write_table

# Fast tests must never reach a model hub; a test that wants to exercise a download path
# unsets this itself.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


LIBRARY_PACKAGES = ("pasd", "baselines", "benchmarks")


def _from_library(obj: object) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.split(".")[0] in LIBRARY_PACKAGES


@pytest.fixture(autouse=True)
def _restore_registries():
    """Registrations made by a test (e.g. a dummy method) do not leak into the next one.

    Entries that a library module registers when a test first imports it are kept: the module
    stays imported, so dropping them would leave the registry short for every later test.
    """
    saved = [(reg, reg.snapshot()) for reg in ALL_REGISTRIES]
    yield
    for reg, before in saved:
        added = {k: v for k, v in reg.snapshot().items() if k not in before and _from_library(v)}
        reg.restore({**before, **added})


@pytest.fixture
def isolated_caches(tmp_path, monkeypatch):
    """Point every weight cache the suite searches at empty temporary folders."""
    home = tmp_path / "pasd-home"
    monkeypatch.setenv("PASD_BENCH_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "modelscope"))
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    return tmp_path


@pytest.fixture(scope="module")
def device():
    """CPU unless a test session is started with PASD_BENCH_TEST_DEVICE (e.g. cuda)."""
    import torch

    return torch.device(os.environ.get("PASD_BENCH_TEST_DEVICE", "cpu"))


@pytest.fixture
def toy_table(isolated_caches, monkeypatch):
    """A three-entry artifact table whose download URLs point at a closed loopback port."""
    table = write_table(isolated_caches / "artifacts.toml", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(table))
    return table
