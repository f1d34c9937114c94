"""Admin routes: live counts and CSV/JSON exports (per vote, and long format), behind the admin token.

The token is accepted as ``Authorization: Bearer T`` or an ``X-Admin-Token`` header (scripts), or
as an HttpOnly, SameSite=Strict cookie set by the ``/admin/login`` form (a browser). It is never
taken from the URL, where it would end up in browser history, proxy logs and Referer headers.
Without it every route but the login form answers 401 and reveals nothing.
"""

# no `from __future__ import annotations`: FastAPI reads the route annotations (Request) at runtime
import hashlib
import json
import secrets

from benchmarks.study.export import LONG_COLUMNS, long_records, to_csv, to_json, vote_records
from benchmarks.study.store import VoteStore

ADMIN_COOKIE = "pasd_study_admin"


def admin_router(store: VoteStore, templates, admin_token: str, secure_cookie: bool | None = None):
    """The ``/admin`` routes for ``store``, guarded by ``admin_token`` (returns a ``fastapi.APIRouter``)."""
    from fastapi import APIRouter, Depends, HTTPException, Request
    from fastapi.responses import HTMLResponse, RedirectResponse, Response

    # the cookie holds a digest of the token, not the token itself
    cookie_value = hashlib.sha256(b"pasd-study-admin:" + admin_token.encode()).hexdigest()
    no_store = {"Cache-Control": "no-store"}

    def check(request: Request) -> None:
        auth = request.headers.get("authorization", "")
        given = (auth[7:] if auth.lower().startswith("bearer ") else None) or request.headers.get(
            "x-admin-token", ""
        )
        if given and secrets.compare_digest(given.encode(), admin_token.encode()):
            return
        cookie = request.cookies.get(ADMIN_COOKIE, "")
        if cookie and secrets.compare_digest(cookie.encode(), cookie_value.encode()):
            return
        raise HTTPException(status_code=401, detail="admin token required (see /admin/login)")

    public = APIRouter(prefix="/admin")

    @public.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        return templates.TemplateResponse(
            request, "admin_login.html", {"title": store.spec.title, "failed": False}, headers=no_store
        )

    @public.post("/login")
    async def login(request: Request):
        form = await request.form()
        token = str(form.get("token", ""))
        if not secrets.compare_digest(token.encode(), admin_token.encode()):
            return templates.TemplateResponse(
                request, "admin_login.html", {"title": store.spec.title, "failed": True},
                status_code=401, headers=no_store,
            )  # fmt: skip
        resp = RedirectResponse("/admin", status_code=303)
        secure = request.url.scheme == "https" if secure_cookie is None else secure_cookie
        resp.set_cookie(ADMIN_COOKIE, cookie_value, httponly=True, samesite="strict", path="/admin",
                        secure=secure, max_age=12 * 3600)  # fmt: skip
        return resp

    router = APIRouter(prefix="/admin", dependencies=[Depends(check)])

    @router.get("", response_class=HTMLResponse)
    def overview(request: Request):
        return templates.TemplateResponse(
            request, "admin.html", {"title": store.spec.title, "stats": store.stats()}, headers=no_store
        )

    @router.get("/stats.json")
    def stats():
        return Response(
            content=json.dumps(store.stats(), indent=1), media_type="application/json", headers=no_store
        )

    def attachment(name: str) -> dict:
        return {**no_store, "Content-Disposition": f'attachment; filename="{store.spec.study_id}-{name}"'}

    @router.get("/export.csv")
    def export_csv():
        return Response(
            content=to_csv(vote_records(store)), media_type="text/csv", headers=attachment("votes.csv")
        )

    @router.get("/export.json")
    def export_json():
        return Response(content=to_json(vote_records(store)), media_type="application/json", headers=no_store)

    @router.get("/export-long.csv")
    def export_long():
        body = to_csv(long_records(store), LONG_COLUMNS)
        return Response(content=body, media_type="text/csv", headers=attachment("long.csv"))

    both = APIRouter()
    both.include_router(public)
    both.include_router(router)
    return both
