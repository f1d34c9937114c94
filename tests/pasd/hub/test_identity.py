"""Weights identity: sha256 where known, else the Hugging Face commit, else a size+mtime fingerprint."""

from __future__ import annotations

import os

from tests.toy_artifacts import TOY_BYTES

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_identity_kinds(toy_table, isolated_caches):
    from pasd import hub
    from pasd.hub.hashing import sha256_file

    assert hub.identify("toy-url") is None  # not on disk
    url = isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth"
    url.parent.mkdir(parents=True)
    url.write_bytes(TOY_BYTES)
    ident = hub.identify("toy-url")
    assert ident["kind"] == "sha256" and ident["files"]["toy-1234.pth"]["source"] == "published"
    assert ident["path"] == str(url.parent)

    manual = isolated_caches / "pasd-home" / "weights" / "toy-manual" / "manual.pth"
    manual.parent.mkdir(parents=True)
    manual.write_bytes(b"x" * 10)
    os.utime(manual, ns=(1_000_000_000, 1_000_000_000))
    ident = hub.identify("toy-manual")
    assert ident["kind"] == "fingerprint"
    assert ident["files"]["manual.pth"]["value"] == "size=10,mtime_ns=1000000000"
    before = ident["value"]
    os.utime(manual, ns=(2_000_000_000, 2_000_000_000))  # replaced by another copy
    assert hub.identify("toy-manual")["value"] != before
    digest = sha256_file(manual)  # once hashed (weights verify), the identity is the digest
    ident = hub.identify("toy-manual")
    assert ident["kind"] == "sha256" and ident["files"]["manual.pth"] == {
        "kind": "sha256", "value": digest, "source": "computed"}  # fmt: skip

    snap = isolated_caches / "hf" / "hub" / "models--pasd-bench--toy" / "snapshots" / COMMIT / "unet"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (snap / "diffusion_pytorch_model.safetensors").write_bytes(TOY_BYTES)
    refs = isolated_caches / "hf" / "hub" / "models--pasd-bench--toy" / "refs"
    refs.mkdir()
    (refs / "main").write_text(COMMIT)
    ident = hub.identify("toy-hf")
    assert (ident["kind"], ident["value"]) == ("hf-commit", COMMIT)
