"""The FastAPI app: consent, instructions, one trial per page, completion; admin under /admin.

The browser only ever sees opaque per-participant tokens: ``/img/{token}`` serves an image only to
the participant it was issued to, and a vote names the token of the chosen option. Method names,
file paths, the trial kind (main, gold, repeat) and the display order stay on the server. Every
image goes out with the same headers (one content type, ``no-store``, no ``ETag`` or
``Last-Modified``), and the files themselves were re-encoded at create time, so nothing but the
pixels differs between methods.
"""

import hashlib
import logging
import re
from pathlib import Path

from benchmarks.study.guard import MAX_BODY_BYTES, NEW_PARTICIPANTS, RATE_WINDOW_S, RateLimiter
from benchmarks.study.platforms import PLATFORM_NAMES, completion_link, from_form, from_link
from benchmarks.study.spec import (
    FORMAT_VERSION,
    MOS_SCALE,
    VOTES_DB,
    check_completion_url,
    load_study,
    safe_path,
)
from benchmarks.study.store import ClientReport, Registration, VoteRejected, VoteStore
from benchmarks.study.text import SCRIPT_KEYS, blocks, fill
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
#: user agents treated as phones/tablets by the desktop-only gate (with the screen width the page reports)
MOBILE_UA = re.compile(r"Mobi|Android|iPhone|iPad|iPod", re.IGNORECASE)
#: the same headers for every image: nothing but the bytes may differ between methods
IMAGE_HEADERS = {"Cache-Control": "no-store", "Content-Type": "image/png"}


