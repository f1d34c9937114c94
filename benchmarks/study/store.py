"""SQLite (WAL) storage of participants, their assigned trials and their votes.

Every vote is written in one ``BEGIN IMMEDIATE`` transaction that checks, in order: the
participant exists, the trial position is theirs, it was not answered already (a repeat of the
same answer is a no-op, a different answer is refused), it is the next unanswered trial, the
answer belongs to that trial, every image of the trial was served to this participant, and the
trial was on screen for at least the study's minimum viewing time (measured on the server, from
serving the trial to receiving the answer). ``UNIQUE(pid, pos)`` backs this up, so no vote is
duplicated even under concurrent requests; WAL with ``synchronous=NORMAL`` keeps every
acknowledged vote across a killed server.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.study.assign import make_assignment
from benchmarks.study.spec import MOS_SCALE, TIE, StudySpec
from benchmarks.study.text import DEFAULT_TEXT, fill

REFERENCE = "__reference__"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS participants (
  pid TEXT PRIMARY KEY, label TEXT UNIQUE, external_id TEXT, user_agent TEXT,
  created_at REAL NOT NULL, completed_at REAL, completion_code TEXT,
  next_pos INTEGER NOT NULL DEFAULT 0, n_trials INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
  pid TEXT NOT NULL REFERENCES participants(pid), pos INTEGER NOT NULL, trial_id TEXT NOT NULL,
  kind TEXT NOT NULL, shown_at REAL, PRIMARY KEY (pid, pos));
CREATE TABLE IF NOT EXISTS options (
  token TEXT PRIMARY KEY, pid TEXT NOT NULL, pos INTEGER NOT NULL, slot INTEGER NOT NULL,
  method TEXT NOT NULL, path TEXT NOT NULL, UNIQUE (pid, pos, slot));
CREATE TABLE IF NOT EXISTS votes (
  vote_id INTEGER PRIMARY KEY AUTOINCREMENT, pid TEXT NOT NULL, pos INTEGER NOT NULL,
  trial_id TEXT NOT NULL, kind TEXT NOT NULL, token TEXT NOT NULL, method TEXT NOT NULL,
  position INTEGER NOT NULL, n_options INTEGER NOT NULL, display_order TEXT NOT NULL,
  rt_server_ms REAL, rt_client_ms REAL, created_at REAL NOT NULL, UNIQUE (pid, pos));
"""
#: columns added after format 1; an older database gets them on open (ALTER TABLE ADD COLUMN)
ADDED_COLUMNS = {
    "participants": [
        ("idx", "INTEGER"), ("platform", "TEXT"), ("platform_study", "TEXT"), ("platform_session", "TEXT"),
        ("screen", "TEXT"),
    ],
    "trials": [("repeat_of", "INTEGER"), ("tie", "INTEGER NOT NULL DEFAULT 0")],
    "options": [("fetched_at", "REAL")],
    "votes": [
        ("rating", "INTEGER"), ("images_ok", "INTEGER"), ("screen_w", "INTEGER"), ("screen_h", "INTEGER"),
        ("view_w", "INTEGER"), ("view_h", "INTEGER"), ("dpr", "REAL"), ("views", "TEXT"),
    ],
}  # fmt: skip
INDEXES = """
CREATE INDEX IF NOT EXISTS participants_external ON participants (platform, external_id);
CREATE INDEX IF NOT EXISTS options_trial ON options (pid, pos);
"""


class VoteRejected(Exception):
    """A vote or registration the server refuses.

    ``status`` is the HTTP status to answer with; ``key`` names the rater-facing message in the
    study text (:data:`benchmarks.study.text.DEFAULT_TEXT`), filled with ``params``.
    """

    def __init__(self, status: int, key: str, **params: object) -> None:
        super().__init__(fill(DEFAULT_TEXT[key], **params))
        self.status = status
        self.key = key
        self.params = params


