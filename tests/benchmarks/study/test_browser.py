"""A real Chromium (Debian's, through Playwright) takes the study: desktop keys and views, wide screens,
a phone by taps, the pairwise and MOS designs; ``PASD_STUDY_SCREENSHOT_DIR`` keeps screenshots."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from PIL import Image

from benchmarks.cli import cli
from benchmarks.study.create import create_study
from benchmarks.study.spec import VOTES_DB, load_study

from .conftest import ADMIN, make_sources

#: Debian's chromium (what .ci/run installs); PASD_CHROMIUM points elsewhere
CHROMIUM = os.environ.get("PASD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = os.environ.get("PASD_STUDY_SCREENSHOT_DIR")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**options):
        ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 720}, **options})
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="module")
def photos5(tmp_path_factory):
    """256 px photos and five "methods" (the paper's Fig 4 has five): LQ 128 px, outputs 256 px."""
    root = tmp_path_factory.mktemp("photos5")
    lq, outs = make_sources(root, n_images=3, size=256)
    for k, name in enumerate(("ldl", "stablesr")):  # two more methods: shifted copies of real filters
        folder = root / name
        folder.mkdir()
        for p in sorted(outs["sharp" if k else "smooth"].glob("*.png")):
            Image.open(p).rotate(0.5 * (k + 1)).save(folder / p.name)
        outs[name] = folder
    return lq, outs


def _token_methods(study_dir) -> dict[str, str]:
    con = sqlite3.connect(study_dir / VOTES_DB)
    try:
        return dict(con.execute("SELECT token, method FROM options"))
    finally:
        con.close()


def _start(page, base: str) -> None:
    page.goto(base + "/")
    page.check("#agree")
    page.click("#consent-submit")
    page.wait_for_url("**/instructions")
    page.click("#start")
    page.wait_for_url("**/trial")
    page.wait_for_selector("form[data-ready='1']")


def _geometry(page) -> dict:
    return page.evaluate(
        """() => ({
        imgs: Array.from(document.querySelectorAll('.viewport img.shot')).map(i => ({
            w: i.getBoundingClientRect().width, nw: i.naturalWidth, ref: i.alt.includes('reference'),
            vw: i.parentElement.getBoundingClientRect().width})),
        tops: Array.from(document.querySelectorAll('.pane')).map(p => Math.round(p.getBoundingClientRect().top)),
        pagers: document.querySelectorAll('.pane .pager').length,
        confirmBottom: document.getElementById('confirm').getBoundingClientRect().bottom,
        scrollW: document.scrollingElement.scrollWidth, innerW: window.innerWidth,
        scrollH: document.scrollingElement.scrollHeight, innerH: window.innerHeight})"""
    )


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


def test_browser_consent_keyboard_views_reload_completion_export(new_page, live_server, study_dir):
    spec = load_study(study_dir)
    n = spec.n_trials
    page = new_page()
    _start(page, live_server)
    clicked: list[str] = []  # the option token chosen on every trial, read from the DOM
    for i in range(n):
        page.wait_for_url("**/trial")
        page.wait_for_selector("form[data-ready='1']")
        assert page.inner_text(".progress-text") == f"Page {i + 1} of {n}"
        assert page.get_attribute("#progress", "value") == str(i)
        if i == 1:
            page.reload()  # mid-study reload: same trial, same options
            page.wait_for_selector("form[data-ready='1']")
            assert page.inner_text(".progress-text") == f"Page {i + 1} of {n}"
        if i == 3:
            page.go_back()  # "Back" after a vote must not show the answered trial again
            page.wait_for_load_state("load")
            assert page.inner_text(".progress-text") == f"Page {i + 1} of {n}"
            page.wait_for_selector("form[data-ready='1']")
        if i == 0:
            # synchronized magnifier: hovering one image shows a lens in every image; a click locks it
            page.hover(".pane:nth-child(2) .viewport", position={"x": 30, "y": 30})
            shown = page.eval_on_selector_all("canvas.lens", "ls => ls.map(l => l.style.display)")
            assert shown == ["block"] * (len(spec.methods) + 1)
            page.click(".pane:nth-child(2) .viewport", position={"x": 30, "y": 30})
            page.mouse.move(5, 5)  # leave the images: a locked lens stays
            assert page.eval_on_selector_all("canvas.lens", "ls => ls.map(l => l.style.display)") == shown
            left = page.eval_on_selector_all("canvas.lens", "ls => ls.map(l => l.style.left)")
            assert len(set(left)) == 1  # the same spot in every image
            # flicker: V shows one image, Space swaps it in place
            page.keyboard.press("v")
            assert page.locator(".pane").count() == 1
            before = page.inner_text(".pane .label")
            page.keyboard.press(" ")
            after = page.inner_text(".pane .label")
            assert before.startswith("A: ") and after.startswith("B: ") and before[3:] != after[3:]
            page.keyboard.press("v")
            page.keyboard.press("+")  # zoom 2x: images twice their natural size, panned together
            g = _geometry(page)
            assert all(im["w"] >= 2 * im["nw"] - 1 for im in g["imgs"] if not im["ref"])
            page.keyboard.press("-")
        key = str(1 + i % len(spec.methods))
        if i == 2:  # arrows: right from nothing selects 1, right again selects 2
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            key = "2"
        else:
            page.keyboard.press(key)
        selected = page.eval_on_selector_all(
            "button.pick", "bs => bs.map(b => b.classList.contains('selected'))"
        )
        assert selected.index(True) == int(key) - 1 and selected.count(True) == 1
        clicked.append(page.get_attribute("button.pick.selected", "value"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
    page.wait_for_url("**/done")
    code = page.inner_text("#completion-code")
    assert re.fullmatch(r"PASD-[0-9A-F]{4}-[0-9A-F]{4}", code)
    page.goto(live_server + "/")  # a later visit with the cookie lands on the completion page
    assert page.url.endswith("/done") and page.inner_text("#completion-code") == code

    rows = httpx.get(live_server + "/admin/export.json", headers={"X-Admin-Token": ADMIN}).json()
    assert len(rows) == n and [r["trial_pos"] for r in rows] == list(range(n))
    truth = _token_methods(study_dir)
    assert [r["chosen_method"] for r in rows] == [truth[t] for t in clicked]
    for i, r in enumerate(rows):
        expected_pos = 2 if i == 2 else 1 + i % len(spec.methods)
        assert r["chosen_position"] == expected_pos
        assert r["display_order"][expected_pos - 1] == r["chosen_method"]
        assert r["rt_client_ms"] > 0 and r["images_ok"] is True
        assert (r["screen_w"], r["view_w"], r["dpr"]) == (1280, 1280, 1.0)
    assert "lens" in rows[0]["views"] and "flicker" in rows[0]["views"] and "zoom" in rows[0]["views"]


@pytest.mark.parametrize(
    ("width", "height", "n_methods", "one_row"),
    [(1920, 1080, 5, True), (1440, 900, 5, False), (1280, 720, 5, False)],
    ids=["1920-5", "1440-5", "1280x720-5"],
)
def test_images_are_never_shrunk_and_confirm_stays_above_the_fold(
    new_page, serve, tmp_path, photos5, width, height, n_methods, one_row
):
    """Defect 7: a 1600 px cap shrank 256 px outputs to 243 px; a 5th option wrapped; Confirm fell below 720 px."""
    lq, outs = photos5
    methods = dict(list(sorted(outs.items()))[:n_methods])
    create_study(lq, methods, tmp_path / "s", n_images=1, min_view_ms=0)
    page = new_page(viewport={"width": width, "height": height})
    _start(page, serve(tmp_path / "s"))
    g = _geometry(page)
    assert all(im["w"] >= im["nw"] for im in g["imgs"] if not im["ref"]), g["imgs"]  # never downscaled
    assert all(im["vw"] >= min(256, im["nw"]) for im in g["imgs"])  # each pane shows a full 256 px width
    assert len(set(g["tops"])) == 1  # panes in one row, nothing wrapped under the reference
    assert (g["pagers"] == 0) == one_row  # all options at once, or a paged compare
    assert len(g["imgs"]) == (n_methods + 1 if one_row else len(g["tops"]))
    assert g["confirmBottom"] <= height  # Confirm above the fold
    assert g["scrollW"] <= g["innerW"]
    if width == 1920:
        _shot(page, "trial-desktop-1920.png")
    if width == 1280:
        page.click(".pane:first-child .pager >> nth=1")  # page the first pane on to another image
        assert all(im["w"] >= im["nw"] for im in _geometry(page)["imgs"] if not im["ref"])
        _shot(page, "trial-paged-1280x720.png")


def test_phone_reaches_completion_by_taps(new_page, serve, tmp_path, photos5):
    """Defect 7: on a phone the options stacked in a 2,600 px column, hints spoke of keys, the lens stuck."""
    lq, outs = photos5
    study = tmp_path / "s"
    create_study(
        lq, {k: outs[k] for k in ("bicubic", "sharp", "smooth")}, study, n_images=2, n_gold=1, min_view_ms=0
    )
    page = new_page(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True
    )
    base = serve(study)
    page.goto(base + "/")
    page.tap("#agree")
    page.tap("#consent-submit")
    page.wait_for_url("**/instructions")
    assert not page.is_visible(".hint-keys") and page.is_visible(".hint-touch")
    page.tap("#start")
    n = load_study(study).n_trials
    for i in range(n):
        page.wait_for_url("**/trial")
        page.wait_for_selector("form[data-ready='1']")
        g = _geometry(page)
        assert g["scrollW"] <= g["innerW"] and g["scrollH"] <= 1.6 * g["innerH"]  # no 2,600 px column
        assert all(im["w"] >= im["nw"] for im in g["imgs"] if not im["ref"])
        assert not page.is_visible(".hint-keys") and page.is_visible(".hint-touch")
        if i == 0:
            page.tap(".viewport", position={"x": 60, "y": 60})
            assert page.eval_on_selector("canvas.lens", "l => l.style.display") == "block"
            page.tap(".viewport", position={"x": 60, "y": 60})  # a second tap hides it: nothing sticks
            assert page.eval_on_selector("canvas.lens", "l => l.style.display") == "none"
            label = page.inner_text(".pane .label")
            page.tap(".pane .pager >> nth=1")
            assert page.inner_text(".pane .label") != label
            _shot(page, "trial-phone.png")
        page.tap("button.pick >> nth=0")
        with page.expect_navigation():
            page.tap("#confirm")
    page.wait_for_url("**/done")
    assert re.fullmatch(r"PASD-[0-9A-F]{4}-[0-9A-F]{4}", page.inner_text("#completion-code"))
    rows = httpx.get(base + "/admin/export.json", headers={"X-Admin-Token": ADMIN}).json()
    assert len(rows) == n and {r["dpr"] for r in rows} == {3.0} and {r["view_w"] for r in rows} == {390}


@pytest.mark.parametrize("design", ["pairwise", "mos"])
def test_pairwise_and_mos_designs_end_to_end(new_page, serve, tmp_path, photos5, design):
    lq, outs = photos5
    study = tmp_path / "s"
    methods = {k: outs[k] for k in ("bicubic", "sharp", "smooth")}
    create_study(lq, methods, study, n_images=2 if design == "pairwise" else 1, n_gold=1, design=design,
                 min_view_ms=300)  # fmt: skip
    n = load_study(study).n_trials
    base = serve(study)
    for rater in range(1):  # one rater keeps this fast; the TestClient tests run several
        page = new_page(viewport={"width": 1440, "height": 900})
        _start(page, base)
        for i in range(n):
            page.wait_for_url("**/trial")
            page.wait_for_selector("form[data-ready='1']")
            if design == "pairwise":
                assert page.locator("button.pick").count() == 3 and page.is_visible("button.pick.tie")
                if i == 0 and rater == 0:
                    page.click("#view-flicker")
                    first = page.inner_text(".pane .label")
                    page.click("#swap")
                    assert page.inner_text(".pane .label") != first
                    page.click("[data-view='side']")
                    _shot(page, "trial-pairwise.png")
                page.click("button.pick.tie" if (i + rater) % 3 == 0 else "button.pick >> nth=0")
            else:
                assert page.locator("button.pick").count() == 5
                if i == 0 and rater == 0:
                    _shot(page, "trial-mos.png")
                page.click(f"button.pick[value='{1 + (i + rater) % 5}']")
            page.wait_for_selector("#confirm:not([disabled])")  # after the minimum viewing time
            with page.expect_navigation():
                page.click("#confirm")
        page.wait_for_url("**/done")
    rows = httpx.get(base + "/admin/export.json", headers={"X-Admin-Token": ADMIN}).json()
    assert len(rows) == n and all(r["rt_server_ms"] >= 300 for r in rows)
    if design == "pairwise":
        assert any(r["tie"] for r in rows) and any(not r["tie"] for r in rows)
    else:
        assert {r["rating"] for r in rows} <= {1, 2, 3, 4, 5} and len({r["rating"] for r in rows}) > 1
    res = CliRunner().invoke(
        cli, ["study", "analyze", str(study), "--out", str(tmp_path / "out"), "--n-boot", "50"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "votes.png").is_file()
