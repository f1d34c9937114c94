"""A real Chromium (Debian's, through Playwright) takes the study: consent, keys, reload, completion, export."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3

import httpx
import pytest

from benchmarks.study.spec import VOTES_DB, load_study

from .conftest import ADMIN

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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)",
    ),
]


@pytest.fixture
def page():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.set_default_timeout(15_000)
        pg = context.new_page()
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def _token_methods(study_dir) -> dict[str, str]:
    con = sqlite3.connect(study_dir / VOTES_DB)
    try:
        return dict(con.execute("SELECT token, method FROM options"))
    finally:
        con.close()


def test_browser_consent_keyboard_reload_completion_export(page, live_server, study_dir, tmp_path):
    spec = load_study(study_dir)
    n = spec.n_trials
    page.goto(live_server + "/")
    page.check("#agree")
    page.click("#consent-submit")
    page.wait_for_url("**/instructions")
    page.click("#start")
    clicked: list[str] = []  # the option token chosen on every trial, read from the DOM
    for i in range(n):
        page.wait_for_url("**/trial")
        assert page.inner_text(".progress-text") == f"Page {i + 1} of {n}"
        assert page.get_attribute("#progress", "value") == str(i)
        if i == 1:
            page.reload()  # mid-study reload: same trial, same options
            assert page.inner_text(".progress-text") == f"Page {i + 1} of {n}"
        if i == 3:
            page.go_back()  # "Back" after a vote must not show the answered trial again
            page.wait_for_load_state("load")
            assert page.inner_text(".progress-text") == f"Page {i + 1} of {n}"
        if i == 0:
            # synchronized magnifier: hovering one image shows a lens in every image
            page.hover(".option .zoomable img", position={"x": 20, "y": 20})
            visible = page.eval_on_selector_all(".lens", "ls => ls.map(l => l.style.display)")
            assert visible == ["block"] * (len(spec.methods) + 1)
            page.screenshot(path=str(tmp_path / "trial.png"))
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
        assert r["rt_client_ms"] is not None and r["rt_client_ms"] > 0
    if os.environ.get("PASD_STUDY_SCREENSHOT"):
        shutil.copy(tmp_path / "trial.png", os.environ["PASD_STUDY_SCREENSHOT"])
