import hashlib

import pytest

from pasd import hub
from tests.toy_artifacts import TOY_BYTES


def _put(path, data=TOY_BYTES):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_missing_artifact_error_lists_every_place_and_the_command(toy_table, isolated_caches):
    with pytest.raises(hub.MissingWeightsError) as info:
        hub.resolve("toy-url")
    msg = str(info.value)
    assert "'toy-url'" in msg and "toy-1234.pth" in msg
    assert str(isolated_caches / "pasd-home" / "weights" / "toy-url") in msg
    assert str(isolated_caches / "torch" / "hub" / "checkpoints") in msg
    assert "pasd-bench weights fetch toy-url" in msg


def test_resolution_order_explicit_then_home_then_library_cache(toy_table, isolated_caches):
    lib = _put(isolated_caches / "torch" / "hub" / "checkpoints" / "toy-1234.pth")
    assert hub.resolve_file("toy-url") == lib

    home = _put(isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth")
    assert hub.resolve_file("toy-url") == home  # home wins over the library cache

    explicit = _put(isolated_caches / "elsewhere" / "my.pth")
    assert hub.resolve_file("toy-url", path=explicit) == explicit  # explicit file wins over both
    folder = _put(isolated_caches / "folder" / "toy-1234.pth").parent
    assert hub.resolve_file("toy-url", path=folder) == folder / "toy-1234.pth"  # or a folder holding it


def test_wrong_explicit_path_is_an_error_not_a_fallback(toy_table, isolated_caches):
    _put(isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth")
    bad = isolated_caches / "typo" / "toy.pth"
    with pytest.raises(hub.MissingWeightsError) as info:
        hub.resolve_file("toy-url", path=bad)
    assert [label for label, _ in info.value.searched] == ["explicit path"]


def test_hf_cache_snapshot_is_found(toy_table, isolated_caches):
    repo = isolated_caches / "hf" / "hub" / "models--pasd-bench--toy"
    commit = "a" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snap = repo / "snapshots" / commit
    _put(snap / "unet" / "config.json", b"{}")
    with pytest.raises(hub.MissingWeightsError, match="diffusion_pytorch_model.safetensors"):
        hub.resolve("toy-hf")  # incomplete snapshot is not used
    _put(snap / "unet" / "diffusion_pytorch_model.safetensors")
    assert hub.resolve("toy-hf") == snap
    assert hub.verify("toy-hf").status == "unverified"  # config.json has no hash on record


def test_corrupted_file_is_a_hash_mismatch(toy_table, isolated_caches):
    p = _put(isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth")
    assert hub.verify("toy-url").status == "ok"
    corrupted = bytearray(TOY_BYTES)
    corrupted[10] ^= 0xFF  # same size, different content
    p.write_bytes(bytes(corrupted))
    rep = hub.verify("toy-url")
    assert rep.status == "hash-mismatch" and not rep.usable
    p.write_bytes(TOY_BYTES[:-1])
    assert hub.verify("toy-url").status == "size-mismatch"


def test_hash_cache_is_invalidated_by_content_change(toy_table, isolated_caches):
    from pasd.hub.hashing import sha256_file

    p = _put(isolated_caches / "f.bin", b"one")
    assert sha256_file(p) == hashlib.sha256(b"one").hexdigest()
    p.write_bytes(b"two!")  # different size => different cache key
    assert sha256_file(p) == hashlib.sha256(b"two!").hexdigest()


def test_locate_and_missing_do_not_raise(toy_table, isolated_caches):
    assert hub.locate("toy-url") is None
    assert hub.missing(["toy-url", "toy-hf"]) == ["toy-url", "toy-hf"]
    _put(isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth")
    assert hub.locate("toy-url") == isolated_caches / "pasd-home" / "weights" / "toy-url"
    assert hub.missing(["toy-url", "toy-hf"]) == ["toy-hf"]
