"""Crowd platforms (Prolific, MTurk), completion redirect, desktop-only gate, study text as data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from benchmarks.study.server import create_app
from benchmarks.study.spec import load_study

from .conftest import ADMIN, current, export, make_study, vote


def _finish(c) -> None:
    while True:
        page = c.get("/trial", follow_redirects=False)
        if page.status_code == 303:
            return
        pos, options, _ = current(c)
        assert vote(c, pos, options[0]) == 303


def _consent_from_page(c, query: str, **extra) -> None:
    import re

    page = c.get("/" + query).text
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    r = c.post("/consent", data={**fields, "agree": "yes", **extra}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_prolific_ids_are_captured_and_the_rater_is_sent_back(tmp_path, sources):
    url = "https://app.prolific.com/submissions/complete?cc=C0DE42"
    app = create_app(make_study(tmp_path, sources, completion_url=url), ADMIN)
    c = TestClient(app)
    _consent_from_page(c, "?PROLIFIC_PID=5f0c1a2b3c4d5e6f7a8b9c0d&STUDY_ID=study77&SESSION_ID=sess9")
    _finish(c)
    done = c.get("/done").text
    assert f'href="{url}"' in done.replace("&amp;", "&") and 'http-equiv="refresh"' in done
    assert "Return to Prolific" in done
    row = export(c)[0]
    assert (row["platform"], row["external_id"], row["platform_study"], row["platform_session"]) == (
        "prolific", "5f0c1a2b3c4d5e6f7a8b9c0d", "study77", "sess9",
    )  # fmt: skip
    again = TestClient(app)  # the same Prolific participant in another browser
    page = again.get("/?PROLIFIC_PID=5f0c1a2b3c4d5e6f7a8b9c0d&STUDY_ID=study77&SESSION_ID=other").text
    assert "agree" in page
    r = again.post(
        "/consent", data={"agree": "yes", "platform": "prolific", "ext": "5f0c1a2b3c4d5e6f7a8b9c0d"}
    )
    assert r.status_code == 409


def test_mturk_preview_accept_and_submit_back(tmp_path, sources):
    app = create_app(make_study(tmp_path, sources), ADMIN)
    preview = TestClient(app).get("/?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&hitId=H1").text
    assert "This is a preview" in preview and 'id="consent-form"' not in preview
    c = TestClient(app)
    _consent_from_page(
        c, "?workerId=W123&assignmentId=A456&hitId=H1&turkSubmitTo=https://workersandbox.mturk.com"
    )
    _finish(c)
    done = c.get("/done").text
    assert 'action="https://workersandbox.mturk.com/mturk/externalSubmit"' in done
    assert 'name="assignmentId" value="A456"' in done
    evil = TestClient(app)
    _consent_from_page(evil, "?workerId=W9&assignmentId=A9&turkSubmitTo=https://evil.example")
    _finish(evil)
    assert "externalSubmit" not in evil.get("/done").text  # only MTurk's own hosts


def test_completion_url_code_placeholder(tmp_path, sources):
    app = create_app(make_study(tmp_path, sources), ADMIN, completion_url="https://lab.example/done?c={code}")
    c = TestClient(app)
    _consent_from_page(c, "?ext=r1")
    _finish(c)
    import re

    code = re.search(r"PASD-[0-9A-F]{4}-[0-9A-F]{4}", c.get("/done").text)[0]
    assert f"https://lab.example/done?c={code}" in c.get("/done").text


def test_desktop_only_gate(tmp_path, sources):
    app = create_app(make_study(tmp_path, sources, desktop_only=True, min_screen_width=1200), ADMIN)
    phone = TestClient(app, headers={"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"})
    r = phone.post("/consent", data={"agree": "yes", "screen_w": "1920"})
    assert r.status_code == 403 and "desktop or laptop" in r.text and "1200 pixels" in r.text
    small = TestClient(app).post("/consent", data={"agree": "yes", "screen_w": "1024"})
    assert small.status_code == 403
    ok = TestClient(app).post(
        "/consent", data={"agree": "yes", "screen_w": "1920", "dpr": "1"}, follow_redirects=False
    )
    assert ok.status_code == 303


def test_every_rater_facing_string_comes_from_the_study_text(tmp_path, sources):
    text = {
        "lang": "de", "question": "Welches Ergebnis sieht am besten aus?", "consent_agree": "Ich stimme zu.",
        "button_start": "Los", "confirm": "Bestätigen", "page_of": "Seite {page} von {n_trials}",
        "consent": "Willkommen. {n_trials} Seiten.",
    }  # fmt: skip
    app = create_app(make_study(tmp_path, sources, text=text), ADMIN)
    c = TestClient(app)
    first = c.get("/").text
    assert 'lang="de"' in first and "Ich stimme zu." in first and "Willkommen. 4 Seiten." in first
    c.post("/consent", data={"agree": "yes"})
    assert "Los" in c.get("/instructions").text
    trial = c.get("/trial").text
    assert (
        "Welches Ergebnis sieht am besten aus?" in trial
        and "Seite 1 von 4" in trial
        and "Bestätigen" in trial
    )
    assert load_study(tmp_path / "study").text["confirm"] == "Bestätigen"
