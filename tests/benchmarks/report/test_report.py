"""``pasd-bench report``: a static page whose every link resolves, offline."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner
from PIL import Image

from benchmarks.cli import cli
from benchmarks.report import build_report
from benchmarks.results import ResultsStore
from tests.benchmarks.results.store_data import fill_store


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src") and value:
                self.links.append(value)


def links(index: Path) -> list[str]:
    p = _Links()
    p.feed(index.read_text(encoding="utf-8"))
    return p.links


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    fill_store(root / "results", image_root=root / "images")
    return build_report(root / "results")


def test_every_link_resolves_offline(report):
    found = links(report)
    files = [u for u in found if not u.startswith("#")]
    assert files, "the page links no files"
    for url in files:
        parsed = urlparse(url)
        assert not parsed.scheme and not parsed.netloc, f"external link {url}"  # works offline
        assert (report.parent / unquote(parsed.path)).resolve().is_file(), url
    anchors = {u[1:] for u in found if u.startswith("#")}
    text = report.read_text(encoding="utf-8")
    assert all(f'id="{a}"' in text for a in anchors)


def test_content(report):
    text = report.read_text(encoding="utf-8")
    assert report == report.parent / "index.html" and report.parent.name == "report"
    assert "pasd-tiny (random weights)" in text and "Random weights:" in text
    assert "<strong>25.5000 [24.5000, 26.5000]</strong>" in text  # best cell, with CI
    assert "weights missing" in text and "not available" in text
    assert "RuntimeError: out of memory" in text
    found = links(report)
    for rel in ("figures/bar_sample_psnr.png", "figures/dist_sample_lpips.png", "figures/grid_sample.png",
                "tables/table1.md", "tables/table1.tex", "tables/table1.csv", "../results.sqlite"):  # fmt: skip
        assert rel in found, rel
    with Image.open(report.parent / "figures" / "grid_sample.png") as im:
        assert im.size[0] > 5 * 256  # LQ, HQ and three methods side by side
    assert "table2" not in text  # no stylization results: no empty table


def test_cli_and_missing_folders(tmp_path):
    fill_store(tmp_path / "res", image_root=tmp_path / "img")
    for sub in ("lanczos", "hq"):  # moved away since the run: left out, not an error
        for f in (tmp_path / "img" / sub).iterdir():
            f.unlink()
        (tmp_path / "img" / sub).rmdir()
    out = tmp_path / "site"
    res = CliRunner().invoke(
        cli, ["report", "--results", str(tmp_path / "res"), "--out", str(out), "--no-ci"]
    )
    assert res.exit_code == 0, res.output
    index = out / "index.html"
    assert res.output.strip() == str(index)
    text = index.read_text(encoding="utf-8")
    assert "[24.5000" not in text  # --no-ci
    for url in links(index):
        if not url.startswith("#"):
            assert (out / url).resolve().is_file(), url


def test_empty_store(tmp_path):
    ResultsStore(tmp_path).close()
    index = build_report(tmp_path, tmp_path / "r")
    assert "No set-level results yet." in index.read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        build_report(tmp_path / "none")
