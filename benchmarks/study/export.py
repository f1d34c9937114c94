"""Vote exports: one record per vote (HPDv2-like: image paths in display order + a one-hot
preference) and a long format with one row per option shown, as CSV or JSON.

The long format is what mixed-effects models want: ``chosen`` (0/1) or ``score`` per
(participant, image, method) row with ``choice_set`` grouping the options of one answer, e.g.
``glmer(chosen ~ method + (1 | participant) + (1 | image), family = binomial)`` for pairwise
trials, a conditional logit on ``choice_set`` for best-of-N, or ``lmer(rating ~ method +
(1 | participant) + (1 | image))`` for MOS.

CSV cells are neutralized against formula injection: a text cell starting with ``= + - @`` (or a
tab / carriage return) gets a leading apostrophe, so a spreadsheet shows it as text instead of
running it (OWASP "CSV Injection"). :func:`csv_unescape` undoes it when reading an export back.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json

from benchmarks.study.spec import GOLD_CLEAN, MOS_GOLD_MAX, TIE
from benchmarks.study.store import VoteStore

#: per-vote columns, in order; list-valued fields are '|'-joined in CSV and lists in JSON
COLUMNS = [
    "study_id", "design", "vote_id", "participant", "external_id", "platform", "platform_study",
    "platform_session", "completed", "trial_pos", "trial_id", "kind", "repeat_of", "image", "n_options",
    "display_order", "image_paths", "human_preference", "chosen_method", "chosen_position", "tie", "rating",
    "gold_passed", "rt_server_ms", "rt_client_ms", "images_ok", "screen_w", "screen_h", "view_w", "view_h",
    "dpr", "views", "voted_at",
]  # fmt: skip
LIST_COLUMNS = ("display_order", "image_paths", "human_preference")
#: long-format columns: one row per option shown in a trial
LONG_COLUMNS = [
    "study_id", "design", "vote_id", "choice_set", "participant", "platform", "completed", "trial_pos",
    "trial_id", "kind", "repeat_of", "image", "method", "position", "n_options", "chosen", "tie", "score",
    "rating", "rt_server_ms", "rt_client_ms", "screen_w", "screen_h", "dpr", "voted_at",
]  # fmt: skip
#: leading characters a spreadsheet treats as the start of a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """``value``, with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_unescape(value: str) -> str:
    """Undo :func:`csv_safe` on a cell read back from an export."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _gold_passed(design: str, method: str, rating: int | None) -> bool:
    if design == "mos":
        return rating is not None and rating <= MOS_GOLD_MAX  # a decoy alone: "poor" or "bad"
    return method == GOLD_CLEAN


def vote_records(store: VoteStore) -> list[dict]:
    """Every vote in ``store`` as a flat record (no secret participant ids: labels ``p0001`` ...).

    Args:
        store: an open study database.

    Returns:
        One dict per vote with the keys in :data:`COLUMNS`, oldest vote first.
    """
    spec = store.spec
    names = {im.id: im.name for im in spec.images}
    names.update({g.id: f"gold:{names.get(g.source_image, g.source_image)}" for g in spec.gold})
    paths = store.option_paths()
    out = []
    for r in store.vote_rows():
        order = json.loads(r["display_order"])
        tie = r["method"] == TIE
        out.append(
            {
                "study_id": spec.study_id,
                "design": spec.design,
                "vote_id": r["vote_id"],
                "participant": r["label"],
                "external_id": r["external_id"] or "",
                "platform": r["platform"] or "",
                "platform_study": r["platform_study"] or "",
                "platform_session": r["platform_session"] or "",
                "completed": bool(r["completed"]),
                "trial_pos": r["pos"],
                "trial_id": r["trial_id"],
                "kind": r["kind"],
                "repeat_of": r["repeat_of"],
                "image": names.get(r["trial_id"], r["trial_id"]),
                "n_options": r["n_options"],
                "display_order": order,
                "image_paths": paths.get((r["pid"], r["pos"]), []),
                "human_preference": [int(i + 1 == r["position"]) for i in range(len(order))],
                "chosen_method": r["method"],
                "chosen_position": None if tie else r["position"],
                "tie": tie,
                "rating": r["rating"],
                "gold_passed": _gold_passed(spec.design, r["method"], r["rating"])
                if r["kind"] == "gold"
                else None,
                "rt_server_ms": round(r["rt_server_ms"], 1) if r["rt_server_ms"] is not None else None,
                "rt_client_ms": r["rt_client_ms"],
                "images_ok": None if r["images_ok"] is None else bool(r["images_ok"]),
                "screen_w": r["screen_w"],
                "screen_h": r["screen_h"],
                "view_w": r["view_w"],
                "view_h": r["view_h"],
                "dpr": r["dpr"],
                "views": r["views"] or "",
                "voted_at": _dt.datetime.fromtimestamp(r["created_at"], _dt.timezone.utc).isoformat(),
            }
        )
    return out


def long_rows(records: list[dict]) -> list[dict]:
    """Per-vote records (:func:`vote_records`) in long format: one row per option shown."""
    out = []
    for rec in records:
        for k, method in enumerate(rec["display_order"]):
            chosen = int(not rec["tie"] and rec["chosen_position"] == k + 1)
            if rec["design"] == "mos":
                score: float | None = rec["rating"]
            elif rec["tie"]:
                score = 0.5
            else:
                score = float(chosen)
            out.append(
                {
                    **{c: rec[c] for c in ("study_id", "design", "vote_id", "participant", "platform", "completed",
                                           "trial_pos", "trial_id", "kind", "repeat_of", "image", "n_options",
                                           "rating", "rt_server_ms", "rt_client_ms", "screen_w", "screen_h", "dpr",
                                           "voted_at")},
                    "choice_set": f"{rec['participant']}:{rec['trial_pos']}",
                    "method": method,
                    "position": k + 1,
                    "chosen": chosen,
                    "tie": int(rec["tie"]),
                    "score": score,
                }
            )  # fmt: skip
    return out


def long_records(store: VoteStore) -> list[dict]:
    """Every option shown to every rater, one row each (see :data:`LONG_COLUMNS`)."""
    return long_rows(vote_records(store))


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if value is None:
        return ""
    return csv_safe(value)


def to_csv(records: list[dict], columns: list[str] | None = None) -> str:
    """Records as CSV text (header always present, list fields '|'-joined, formulas neutralized)."""
    columns = columns or COLUMNS
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for rec in records:
        row = {c: rec.get(c) for c in columns}
        for col in LIST_COLUMNS:
            if col in row and isinstance(row[col], list):
                row[col] = "|".join(str(v) for v in row[col])
        writer.writerow({c: _cell(v) for c, v in row.items()})
    return buf.getvalue()


def to_json(records: list[dict]) -> str:
    """Records as a JSON array."""
    return json.dumps(records, indent=1)
