"""The FastAPI app: consent, instructions, one trial per page, completion code; admin under /admin.

The browser only ever sees opaque per-participant tokens: ``/img/{token}`` serves an image only to
the participant it was issued to, and a vote names the token of the chosen option. Method names,
file paths and the display order stay on the server.
"""

import logging
from pathlib import Path

from benchmarks.study.spec import VOTES_DB, load_study, safe_path
from benchmarks.study.store import VoteRejected, VoteStore
from pasd.utils.optional import require

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
COOKIE = "pasd_study_pid"
COOKIE_MAX_AGE = 60 * 60 * 24 * 60  # resume within 60 days
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'",
}


def create_app(study_dir: str | Path, admin_token: str):  # -> fastapi.FastAPI (imported lazily)
    """Build the study app for ``study_dir`` (votes go to ``study_dir/votes.sqlite``).

    Args:
        study_dir: a folder made by :func:`benchmarks.study.create.create_study`.
        admin_token: secret required by every ``/admin`` route (at least 16 characters).

    Returns:
        A FastAPI application; run it with uvicorn.

    Raises:
        ValueError: the admin token is too short or the study file is invalid.
        MissingDependencyError: the ``study`` extra is not installed.
    """
    fastapi = require("fastapi", "study")
    require("jinja2", "study")
    require("python_multipart", "study", package="python-multipart")
    from fastapi import Cookie, Form, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates
    from pydantic import BaseModel, Field

    from benchmarks.study.admin import admin_router

    if len(admin_token) < 16:
        raise ValueError("admin token must be at least 16 characters")
    study_dir = Path(study_dir).resolve()
    spec = load_study(study_dir)
    store = VoteStore(study_dir / VOTES_DB, spec)
    templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
    app = fastapi.FastAPI(title=spec.title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    app.include_router(admin_router(store, templates, admin_token))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # the default handler echoes the input back, and fails (500) on values JSON cannot hold (1e400)
        errors = [
            {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def page(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.update(title=spec.title, study=spec)
        # no-store: "Back" after a vote reloads the current trial instead of a stale, answered one
        return templates.TemplateResponse(
            request, name, ctx, status_code=status, headers={"Cache-Control": "no-store"}
        )

    def go(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def where(pid: str | None) -> str | None:
        """Where a participant with this cookie belongs: None (no consent yet), /trial or /done."""
        p = store.participant(pid)
        if p is None:
            return None
        return "/done" if p["completed_at"] is not None else "/trial"

    @app.get("/", response_class=HTMLResponse)
    def consent(request: Request, pid: str | None = Cookie(None, alias=COOKIE), ext: str = ""):
        dest = where(pid)
        return go(dest) if dest else page(request, "consent.html", ext=ext[:100], n=spec.n_trials)

    @app.post("/consent")
    def give_consent(
        request: Request,
        agree: str = Form(..., max_length=10),
        ext: str = Form("", max_length=100),
        pid: str | None = Cookie(None, alias=COOKIE),
    ):
        if where(pid):
            return go(where(pid))
        if agree != "yes":
            return page(request, "error.html", 400, message="Consent is required to take part.")
        new = store.create_participant(ext or None, request.headers.get("user-agent"))
        resp = go("/instructions")
        resp.set_cookie(COOKIE, new, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax")
        return resp

    @app.get("/instructions", response_class=HTMLResponse)
    def instructions(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        if not where(pid):
            return go("/")
        return page(request, "instructions.html", n=spec.n_trials, n_methods=len(spec.methods))

    @app.get("/trial", response_class=HTMLResponse)
    def trial(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        if where(pid) != "/trial":
            return go(where(pid) or "/")
        view = store.current_trial(pid)
        if view is None:  # finished in another tab between the two queries
            return go("/done")
        return page(request, "trial.html", trial=view, question=spec.question)

    @app.get("/img/{token}")
    def image(
        token: str = fastapi.Path(..., pattern=TOKEN_PATTERN), pid: str | None = Cookie(None, alias=COOKIE)
    ):
        rel = store.image_path(pid, token) if pid else None
        if rel is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        path = safe_path(study_dir, rel)  # paths come from study.json, re-checked anyway
        return FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    @app.post("/vote")
    def vote_form(
        request: Request,
        pos: int = Form(..., ge=0, le=100_000),
        option: str = Form(..., pattern=TOKEN_PATTERN),
        client_ms: float | None = Form(None, ge=0, le=1e9),
        pid: str | None = Cookie(None, alias=COOKIE),
    ):
        try:
            store.record_vote(pid or "", pos, option, client_ms)
        except VoteRejected as exc:
            return page(request, "error.html", exc.status, message=str(exc))
        return go(where(pid) or "/")

    class VoteIn(BaseModel):
        pos: int = Field(ge=0, le=100_000)
        option: str = Field(pattern=TOKEN_PATTERN)
        client_ms: float | None = Field(None, ge=0, le=1e9)

    @app.post("/api/vote")
    def vote_json(body: VoteIn, pid: str | None = Cookie(None, alias=COOKIE)):
        try:
            status = store.record_vote(pid or "", body.pos, body.option, body.client_ms)
        except VoteRejected as exc:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)
        return {"status": status, "next": where(pid)}

    @app.get("/api/trial")
    def trial_json(pid: str | None = Cookie(None, alias=COOKIE)):
        if not where(pid):
            return JSONResponse({"detail": "no participant; give consent first"}, status_code=401)
        view = store.current_trial(pid)
        if view is None:
            return {"done": True}
        return {"done": False, "pos": view.pos, "n_trials": view.n_trials, "options": view.options}

    @app.get("/done", response_class=HTMLResponse)
    def done(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        p = store.participant(pid)
        if p is None or p["completed_at"] is None:
            return go(where(pid) or "/")
        return page(request, "done.html", code=p["completion_code"])

    return app