@dataclass(frozen=True)
class TrialView:
    """What the trial page needs: opaque tokens only, never method names, paths or the trial kind."""

    pos: int
    n_trials: int
    reference: str | None
    options: list[str]
    tie: str | None = None


@dataclass(frozen=True)
class Registration:
    """Who is registering: platform ids from the study link, and what their browser reported."""

    external_id: str | None = None
    platform: str = ""
    platform_study: str = ""
    platform_session: str = ""
    user_agent: str = ""
    screen: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ClientReport:
    """What the page reports with a vote: its own timing and the display it was seen on (all optional)."""

    client_ms: float | None = None
    images_ok: bool | None = None
    screen_w: int | None = None
    screen_h: int | None = None
    view_w: int | None = None
    view_h: int | None = None
    dpr: float | None = None
    views: str | None = None


class VoteStore:
    """Thread-safe access to one study's ``votes.sqlite`` (one connection per thread).

    Args:
        path: the database file (created with its schema if absent).
        spec: the study whose participants this database holds.

    Raises:
        ValueError: the database belongs to another study.
    """

    def __init__(self, path: str | Path, spec: StudySpec) -> None:
        self.path = Path(path)
        self.spec = spec
        self._local = threading.local()
        con = self._conn()
        con.executescript(SCHEMA)
        for table, columns in ADDED_COLUMNS.items():
            have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns:
                if name not in have:
                    con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        con.executescript(INDEXES)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('study_id', ?)", (spec.study_id,))
        owner = con.execute("SELECT value FROM meta WHERE key = 'study_id'").fetchone()[0]
        if owner != spec.study_id:
            # the images or methods changed under existing votes: mixing them would corrupt the study
            raise ValueError(f"{self.path} holds votes of {owner}, but study.json is {spec.study_id}")

    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            # autocommit mode: transactions are explicit (BEGIN IMMEDIATE) where they matter
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con = con
        return con

    def create_participant(self, reg: Registration | None = None) -> str:
        """Register a participant who gave consent, store their trials, return their secret id.

        Raises:
            VoteRejected: the study is full (410), or this platform id already took part (409)
                while the study allows one participant per id.
        """
        reg = reg or Registration()
        pid = secrets.token_urlsafe(18)
        con = self._conn()
        with _transaction(con):
            n = con.execute("SELECT COUNT(*) FROM participants").fetchone()[0]
            cap = self.spec.max_participants
            if cap is not None and n >= cap:
                raise VoteRejected(410, "err_study_full")
            if reg.external_id and self.spec.one_per_external_id:
                seen = con.execute(
                    "SELECT 1 FROM participants WHERE platform = ? AND external_id = ?",
                    (reg.platform, reg.external_id),
                ).fetchone()
                if seen:
                    raise VoteRejected(409, "err_duplicate_id")
            trials = make_assignment(self.spec, pid, n)  # inside the lock: n is this rater's index
            con.execute(
                "INSERT INTO participants (pid, label, external_id, user_agent, created_at, n_trials, idx,"
                " platform, platform_study, platform_session, screen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pid, f"p{n + 1:04d}", reg.external_id, reg.user_agent[:300], time.time(), len(trials), n,
                 reg.platform, reg.platform_study[:100], reg.platform_session[:100],
                 json.dumps(reg.screen) if reg.screen else None),
            )  # fmt: skip
            for pos, t in enumerate(trials):
                con.execute(
                    "INSERT INTO trials (pid, pos, trial_id, kind, repeat_of, tie) VALUES (?, ?, ?, ?, ?, ?)",
                    (pid, pos, t.trial_id, t.kind, t.repeat_of, int(t.tie)),
                )
                rows = [(0, REFERENCE, t.lq)] if t.lq else []
                rows += [(k + 1, m, p) for k, (m, p) in enumerate(t.options)]
                if t.tie:
                    rows.append((len(t.options) + 1, TIE, ""))
                con.executemany(
                    "INSERT INTO options (token, pid, pos, slot, method, path) VALUES (?, ?, ?, ?, ?, ?)",
                    [(secrets.token_urlsafe(9), pid, pos, slot, m, p) for slot, m, p in rows],
                )
        return pid

    def participant(self, pid: str | None) -> sqlite3.Row | None:
        """The participant row for ``pid``, or ``None`` when unknown."""
        if not pid:
            return None
        return self._conn().execute("SELECT * FROM participants WHERE pid = ?", (pid,)).fetchone()

    def current_trial(self, pid: str) -> TrialView | None:
        """The participant's next unanswered trial (stamping when it was first shown), or ``None`` if done."""
        con = self._conn()
        p = self.participant(pid)
        if p is None or p["next_pos"] >= p["n_trials"]:
            return None
        pos = p["next_pos"]
        con.execute(
            "UPDATE trials SET shown_at = ? WHERE pid = ? AND pos = ? AND shown_at IS NULL",
            (time.time(), pid, pos),
        )
        rows = con.execute(
            "SELECT token, slot, method FROM options WHERE pid = ? AND pos = ? ORDER BY slot", (pid, pos)
        ).fetchall()
        ref = next((r["token"] for r in rows if r["slot"] == 0), None)
        tie = next((r["token"] for r in rows if r["method"] == TIE), None)
        opts = [r["token"] for r in rows if r["slot"] > 0 and r["method"] != TIE]
        return TrialView(pos, p["n_trials"], ref, opts, tie)

    def image_path(self, pid: str, token: str) -> str | None:
        """The study-relative path behind an image token, only if it belongs to ``pid``; marks it fetched."""
        con = self._conn()
        row = con.execute(
            "SELECT path, fetched_at FROM options WHERE token = ? AND pid = ?", (token, pid)
        ).fetchone()
        if row is None or not row["path"]:
            return None
        if row["fetched_at"] is None:
            con.execute(
                "UPDATE options SET fetched_at = ? WHERE token = ? AND fetched_at IS NULL",
                (time.time(), token),
            )
        return row["path"]

    def record_vote(
        self, pid: str, pos: int, token: str, rating: int | None = None, report: ClientReport | None = None
    ) -> str:
        """Store an answer; return ``"recorded"`` or ``"duplicate"`` (the same answer posted again).

        Args:
            pid: the participant's secret id.
            pos: the trial position (0-based).
            token: the chosen option (or the trial's tie token; for MOS, the rated image).
            rating: the MOS rating (MOS design only).
            report: what the page reports (its own timing, screen, device pixel ratio).

        Raises:
            VoteRejected: unknown participant (401), forged trial/option or missing rating (400),
                a different answer for an answered trial, a trial that is not the next one, or
                images not served yet (409), an answer sooner than the minimum viewing time (425).
        """
        report = report or ClientReport()
        con = self._conn()
        page = pos + 1
        with _transaction(con):
            p = con.execute("SELECT * FROM participants WHERE pid = ?", (pid,)).fetchone()
            if p is None:
                raise VoteRejected(401, "err_unknown_participant")
            if not 0 <= pos < p["n_trials"]:
                raise VoteRejected(400, "err_trial_missing")
            prev = con.execute(
                "SELECT token, rating FROM votes WHERE pid = ? AND pos = ?", (pid, pos)
            ).fetchone()
            if prev is not None:
                if prev["token"] == token and prev["rating"] == rating:
                    return "duplicate"
                raise VoteRejected(409, "err_already_answered", page=page)
            if pos != p["next_pos"]:
                raise VoteRejected(409, "err_not_current", page=page, current=p["next_pos"] + 1)
            opts = con.execute(
                "SELECT token, slot, method, path, fetched_at FROM options WHERE pid = ? AND pos = ? ORDER BY slot",
                (pid, pos),
            ).fetchall()
            shown = [o for o in opts if o["slot"] > 0 and o["method"] != TIE]
            chosen = [o for o in opts if o["slot"] > 0 and o["token"] == token]
            if not chosen:
                raise VoteRejected(400, "err_bad_option")
            mos = self.spec.design == "mos"
            if mos and (rating not in MOS_SCALE):
                raise VoteRejected(400, "err_rating_required")
            if not mos and rating is not None:
                raise VoteRejected(400, "err_bad_option")
            trial = con.execute("SELECT * FROM trials WHERE pid = ? AND pos = ?", (pid, pos)).fetchone()
            if trial["shown_at"] is None:
                raise VoteRejected(409, "err_not_shown", page=page)
            if any(o["path"] and o["fetched_at"] is None for o in opts):
                raise VoteRejected(409, "err_images_not_loaded")
            now = time.time()
            rt_ms = 1000 * (now - trial["shown_at"])
            if rt_ms < self.spec.min_view_ms:
                raise VoteRejected(425, "err_too_fast")
            c = chosen[0]
            position = 0 if c["method"] == TIE else c["slot"]  # 0: the tie answer, no position
            con.execute(
                "INSERT INTO votes (pid, pos, trial_id, kind, token, method, position, n_options, display_order,"
                " rt_server_ms, rt_client_ms, created_at, rating, images_ok, screen_w, screen_h, view_w, view_h,"
                " dpr, views) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pid, pos, trial["trial_id"], trial["kind"], token, c["method"], position, len(shown),
                 json.dumps([o["method"] for o in shown]), rt_ms, report.client_ms, now, rating,
                 None if report.images_ok is None else int(report.images_ok), report.screen_w, report.screen_h,
                 report.view_w, report.view_h, report.dpr, report.views),
            )  # fmt: skip
            done = pos + 1 == p["n_trials"]
            con.execute(
                "UPDATE participants SET next_pos = ?, completed_at = ?, completion_code = ? WHERE pid = ?",
                (pos + 1, now if done else None, _completion_code() if done else None, pid),
            )
        return "recorded"

    def stats(self) -> dict:
        """Live counts for the admin page."""
        con = self._conn()
        one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
        return {
            "study_id": self.spec.study_id,
            "design": self.spec.design,
            "participants": one("SELECT COUNT(*) FROM participants"),
            "max_participants": self.spec.max_participants,
            "completed": one("SELECT COUNT(*) FROM participants WHERE completed_at IS NOT NULL"),
            "votes": one("SELECT COUNT(*) FROM votes"),
            "gold_votes": one("SELECT COUNT(*) FROM votes WHERE kind = 'gold'"),
            "votes_per_method": {
                **dict.fromkeys(self.spec.methods, 0),
                **dict(con.execute("SELECT method, COUNT(*) FROM votes WHERE kind = 'main' GROUP BY method")),
            },
        }

    def vote_rows(self) -> list[sqlite3.Row]:
        """All votes joined with their participant and trial, oldest first."""
        return (
            self._conn()
            .execute(
                "SELECT v.*, p.label, p.external_id, p.platform, p.platform_study, p.platform_session,"
                " p.completed_at IS NOT NULL AS completed, t.repeat_of FROM votes v"
                " JOIN participants p ON p.pid = v.pid JOIN trials t ON t.pid = v.pid AND t.pos = v.pos"
                " ORDER BY v.vote_id"
            )
            .fetchall()
        )

    def option_paths(self) -> dict[tuple[str, int], list[str]]:
        """(pid, pos) -> study-relative image paths of the options in display order."""
        out: dict[tuple[str, int], list[str]] = {}
        for r in self._conn().execute(
            "SELECT pid, pos, path FROM options WHERE slot > 0 AND method != ? ORDER BY pid, pos, slot",
            (TIE,),
        ):
            out.setdefault((r[0], r[1]), []).append(r[2])
        return out


def _completion_code() -> str:
    raw = secrets.token_hex(4).upper()
    return f"PASD-{raw[:4]}-{raw[4:]}"


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): takes the write lock up front."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type, exc, tb) -> None:
        self.con.execute("ROLLBACK" if exc_type else "COMMIT")
