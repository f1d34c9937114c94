"""Crowd-platform parameters in the study link (Prolific, MTurk, a plain ``ext`` id) and where a
finished rater is sent.

- Prolific appends ``PROLIFIC_PID``, ``STUDY_ID`` and ``SESSION_ID``; a finished participant is sent
  to the study's completion URL (Prolific's ``.../submissions/complete?cc=CODE``).
- MTurk (ExternalQuestion) appends ``workerId``, ``assignmentId``, ``hitId`` and ``turkSubmitTo``;
  ``assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE`` is a preview, and a finished worker posts
  ``assignmentId`` back to ``{turkSubmitTo}/mturk/externalSubmit`` (only MTurk's own hosts are accepted).
- Any other link may carry ``ext=ID``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

MTURK_PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE"
MTURK_HOSTS = ("https://www.mturk.com", "https://workersandbox.mturk.com")
PLATFORM_NAMES = {"prolific": "Prolific", "mturk": "Amazon Mechanical Turk", "link": "the study site"}
_ID = re.compile(r"[^\w.:@+-]")
MAX_ID = 100


def clean_id(value: str | None) -> str:
    """A platform id as stored: word characters and ``.:@+-`` only, at most 100 characters."""
    return _ID.sub("", value or "")[:MAX_ID]


@dataclass(frozen=True)
class PlatformIds:
    """Who the link says the rater is: ``platform`` is ``prolific``, ``mturk``, ``link`` or ``""``."""

    platform: str = ""
    external_id: str = ""
    study: str = ""
    session: str = ""
    submit_to: str = ""
    preview: bool = False

    def form_fields(self) -> dict[str, str]:
        """The hidden consent-form fields that carry these ids to ``POST /consent``."""
        return {
            "platform": self.platform, "ext": self.external_id, "pstudy": self.study,
            "psession": self.session, "submit_to": self.submit_to,
        }  # fmt: skip


def from_link(params: Mapping[str, str]) -> PlatformIds:
    """Read platform ids from the query parameters of the study link."""
    if params.get("PROLIFIC_PID"):
        return PlatformIds(
            "prolific", clean_id(params["PROLIFIC_PID"]), clean_id(params.get("STUDY_ID")),
            clean_id(params.get("SESSION_ID")),
        )  # fmt: skip
    if params.get("workerId") or params.get("assignmentId"):
        assignment = params.get("assignmentId", "")
        return PlatformIds(
            "mturk", clean_id(params.get("workerId")), clean_id(params.get("hitId")), clean_id(assignment),
            mturk_submit_host(params.get("turkSubmitTo", "")), preview=assignment == MTURK_PREVIEW,
        )  # fmt: skip
    if params.get("ext"):
        return PlatformIds("link", clean_id(params["ext"]))
    return PlatformIds()


def from_form(form: Mapping[str, str]) -> PlatformIds:
    """Read platform ids back from the consent form (see :meth:`PlatformIds.form_fields`)."""
    platform = form.get("platform", "")
    ext = clean_id(form.get("ext"))
    if platform not in PLATFORM_NAMES:
        platform = "link" if ext else ""
    return PlatformIds(
        platform, ext, clean_id(form.get("pstudy")), clean_id(form.get("psession")),
        mturk_submit_host(form.get("submit_to", "")) if platform == "mturk" else "",
    )  # fmt: skip


def mturk_submit_host(value: str) -> str:
    """``turkSubmitTo`` if it is one of MTurk's hosts, else ``""`` (never post a worker elsewhere)."""
    value = (value or "").rstrip("/")
    return value if value in MTURK_HOSTS else ""


def completion_link(url: str, code: str) -> str:
    """The study's completion URL with ``{code}`` replaced by the rater's (URL-quoted) completion code."""
    return url.replace("{code}", quote(code, safe="")) if url else ""
