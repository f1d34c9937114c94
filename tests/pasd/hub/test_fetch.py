import functools
import http.server
import threading
import time

import pytest

from pasd import hub
from tests.toy_artifacts import TOY_BYTES, closed_port, write_table


@pytest.fixture
def served(tmp_path):
    """A loopback HTTP server holding the toy file, plus a corrupted twin."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "toy-1234.pth").write_bytes(TOY_BYTES)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served_table(served, isolated_caches, monkeypatch):
    root, base = served
    table = write_table(isolated_caches / "served.toml", base)
    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(table))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return root


def test_fetch_downloads_verifies_and_lands_in_home(served_table, isolated_caches):
    rep = hub.fetch("toy-url")
    assert rep.status == "ok"
    dest = isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth"
    assert dest.read_bytes() == TOY_BYTES
    assert hub.resolve_file("toy-url") == dest


def test_fetch_without_explicit_home_uses_the_library_cache(served_table, isolated_caches, monkeypatch):
    monkeypatch.delenv("PASD_BENCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated_caches / "xdg"))
    hub.fetch("toy-url")
    assert (isolated_caches / "torch" / "hub" / "checkpoints" / "toy-1234.pth").read_bytes() == TOY_BYTES


def test_fetch_rejects_a_corrupted_download_and_leaves_no_file(served_table, isolated_caches):
    (served_table / "toy-1234.pth").write_bytes(TOY_BYTES.replace(b"toy", b"TOY"))
    with pytest.raises(hub.MissingWeightsError, match="sha256 .* does not match"):
        hub.fetch("toy-url")
    folder = isolated_caches / "pasd-home" / "weights" / "toy-url"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_fetch_unreachable_source_fails_fast_with_the_message(toy_table, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    t0 = time.monotonic()
    with pytest.raises(hub.MissingWeightsError) as info:
        hub.fetch("toy-url")
    assert time.monotonic() - t0 < 10
    msg = str(info.value)
    assert "cannot reach 127.0.0.1" in msg and "pasd-bench weights fetch toy-url" in msg


def test_fetch_offline_env_fails_at_once(toy_table, monkeypatch):
    monkeypatch.setenv("PASD_BENCH_OFFLINE", "1")
    with pytest.raises(hub.MissingWeightsError, match=r"offline \(PASD_BENCH_OFFLINE is set\)"):
        hub.fetch("toy-url")


def test_manual_artifact_says_how_to_get_it(toy_table):
    with pytest.raises(hub.MissingWeightsError, match="ask the authors by e-mail"):
        hub.fetch("toy-manual")


def test_fetch_real_hub_artifact_unreachable_endpoint_fails_within_seconds(isolated_caches, monkeypatch):
    """Fetching SD1.5 from an unreachable hub fails fast, never hangs, and never downloads anything.

    The endpoint is a closed loopback port, so the test is the same on a machine with internet
    (where pointing at huggingface.co would start a 5 GB download).
    """
    import huggingface_hub.constants

    endpoint = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", endpoint)
    monkeypatch.setenv("PASD_BENCH_CONNECT_TIMEOUT", "3")
    t0 = time.monotonic()
    with pytest.raises(hub.MissingWeightsError) as info:
        hub.fetch("sd15")
    assert "pasd-bench weights fetch sd15" in str(info.value) and "cannot reach 127.0.0.1" in str(info.value)
    assert time.monotonic() - t0 < 30
    assert not list((isolated_caches / "hf").rglob("*.safetensors"))
