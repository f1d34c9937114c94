"""The participant flow, vote integrity and security of the study app (in-process TestClient)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from benchmarks.study.server import COOKIE, create_app
from benchmarks.study.spec import load_study

from .conftest import ADMIN

_OPTION = re.compile(r'name="option" value="([^"]+)"')
_POS = re.compile(r'data-pos="(\d+)"')


def consent(client: TestClient, ext: str = "") -> None:
    r = client.post("/consent", data={"agree": "yes", "ext": ext}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/instructions"


def current(client: TestClient) -> tuple[int, list[str], str]:
    page = client.get("/trial", follow_redirects=False)
    assert page.status_code == 200, page.text
    ref = re.search(r'src="/img/([^"]+)"', page.text)[1]
    return int(_POS.search(page.text)[1]), _OPTION.findall(page.text), ref


def vote(client: TestClient, pos: int, token: str, **extra) -> int:
    return client.post(
        "/vote", data={"pos": pos, "option": token, **extra}, follow_redirects=False
    ).status_code


def export(client: TestClient) -> list[dict]:
    r = client.get("/admin/export.csv", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 200
    return list(csv.DictReader(io.StringIO(r.text)))


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
        assert vote(client, pos, options[i % len(options)], client_ms=1500) == 303
    done = client.get("/trial", follow_redirects=True)
    assert re.search(r"PASD-[0-9A-F]{4}-[0-9A-F]{4}", done.text)
    rows = export(client)
    assert [int(r["trial_pos"]) for r in rows] == list(range(spec.n_trials))
    assert [int(r["chosen_position"]) for r in rows] == [k + 1 for k in picked]
    for r in rows:
        order = r["display_order"].split("|")
        assert order[int(r["chosen_position"]) - 1] == r["chosen_method"]
        assert r["human_preference"].split("|")[int(r["chosen_position"]) - 1] == "1"
        assert r["external_id"] == "PROLIFIC-1" and r["completed"] == "1"
        assert float(r["rt_client_ms"]) == 1500 and float(r["rt_server_ms"]) >= 0
        if r["kind"] == "main":
            assert sorted(order) == spec.methods
            assert r["image_paths"].split("|") == [
                next(im for im in spec.images if im.id == r["trial_id"]).outputs[m] for m in order
            ]
        else:
            assert r["gold_passed"] == str(int(r["chosen_method"] == "__gold_clean__"))


def test_method_names_and_paths_never_reach_the_browser(client, study_dir):
    spec = load_study(study_dir)
    consent(client)
    pages = [client.get(u).text for u in ("/", "/instructions", "/trial", "/static/trial.js")]
    for text in pages:
        for secret in [*spec.methods, "images/", "gold/", "__gold"]:
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
    ],
    ids=["empty", "pos-text", "no-option", "negative", "huge", "traversal", "long", "bad-ms"],
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


def test_admin_needs_the_token(client):
    consent(client)
    for path in ("/admin", "/admin/stats.json", "/admin/export.csv", "/admin/export.json"):
        assert client.get(path).status_code == 401
        assert (
            client.get(path, headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
        )
        assert client.get(path, params={"token": ADMIN[:-1]}).status_code == 401
        assert client.get(path, headers={"X-Admin-Token": ADMIN}).status_code == 200
    stats = client.get("/admin/stats.json", params={"token": ADMIN}).json()
    assert stats["participants"] == 1 and stats["votes"] == 0
    assert "CSV export" in client.get("/admin", params={"token": ADMIN}).text
    assert client.get("/admin/export.json", params={"token": ADMIN}).json() == []


def test_short_admin_token_is_refused(study_dir):
    with pytest.raises(ValueError, match="at least 16"):
        create_app(study_dir, "short")


def test_security_headers_and_cookie_flags(client):
    r = client.post("/consent", data={"agree": "yes"}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = client.get("/trial")
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_votes_database_is_bound_to_its_study(client, study_dir):
    import json

    consent(client)
    raw = json.loads((study_dir / "study.json").read_text())
    raw["study_id"] = "study-edited"
    (study_dir / "study.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="holds votes of study-"):
        create_app(study_dir, ADMIN)
