"""Admin routes: live counts and CSV/JSON export, all behind a constant-time token check.

The token is accepted as ``Authorization: Bearer T``, an ``X-Admin-Token`` header or, for a
browser, ``?token=T``. Without it every route answers 401 and reveals nothing.
"""

import secrets

from benchmarks.study.export import to_csv, to_json, vote_records
from benchmarks.study.store import VoteStore


def admin_router(store: VoteStore, templates, admin_token: str):  # -> fastapi.APIRouter
    """The ``/admin`` routes for ``store``, guarded by ``admin_token``."""
    from fastapi import APIRouter, Depends, HTTPException, Request
    from fastapi.responses import HTMLResponse, Response

    def check(request: Request) -> None:
        auth = request.headers.get("authorization", "")
        given = (
            (auth[7:] if auth.lower().startswith("bearer ") else None)
            or request.headers.get("x-admin-token")
            or request.query_params.get("token")
            or ""
        )
        if not secrets.compare_digest(given.encode(), admin_token.encode()):
            raise HTTPException(status_code=401, detail="admin token required")

    router = APIRouter(prefix="/admin", dependencies=[Depends(check)])
    no_store = {"Cache-Control": "no-store"}

    @router.get("", response_class=HTMLResponse)
    def overview(request: Request):
        return templates.TemplateResponse(
            request,
            "admin.html",
            {
                "title": store.spec.title,
                "stats": store.stats(),
                "token": request.query_params.get("token", ""),
            },
            headers=no_store,
        )

    @router.get("/stats.json")
    def stats():
        return Response(content=_json(store.stats()), media_type="application/json", headers=no_store)

    @router.get("/export.csv")
    def export_csv():
        headers = dict(no_store)
        headers["Content-Disposition"] = f'attachment; filename="{store.spec.study_id}-votes.csv"'
        return Response(content=to_csv(vote_records(store)), media_type="text/csv", headers=headers)

    @router.get("/export.json")
    def export_json():
        return Response(content=to_json(vote_records(store)), media_type="application/json", headers=no_store)

    return router


def _json(obj) -> str:
    import json

    return json.dumps(obj, indent=1)
