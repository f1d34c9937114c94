"""Fixtures: a tiny study built from skimage photos, with filters standing in for methods' outputs."""

from __future__ import annotations

import csv
import io
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from skimage import data

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field")
#: fake "methods": each a different filter on the upscaled LQ image
FILTERS = {
    "bicubic": lambda im: im,
    "sharp": lambda im: im.filter(ImageFilter.UnsharpMask(radius=2, percent=160)),
    "smooth": lambda im: im.filter(ImageFilter.GaussianBlur(1.5)),
}


def make_sources(
    root: Path, n_images: int = 6, size: int = 96, scale: int = 2
) -> tuple[Path, dict[str, Path]]:
    """Write LQ inputs and one output folder per fake method; returns (inputs, {method: folder})."""
    lq_dir = root / "lq"
    lq_dir.mkdir(parents=True)
    outs = {m: root / m for m in FILTERS}
    for d in outs.values():
        d.mkdir()
    for i in range(n_images):
        photo = np.asarray(getattr(data, PHOTOS[i % len(PHOTOS)])())
        if photo.ndim == 2:
            photo = np.stack([photo] * 3, -1)
        hq = Image.fromarray(photo[..., :3]).resize((size, size), Image.Resampling.LANCZOS)
        if i >= len(PHOTOS):  # more images than photos: flip so each is distinct
            hq = hq.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        lq = hq.resize((size // scale, size // scale), Image.Resampling.BICUBIC)
        name = f"img{i:02d}"
        lq.save(lq_dir / f"{name}.png")
        up = lq.resize((size, size), Image.Resampling.BICUBIC)
        for m, fn in FILTERS.items():
            fn(up).save(outs[m] / f"{name}.png")
    return lq_dir, outs


@pytest.fixture(scope="session")
def sources(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    return make_sources(tmp_path_factory.mktemp("sources"))


@pytest.fixture
def study_dir(tmp_path, sources) -> Path:
    """A fresh 4-image, 1-gold best-of-N study (votes database empty, no minimum viewing time)."""
    from benchmarks.study.create import create_study

    lq, outs = sources
    create_study(lq, outs, tmp_path / "study", n_images=4, seed=1, n_gold=1, min_view_ms=0)
    return tmp_path / "study"


ADMIN = "test-admin-token-0123456789"


@pytest.fixture
def client(study_dir):
    """A TestClient on a fresh study (cookies persist across requests like a browser)."""
    from fastapi.testclient import TestClient

    from benchmarks.study.server import create_app

    with TestClient(create_app(study_dir, ADMIN)) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``pasd-bench study serve`` in a subprocess on a loopback port; can be killed (-9) and restarted."""

    def __init__(self, study: Path, log: Path, *extra: str) -> None:
        self.study, self.log_path, self.extra = study, log, extra
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = log.open("ab")  # a file, not a pipe: a full pipe would block the server

    def start(self) -> str:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.cli", "study", "serve", str(self.study), "--port", str(self.port),
             "--admin-token", ADMIN, "--rate-limit", "0", *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_up(self.base, self.proc, self.log_path)
        return self.base

    def kill9(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown handlers, no flush
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def serve(tmp_path):
    """Start servers on studies: ``base = serve(study_dir)``; all are stopped after the test."""
    started: list[ServerProcess] = []

    def start(study: Path, *extra: str) -> str:
        srv = ServerProcess(study, tmp_path / f"serve{len(started)}.log", *extra)
        started.append(srv)
        return srv.start()

    start.servers = started
    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def live_server(study_dir, serve):
    """The fixture study served in a subprocess; yields its base URL."""
    return serve(study_dir)


def wait_up(base: str, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    """Poll until the server answers (bounded), failing with its stderr if it died."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/", timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {base} did not come up within {timeout} s")


# ---- helpers shared by the in-process (TestClient) tests
_OPTION = re.compile(r'name="option" value="([^"]+)"')
_POS = re.compile(r'data-pos="(\d+)"')
_IMG = re.compile(r'src="/img/([^"]+)"')
_TIE = re.compile(r'name="option" value="([^"]+)" class="pick tie"')


def consent(client, ext: str = "", **fields) -> None:
    """Give consent (the first page's form) and check the redirect to the instructions."""
    r = client.post("/consent", data={"agree": "yes", "ext": ext, **fields}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/instructions", r.text


def current(client, fetch_images: bool = True) -> tuple[int, list[str], str | None]:
    """(position, option tokens, reference token) of the current trial; fetches its images like a browser."""
    page = client.get("/trial", follow_redirects=False)
    assert page.status_code == 200, page.text
    images = _IMG.findall(page.text)
    if fetch_images:
        for tok in images:
            assert client.get(f"/img/{tok}").status_code == 200
    tie = set(_TIE.findall(page.text))
    options = [t for t in _OPTION.findall(page.text) if t not in tie]
    ref = images[0] if 'data-ref="1"' in page.text else None
    return int(_POS.search(page.text)[1]), options, ref


def vote(client, pos: int, token: str, **extra) -> int:
    return client.post(
        "/vote", data={"pos": pos, "option": token, **extra}, follow_redirects=False
    ).status_code


def export(client, path: str = "/admin/export.csv") -> list[dict]:
    r = client.get(path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 200
    return list(csv.DictReader(io.StringIO(r.text)))


def make_study(root: Path, sources, **kwargs) -> Path:
    """A study in ``root/study`` from the session's sources; keyword arguments go to create_study."""
    from benchmarks.study.create import create_study

    lq, outs = sources
    kwargs.setdefault("n_images", 4)
    kwargs.setdefault("seed", 1)
    kwargs.setdefault("min_view_ms", 0)
    create_study(lq, outs, root / "study", **kwargs)
    return root / "study"
