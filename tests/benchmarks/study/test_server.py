"""The participant flow, vote integrity and security of the study app (in-process TestClient)."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from benchmarks.study.server import COOKIE, create_app
from benchmarks.study.spec import load_study

from .conftest import ADMIN, consent, current, export, make_study, vote


def test_full_flow_records_every_vote_with_its_method(client, study_dir):
    spec = load_study(study_dir)
    assert "Continue" in client.get("/").text
    consent(client, ext="PROLIFIC-1")
    assert "Instructions" in client.get("/instructions").text
    picked = []
    for i in range(spec.n_trials):
        pos, options, _ = current(client)
        assert pos == i and len(options) == len(spec.methods)
        picked.append(i % len(options))
        assert vote(client, pos, options[i % len(options)], client_ms=1500, screen_w=1920, dpr=2) == 303
    done = client.get("/trial", follow_redirects=True)
    assert re.search(r"PASD-[0-9A-F]{4}-[0-9A-F]{4}", done.text)
    rows = export(client)
    assert [int(r["trial_pos"]) for r in rows] == list(range(spec.n_trials))
    assert [int(r["chosen_position"]) for r in rows] == [k + 1 for k in picked]
    for r in rows:
        order = r["display_order"].split("|")
        assert order[int(r["chosen_position"]) - 1] == r["chosen_method"]
        assert r["human_preference"].split("|")[int(r["chosen_position"]) - 1] == "1"
        assert r["external_id"] == "PROLIFIC-1" and r["completed"] == "1" and r["platform"] == "link"
        assert float(r["rt_client_ms"]) == 1500 and float(r["rt_server_ms"]) >= 0
        assert (r["screen_w"], r["dpr"]) == ("1920", "2.0")
        if r["kind"] == "main":
            assert sorted(order) == spec.methods
            assert r["image_paths"].split("|") == [
                next(im for im in spec.images if im.id == r["trial_id"]).outputs[m] for m in order
            ]
        else:
            assert r["gold_passed"] == str(int(r["chosen_method"] == "__gold_clean__"))


def test_method_names_paths_and_trial_kind_never_reach_the_browser(client, study_dir):
    spec = load_study(study_dir)
    consent(client)
    pages = [client.get(u).text for u in ("/", "/instructions", "/trial", "/static/trial.js")]
    for _ in range(spec.n_trials):  # every trial page, gold included
        pos, options, _ = current(client)
        pages.append(client.get("/trial").text)
        vote(client, pos, options[0])
    for text in pages:
        for secret in [*spec.methods, "images/", "gold/", "__gold", "decoy", "repeat"]:
            assert secret not in text


def test_double_submit_is_idempotent_and_changes_are_refused(client):
    consent(client)
    pos, options, _ = current(client)
    assert vote(client, pos, options[0]) == 303
    assert vote(client, pos, options[0]) == 303  # double click / retry: accepted, not stored twice
    assert vote(client, pos, options[1]) == 409  # changing an answered trial
    r = client.post("/api/vote", json={"pos": pos, "option": options[0]})
    assert r.json()["status"] == "duplicate"
    assert len(export(client)) == 1


def test_out_of_order_and_forged_votes_are_rejected(client, study_dir):
    consent(client)
    pos, options, ref = current(client)
    assert vote(client, pos + 1, options[0]) in (400, 409)  # a future trial
    assert vote(client, pos, ref) == 400  # the reference image is not an option
    assert vote(client, pos, "AAAAAAAAAAAA") == 400  # a made-up token
    other = TestClient(client.app)
    consent(other)
    _, other_options, _ = current(other)
    assert vote(client, pos, other_options[0]) == 400  # someone else's option
    assert vote(client, 10_000, options[0]) == 400  # a trial that does not exist
    assert export(client) == []


def test_error_pages_speak_to_volunteers_with_page_numbers_from_one(client):
    """Defect 7 (minor): 0-based trial numbers and raw JSON validation errors reached volunteers."""
    consent(client)
    pos, options, _ = current(client)
    r = client.post("/vote", data={"pos": pos + 1, "option": options[0]}, follow_redirects=False)
    assert r.status_code == 409
    assert "You are on page 1, not page 2" in r.text and "trial 1" not in r.text and "(0)" not in r.text
    vote(client, pos, options[0])
    r = client.post("/vote", data={"pos": pos, "option": options[1]})
    assert r.status_code == 409 and "You already answered page 1" in r.text
    bad = client.post("/vote", data={"pos": "zero", "option": "x"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    assert "Something went wrong with your answer" in bad.text
    assert '"loc"' not in bad.text and '"msg"' not in bad.text and "int_parsing" not in bad.text


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"pos": "zero", "option": "x"},
        {"pos": "0"},
        {"pos": "-1", "option": "abc"},
        {"pos": "99999999999999999999999", "option": "abc"},
        {"pos": "0", "option": "../../study.json"},
        {"pos": "0", "option": "a" * 500},
        {"pos": "0", "option": "abc", "client_ms": "soon"},
        {"pos": "0", "option": "abc", "dpr": "-3"},
    ],
    ids=["empty", "pos-text", "no-option", "negative", "huge", "traversal", "long", "bad-ms", "bad-dpr"],
)
def test_malformed_form_posts_get_4xx(client, data):
    consent(client)
    r = client.post("/vote", data=data, follow_redirects=False)
    assert 400 <= r.status_code < 500, r.text


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"pos": 0}', b'{"pos": "x", "option": "abc"}', b'{"pos": 1e400, "option": "abc"}'],
    ids=["text", "list", "missing", "wrong-type", "overflow"],
)
def test_malformed_json_posts_get_4xx(client, body):
    consent(client)
    r = client.post("/api/vote", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text


def test_oversized_bodies_are_refused_before_parsing(client, monkeypatch):
    """Defect 3: a 200 MB JSON body was parsed before the participant check (RSS 56 -> 631 MB)."""
    import json

    parsed = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda s, *a, **k: parsed.append(len(s)) or real_loads(s, *a, **k))
    big = b'{"pos": 0, "option": "' + b"a" * 2_000_000 + b'"}'
    r = client.post("/api/vote", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.request.headers["content-length"] == str(len(big))

    def chunks():  # no Content-Length: the cap is counted as the body streams in
        for _ in range(200):
            yield b"x" * 10_000

    r = client.post("/vote", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert client.post("/consent", data={"agree": "yes", "ext": "x" * 50_000}).status_code == 413
    assert not [n for n in parsed if n > 100_000]  # nothing that big was ever parsed


def test_new_participants_are_rate_limited_per_client(study_dir):
    """Defect 4: 300 cookie-less consents in 1.6 s all created participants."""
    app = create_app(study_dir, ADMIN, new_participants=(5, 60.0))
    codes = [
        TestClient(app).post("/consent", data={"agree": "yes"}, follow_redirects=False).status_code
        for _ in range(8)
    ]
    assert codes == [303] * 5 + [429] * 3
    assert app.state.store.stats()["participants"] == 5
    r = TestClient(app).post("/consent", data={"agree": "yes"})
    assert "Too many new sessions" in r.text


def test_the_participant_window_moves_and_is_kept_per_client():
    from benchmarks.study.guard import RateLimiter, parse_rate

    lim = RateLimiter(2, 1)
    assert [lim.allow("a"), lim.allow("a"), lim.allow("a"), lim.allow("b")] == [True, True, False, True]
    time.sleep(1.1)  # the window has moved past the first two
    assert lim.allow("a") and lim.allow("a") and not lim.allow("a")
    assert all(RateLimiter(0, 1).allow("a") for _ in range(50))  # 0 disables
    assert parse_rate("20/600") == (20, 600) and parse_rate("0") == (0, 600)
    for bad in ("20/0.5", "20/0", "-1/60", "x"):
        with pytest.raises(ValueError, match="rate"):
            parse_rate(bad)
    with pytest.raises(ValueError, match="whole number"):
        RateLimiter(5, 0.5)


def test_one_participant_per_external_id(study_dir):
    """Defect 4: the same ext id registered twice."""
    app = create_app(study_dir, ADMIN, new_participants=(0, 1.0))
    consent(TestClient(app), ext="worker-7")
    r = TestClient(app).post("/consent", data={"agree": "yes", "ext": "worker-7"}, follow_redirects=False)
    assert r.status_code == 409 and "already started the study" in r.text
    consent(TestClient(app), ext="worker-8")
    assert app.state.store.stats()["participants"] == 2


def test_repeat_ids_can_be_allowed(tmp_path, sources):
    app = create_app(make_study(tmp_path, sources, one_per_external_id=False), ADMIN)
    consent(TestClient(app), ext="same")
    consent(TestClient(app), ext="same")
    assert app.state.store.stats()["participants"] == 2


def test_response_time_is_measured_on_the_server_with_a_minimum(tmp_path, sources):
    """Defect 5: response times came from the client, so a bot posting client_ms=1500 looked careful."""
    app = create_app(make_study(tmp_path, sources, min_view_ms=400), ADMIN)
    c = TestClient(app)
    consent(c)
    pos, options, _ = current(c)
    r = c.post("/vote", data={"pos": pos, "option": options[0], "client_ms": 1500})
    assert r.status_code == 425 and "take a little more time" in r.text
    time.sleep(0.45)
    assert vote(c, pos, options[0], client_ms=1500) == 303
    row = export(c)[0]
    assert 400 <= float(row["rt_server_ms"]) < 5000 and float(row["rt_client_ms"]) == 1500


def test_votes_need_every_image_of_the_trial_served(client):
    """Image-loaded check: a script that never fetched the images cannot answer."""
    consent(client)
    pos, options, ref = current(client, fetch_images=False)
    assert vote(client, pos, options[0]) == 409
    for tok in options:
        client.get(f"/img/{tok}")
    assert vote(client, pos, options[0]) == 409  # the reference is part of the trial too
    client.get(f"/img/{ref}")
    assert vote(client, pos, options[0]) == 303


def test_votes_without_consent_are_refused(client):
    assert client.post("/vote", data={"pos": 0, "option": "abcdef"}).status_code == 401
    assert client.post("/api/vote", json={"pos": 0, "option": "abcdef"}).status_code == 401
    assert client.get("/api/trial").status_code == 401
    r = client.post("/consent", data={"agree": "no"})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/img/../study.json",
        "/img/..%2Fstudy.json",
        "/img/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/img/..%5c..%5cstudy.json",
        "/static/../study.json",
        "/static/%2e%2e/spec.py",
        "/static/..%2F..%2Fstudy.json",
        "/votes.sqlite",
        "/images/i000/lq.png",
    ],
)
def test_path_traversal_is_impossible(client, path):
    consent(client)
    r = client.get(path)
    assert r.status_code in (404, 422), (path, r.status_code)
    assert b"study_id" not in r.content and b"SQLite" not in r.content and b"import" not in r.content


def test_images_are_served_only_to_their_participant(client):
    consent(client)
    _, options, ref = current(client)
    assert client.get(f"/img/{ref}").headers["content-type"] == "image/png"
    stranger = TestClient(client.app)
    assert stranger.get(f"/img/{options[0]}").status_code == 404
    consent(stranger)
    assert stranger.get(f"/img/{options[0]}").status_code == 404


def test_resume_with_cookie_continues_at_the_same_trial(client):
    consent(client)
    pos, options, _ = current(client)
    vote(client, pos, options[0])
    pos2, options2, _ = current(client)
    later = TestClient(client.app)  # a later visit: new connection, same cookie
    later.cookies.set(COOKIE, client.cookies[COOKIE])
    r = later.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/trial"
    assert current(later) == (pos2, options2, current(client)[2])  # same order, same tokens


def test_admin_needs_the_token_and_never_takes_it_from_the_url(client):
    consent(client)
    for path in (
        "/admin",
        "/admin/stats.json",
        "/admin/export.csv",
        "/admin/export.json",
        "/admin/export-long.csv",
    ):
        assert client.get(path).status_code == 401
        assert (
            client.get(path, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
        )
        assert client.get(path, params={"token": ADMIN}).status_code == 401  # defect 7: not in the URL
        assert client.get(path, headers={"X-Admin-Token": ADMIN}).status_code == 200
    browser = TestClient(client.app)
    assert browser.post("/admin/login", data={"token": "wrong"}).status_code == 401
    r = browser.post("/admin/login", data={"token": ADMIN}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert (
        r.status_code == 303
        and "httponly" in cookie
        and "samesite=strict" in cookie
        and "path=/admin" in cookie
    )
    assert ADMIN.lower() not in cookie  # a digest, not the token
    page = browser.get("/admin")
    assert page.status_code == 200 and "CSV export" in page.text and ADMIN not in page.text
    stats = browser.get("/admin/stats.json").json()
    assert stats["participants"] == 1 and stats["votes"] == 0


def test_short_admin_token_is_refused(study_dir):
    with pytest.raises(ValueError, match="at least 16"):
        create_app(study_dir, "short")


def test_security_headers_and_cookie_flags(study_dir):
    c = TestClient(create_app(study_dir, ADMIN))
    r = c.post("/consent", data={"agree": "yes"}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain http
    page = c.get("/trial")
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    https = TestClient(create_app(study_dir, ADMIN), base_url="https://testserver")
    assert (
        "secure"
        in https.post("/consent", data={"agree": "yes"}, follow_redirects=False).headers["set-cookie"].lower()
    )
    forced = TestClient(create_app(study_dir, ADMIN, secure_cookie=True))
    assert (
        "secure"
        in forced.post("/consent", data={"agree": "yes"}, follow_redirects=False)
        .headers["set-cookie"]
        .lower()
    )


def test_votes_database_is_bound_to_its_study(client, study_dir):
    import json

    consent(client)
    raw = json.loads((study_dir / "study.json").read_text())
    raw["study_id"] = "study-edited"
    (study_dir / "study.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="holds votes of study-"):
        create_app(study_dir, ADMIN)


def test_old_format_studies_are_not_served(study_dir):
    import json

    raw = json.loads((study_dir / "study.json").read_text())
    raw["format_version"] = 1
    raw["question"] = raw["text"]["question"]
    (study_dir / "study.json").write_text(json.dumps(raw))
    assert load_study(study_dir).format_version == 1  # still readable for analysis
    with pytest.raises(ValueError, match="re-create it"):
        create_app(study_dir, ADMIN)