def create_app(
    study_dir: str | Path,
    admin_token: str,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    new_participants: tuple[int, int] = (NEW_PARTICIPANTS, RATE_WINDOW_S),
    secure_cookie: bool | None = None,
    completion_url: str | None = None,
):  # -> fastapi.FastAPI (imported lazily)
    """Build the study app for ``study_dir`` (votes go to ``study_dir/votes.sqlite``).

    Args:
        study_dir: a folder made by :func:`benchmarks.study.create.create_study`.
        admin_token: secret required by every ``/admin`` route (at least 16 characters).
        max_body_bytes: larger request bodies get 413 before anything parses them.
        new_participants: (count, seconds): at most this many new participants per client address
            and window (count 0: no limit); more get 429.
        secure_cookie: set the ``Secure`` cookie flag; None sets it when the request came over https.
        completion_url: overrides the study's completion URL (``{code}`` is replaced by the code).

    Returns:
        A FastAPI application; run it with uvicorn.

    Raises:
        ValueError: the admin token is too short, the study file is invalid or from an older
            format that was not re-encoded blind.
        MissingDependencyError: the ``study`` extra is not installed.
    """
    fastapi = require("fastapi", "study")
    require("jinja2", "study")
    require("python_multipart", "study", package="python-multipart")
    body_limit = require("starlette.middleware.body_limit", "study", package="starlette>=1.6")
    from fastapi import Cookie, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from fastapi.staticfiles import StaticFiles
    from fastapi.templating import Jinja2Templates
    from pydantic import BaseModel, Field, ValidationError

    from benchmarks.study.admin import admin_router

    if len(admin_token) < 16:
        raise ValueError("admin token must be at least 16 characters")
    study_dir = Path(study_dir).resolve()
    spec = load_study(study_dir)
    if spec.format_version != FORMAT_VERSION:
        raise ValueError(
            f"{study_dir} is a format-{spec.format_version} study: its images were copied with their "
            "metadata and file dates, which can reveal the methods; re-create it with `pasd-bench study create`"
        )
    done_url = check_completion_url(spec.completion_url if completion_url is None else completion_url)
    store = VoteStore(study_dir / VOTES_DB, spec)
    limiter = RateLimiter(*new_participants)
    text = spec.text
    templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
    app = fastapi.FastAPI(title=spec.title, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    # outermost, so no route (form, JSON, admin) ever reads more than the cap
    app.add_middleware(body_limit.RequestBodyLimitMiddleware, max_body_size=max_body_bytes)
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    app.include_router(admin_router(store, templates, admin_token, secure_cookie))

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def tx(key: str, **values: object) -> str:
        return fill(text[key], **values)

    common = {
        "title": spec.title,
        "n_trials": spec.n_trials,
        "minutes": max(1, round(spec.n_trials * (8 if spec.design == "mos" else 20) / 60)),
        "n_options": spec.n_options,
        "min_width": spec.min_screen_width,
    }

    def page(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.update(title=spec.title, study=spec, text=text, tx=tx, blocks=blocks, fill=fill, common=common)
        # no-store: "Back" after a vote reloads the current trial instead of a stale, answered one
        return templates.TemplateResponse(
            request, name, ctx, status_code=status, headers={"Cache-Control": "no-store"}
        )

    def error_page(request: Request, status: int, key: str, **params) -> HTMLResponse:
        return page(request, "error.html", status, message=tx(key, **common, **params))

    def go(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def where(pid: str | None) -> str | None:
        """Where a participant with this cookie belongs: None (no consent yet), /trial or /done."""
        p = store.participant(pid)
        if p is None:
            return None
        return "/done" if p["completed_at"] is not None else "/trial"

    def client_key(request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        return hashlib.sha256(host.encode()).hexdigest()[:16]

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # volunteers get a plain sentence; API clients a sanitized list (the default handler echoes
        # the input back, and fails with 500 on values JSON cannot hold, like 1e400)
        if not request.url.path.startswith(("/api/", "/admin")):
            return error_page(request, 422, "err_bad_form")
        errors = [
            {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/", response_class=HTMLResponse)
    def consent(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        dest = where(pid)
        if dest:
            return go(dest)
        ids = from_link(request.query_params)
        return page(request, "consent.html", ids=ids.form_fields(), preview=ids.preview)

    @app.post("/consent")
    async def give_consent(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        if where(pid):
            return go(where(pid))
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and len(v) <= 200}
        if form.get("agree") != "yes":
            return error_page(request, 400, "err_consent_required")
        ids = from_form(form)
        screen = _screen(form)
        ua = request.headers.get("user-agent", "")
        if spec.desktop_only and (
            MOBILE_UA.search(ua)
            or screen.get("coarse")
            or screen.get("screen_w", 1e9) < spec.min_screen_width
        ):
            return error_page(request, 403, "err_desktop_only")
        if not limiter.allow(client_key(request)):
            logger.warning("new-participant rate limit hit by client %s", client_key(request))
            return error_page(request, 429, "err_rate_limited")
        reg = Registration(ids.external_id or None, ids.platform, ids.study, ids.session, ua, screen)
        try:
            new = store.create_participant(reg)
        except VoteRejected as exc:
            return error_page(request, exc.status, exc.key, **exc.params)
        resp = go("/instructions")
        secure = request.url.scheme == "https" if secure_cookie is None else secure_cookie
        resp.set_cookie(COOKIE, new, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax", secure=secure)
        if ids.submit_to:  # MTurk: remember where to post the assignment back
            resp.set_cookie("pasd_study_mturk", ids.submit_to, max_age=COOKIE_MAX_AGE, httponly=True,
                            samesite="lax", secure=secure)  # fmt: skip
        return resp

    @app.get("/instructions", response_class=HTMLResponse)
    def instructions(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        if not where(pid):
            return go("/")
        return page(request, "instructions.html", has_checks=bool(spec.gold or spec.repeats))

    @app.get("/trial", response_class=HTMLResponse)
    def trial(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        if where(pid) != "/trial":
            return go(where(pid) or "/")
        view = store.current_trial(pid)
        if view is None:  # finished in another tab between the two queries
            return go("/done")
        return page(
            request,
            "trial.html",
            trial=view,
            choices=_choices(spec, view, tx),
            script_text=_script_text(spec, view, tx),
        )

    @app.get("/img/{token}")
    def image(
        token: str = fastapi.Path(..., pattern=TOKEN_PATTERN), pid: str | None = Cookie(None, alias=COOKIE)
    ):
        rel = store.image_path(pid, token) if pid else None
        if rel is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        path = safe_path(study_dir, rel)  # paths come from study.json, re-checked anyway
        return Response(content=path.read_bytes(), headers=IMAGE_HEADERS)

    def vote(pid: str | None, data: dict) -> str:
        try:
            v = VoteIn.model_validate(data)
        except ValidationError as exc:
            raise VoteRejected(400, "err_bad_form") from exc
        report = ClientReport(
            v.client_ms, v.images_ok, v.screen_w, v.screen_h, v.view_w, v.view_h, v.dpr, v.views
        )
        return store.record_vote(pid or "", v.pos, v.option, v.rating, report)

    @app.post("/vote")
    async def vote_form(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and v != ""}
        try:
            vote(pid, form)
        except VoteRejected as exc:
            return error_page(request, exc.status, exc.key, **exc.params)
        return go(where(pid) or "/")

    class VoteIn(BaseModel):
        pos: int = Field(ge=0, le=100_000)
        option: str = Field(pattern=TOKEN_PATTERN)
        rating: int | None = Field(None, ge=min(MOS_SCALE), le=max(MOS_SCALE))
        client_ms: float | None = Field(None, ge=0, le=1e9)
        images_ok: bool | None = None
        screen_w: int | None = Field(None, ge=0, le=100_000)
        screen_h: int | None = Field(None, ge=0, le=100_000)
        view_w: int | None = Field(None, ge=0, le=100_000)
        view_h: int | None = Field(None, ge=0, le=100_000)
        dpr: float | None = Field(None, gt=0, le=16)
        views: str | None = Field(None, max_length=100, pattern=r"^[a-z,]*$")

    @app.post("/api/vote")
    async def vote_json(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"detail": "body is not JSON"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"detail": "body must be a JSON object"}, status_code=400)
        try:
            status = vote(pid, data)
        except VoteRejected as exc:
            return JSONResponse({"detail": str(exc), "error": exc.key}, status_code=exc.status)
        return {"status": status, "next": where(pid)}

    @app.get("/api/trial")
    def trial_json(pid: str | None = Cookie(None, alias=COOKIE)):
        if not where(pid):
            return JSONResponse({"detail": "no participant; give consent first"}, status_code=401)
        view = store.current_trial(pid)
        if view is None:
            return {"done": True}
        return {
            "done": False, "pos": view.pos, "n_trials": view.n_trials, "reference": view.reference,
            "options": view.options, "tie": view.tie, "design": spec.design,
        }  # fmt: skip

    @app.get("/done", response_class=HTMLResponse)
    def done(request: Request, pid: str | None = Cookie(None, alias=COOKIE)):
        p = store.participant(pid)
        if p is None or p["completed_at"] is None:
            return go(where(pid) or "/")
        code = p["completion_code"]
        platform = p["platform"] or ""
        mturk = request.cookies.get("pasd_study_mturk", "") if platform == "mturk" else ""
        return page(
            request,
            "done.html",
            code=code,
            link=completion_link(done_url, code),
            platform=PLATFORM_NAMES.get(platform, PLATFORM_NAMES["link"]),
            mturk_action=f"{mturk}/mturk/externalSubmit" if mturk else "",
            assignment=p["platform_session"] or "",
        )

    return app


def _screen(form: dict) -> dict:
    """What the consent page's script reported about the display (absent fields left out)."""
    out: dict = {}
    for key in ("screen_w", "screen_h", "view_w", "view_h"):
        if form.get(key, "").isdigit():
            out[key] = min(int(form[key]), 100_000)
    try:
        dpr = float(form.get("dpr", ""))
        if 0 < dpr <= 16:
            out["dpr"] = dpr
    except ValueError:
        pass
    if form.get("coarse") == "1":
        out["coarse"] = True
    return out


def _choices(spec, view, tx) -> list[dict]:
    """The answer buttons of a trial, in order: value, label and shortcut key."""
    if spec.design == "mos":
        return [
            {"name": "rating", "value": str(r), "label": f"{r} {tx(f'mos_{r}')}", "key": str(r)}
            for r in sorted(MOS_SCALE, reverse=True)
        ]
    out = [
        {
            "name": "option",
            "value": tok,
            "label": tx("choice_better", n=k + 1) if view.tie else tx("option_label", n=k + 1),
            "key": str(k + 1),
        }
        for k, tok in enumerate(view.options)
    ]
    if view.tie:
        out.insert(1, {"name": "option", "value": view.tie, "label": tx("choice_tie"), "key": "0"})
    return out


def _script_text(spec, view, tx) -> dict:
    out = {key: spec.text[key] for key in SCRIPT_KEYS}
    out["min_view_ms"] = spec.min_view_ms
    out["design"] = spec.design
    return out
