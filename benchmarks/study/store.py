"""SQLite (WAL) storage of participants, their assigned trials and their votes.

Every vote is written in one ``BEGIN IMMEDIATE`` transaction that checks, in order: the
participant exists, the trial position is theirs, it was not answered already (a repeat of the
same choice is a no-op, a different choice is refused), it is the next unanswered trial, and the
option token belongs to that trial. ``UNIQUE(pid, pos)`` backs this up, so no vote is duplicated
even under concurrent requests.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.study.assign import make_assignment
from benchmarks.study.spec import StudySpec

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


class VoteRejected(Exception):
    """A vote the server refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TrialView:
    """What the trial page needs: opaque tokens only, never method names or paths."""

    pos: int
    n_trials: int
    reference: str
    options: list[str]


class VoteStore:
    """Thread-safe access to one study's ``votes.sqlite`` (one connection per thread).

    Args:
        path: the database file (created with its schema if absent).
        spec: the study whose participants this database holds.
    """

    def __init__(self, path: str | Path, spec: StudySpec) -> None:
        self.path = Path(path)
        self.spec = spec
        self._local = threading.local()
        con = self._conn()
        con.executescript(SCHEMA)
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

    def create_participant(self, external_id: str | None = None, user_agent: str | None = None) -> str:
        """Register a participant who gave consent, store their trial order, return their secret id."""
        pid = secrets.token_urlsafe(18)
        trials = make_assignment(self.spec, pid)
        con = self._conn()
        with _transaction(con):
            n = con.execute("SELECT COUNT(*) FROM participants").fetchone()[0]
            con.execute(
                "INSERT INTO participants (pid, label, external_id, user_agent, created_at, n_trials)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (pid, f"p{n + 1:04d}", external_id, (user_agent or "")[:300], time.time(), len(trials)),
            )
            for pos, t in enumerate(trials):
                con.execute("INSERT INTO trials VALUES (?, ?, ?, ?, NULL)", (pid, pos, t.trial_id, t.kind))
                rows = [(REFERENCE, t.lq)] + t.options
                con.executemany(
                    "INSERT INTO options VALUES (?, ?, ?, ?, ?, ?)",
                    [(secrets.token_urlsafe(9), pid, pos, slot, m, p) for slot, (m, p) in enumerate(rows)],
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
        toks = con.execute(
            "SELECT token FROM options WHERE pid = ? AND pos = ? ORDER BY slot", (pid, pos)
        ).fetchall()
        return TrialView(pos, p["n_trials"], toks[0][0], [r[0] for r in toks[1:]])

    def image_path(self, pid: str, token: str) -> str | None:
        """The study-relative path behind an image token, only if it belongs to ``pid``."""
        row = (
            self._conn()
            .execute("SELECT path FROM options WHERE token = ? AND pid = ?", (token, pid))
            .fetchone()
        )
        return None if row is None else row[0]

    def record_vote(self, pid: str, pos: int, token: str, client_ms: float | None = None) -> str:
        """Store a vote; return ``"recorded"`` or ``"duplicate"`` (same choice posted again).

        Raises:
            VoteRejected: unknown participant (401), forged trial/option (400), a different choice
                for an answered trial or a trial that is not the next one (409).
        """
        con = self._conn()
        with _transaction(con):
            p = con.execute("SELECT * FROM participants WHERE pid = ?", (pid,)).fetchone()
            if p is None:
                raise VoteRejected(401, "unknown participant; start from the consent page")
            if not 0 <= pos < p["n_trials"]:
                raise VoteRejected(400, f"trial {pos} does not exist")
            prev = con.execute("SELECT token FROM votes WHERE pid = ? AND pos = ?", (pid, pos)).fetchone()
            if prev is not None:
                if prev[0] == token:
                    return "duplicate"
                raise VoteRejected(409, f"trial {pos} was already answered")
            if pos != p["next_pos"]:
                raise VoteRejected(409, f"trial {pos} is not the current trial ({p['next_pos']})")
            opts = con.execute(
                "SELECT token, slot, method FROM options WHERE pid = ? AND pos = ? AND slot > 0 ORDER BY slot",
                (pid, pos),
            ).fetchall()
            chosen = [o for o in opts if o["token"] == token]
            if not chosen:
                raise VoteRejected(400, "that option is not part of this trial")
            trial = con.execute("SELECT * FROM trials WHERE pid = ? AND pos = ?", (pid, pos)).fetchone()
            if trial["shown_at"] is None:
                raise VoteRejected(409, f"trial {pos} was never shown")
            now = time.time()
            ok_ms = client_ms if client_ms is not None and 0 <= client_ms < 1e9 else None
            con.execute(
                "INSERT INTO votes (pid, pos, trial_id, kind, token, method, position, n_options, display_order,"
                " rt_server_ms, rt_client_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pid, pos, trial["trial_id"], trial["kind"], token, chosen[0]["method"], chosen[0]["slot"],
                 len(opts), json.dumps([o["method"] for o in opts]), 1000 * (now - trial["shown_at"]), ok_ms, now),
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
            "participants": one("SELECT COUNT(*) FROM participants"),
            "completed": one("SELECT COUNT(*) FROM participants WHERE completed_at IS NOT NULL"),
            "votes": one("SELECT COUNT(*) FROM votes"),
            "gold_votes": one("SELECT COUNT(*) FROM votes WHERE kind = 'gold'"),
            "gold_failures": one(
                "SELECT COUNT(*) FROM votes WHERE kind = 'gold' AND method != '__gold_clean__'"
            ),
            "votes_per_method": {
                **dict.fromkeys(self.spec.methods, 0),
                **dict(con.execute("SELECT method, COUNT(*) FROM votes WHERE kind = 'main' GROUP BY method")),
            },
        }

    def vote_rows(self) -> list[sqlite3.Row]:
        """All votes joined with their participant, oldest first."""
        return (
            self._conn()
            .execute(
                "SELECT v.*, p.label, p.external_id, p.completed_at IS NOT NULL AS completed FROM votes v"
                " JOIN participants p ON p.pid = v.pid ORDER BY v.vote_id"
            )
            .fetchall()
        )

    def option_paths(self) -> dict[tuple[str, int], list[str]]:
        """(pid, pos) -> study-relative image paths of the options in display order."""
        out: dict[tuple[str, int], list[str]] = {}
        for r in self._conn().execute(
            "SELECT pid, pos, path FROM options WHERE slot > 0 ORDER BY pid, pos, slot"
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
