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
    study_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, admin_token: str = ""
) -> None:
    """Serve ``study_dir`` until interrupted.

    Args:
        study_dir: a folder made by ``pasd-bench study create``.
        host: interface to bind; the default keeps the study on this machine.
        port: TCP port (0 picks a free one).
        admin_token: secret for ``/admin``; must be at least 16 characters.

    Raises:
        ValueError: bad token or study file.
        MissingDependencyError: the ``study`` extra is not installed.
    """
    uvicorn = require("uvicorn", "study")
    from benchmarks.study.server import create_app

    app = create_app(study_dir, admin_token)
    if host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning("serving on %s: anyone who can reach this address can take part", host)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
