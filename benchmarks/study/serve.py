"""Run the study app with uvicorn (one process: SQLite serializes the writes anyway)."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from pasd.utils.optional import require

logger = logging.getLogger(__name__)


def new_admin_token() -> str:
    """A fresh random admin token (URL-safe, 32 characters)."""
    return secrets.token_urlsafe(24)


def serve_study(
    study_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    admin_token: str = "",
    forwarded_allow_ips: str | None = None,
    **app_options,
) -> None:
    """Serve ``study_dir`` until interrupted.

    Args:
        study_dir: a folder made by ``pasd-bench study create``.
        host: interface to bind; the default keeps the study on this machine.
        port: TCP port (0 picks a free one).
        admin_token: secret for ``/admin``; must be at least 16 characters.
        forwarded_allow_ips: proxy addresses whose ``X-Forwarded-For``/``-Proto`` are trusted (behind
            a reverse proxy the client address, used by the rate limit, and https come from there).
        **app_options: passed to :func:`benchmarks.study.server.create_app` (body cap, rate limit,
            secure cookie, completion URL).

    Raises:
        ValueError: bad token or study file.
        MissingDependencyError: the ``study`` extra is not installed.
    """
    uvicorn = require("uvicorn", "study")
    from benchmarks.study.server import create_app

    app = create_app(study_dir, admin_token, **app_options)
    if host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("serving on %s: anyone who can reach this address can take part", host)
    proxy = (
        {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}
        if forwarded_allow_ips
        else {"proxy_headers": False}
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, **proxy)
