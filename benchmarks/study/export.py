"""One record per vote, HPDv2-like (image paths in display order + a one-hot preference), as CSV or JSON."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json

from benchmarks.study.spec import GOLD_CLEAN
from benchmarks.study.store import VoteStore

#: export columns, in order; list-valued fields are '|'-joined in CSV and lists in JSON
COLUMNS = [
    "study_id", "vote_id", "participant", "external_id", "completed", "trial_pos", "trial_id", "kind",
    "image", "n_options", "display_order", "image_paths", "human_preference", "chosen_method",
    "chosen_position", "gold_passed", "rt_server_ms", "rt_client_ms", "voted_at",
]  # fmt: skip
LIST_COLUMNS = ("display_order", "image_paths", "human_preference")


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
        gold = r["kind"] == "gold"
        out.append(
            {
                "study_id": spec.study_id,
                "vote_id": r["vote_id"],
                "participant": r["label"],
                "external_id": r["external_id"] or "",
                "completed": bool(r["completed"]),
                "trial_pos": r["pos"],
                "trial_id": r["trial_id"],
                "kind": r["kind"],
                "image": names.get(r["trial_id"], r["trial_id"]),
                "n_options": r["n_options"],
                "display_order": order,
                "image_paths": paths.get((r["pid"], r["pos"]), []),
                "human_preference": [int(i + 1 == r["position"]) for i in range(len(order))],
                "chosen_method": r["method"],
                "chosen_position": r["position"],
                "gold_passed": (r["method"] == GOLD_CLEAN) if gold else None,
                "rt_server_ms": round(r["rt_server_ms"], 1) if r["rt_server_ms"] is not None else None,
                "rt_client_ms": r["rt_client_ms"],
                "voted_at": _dt.datetime.fromtimestamp(r["created_at"], _dt.timezone.utc).isoformat(),
            }
        )
    return out


def to_csv(records: list[dict]) -> str:
    """Records as CSV text (header always present, list fields '|'-joined)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rec in records:
        row = dict(rec)
        for col in LIST_COLUMNS:
            row[col] = "|".join(str(v) for v in rec[col])
        row["gold_passed"] = "" if rec["gold_passed"] is None else int(rec["gold_passed"])
        row["completed"] = int(rec["completed"])
        writer.writerow(row)
    return buf.getvalue()


def to_json(records: list[dict]) -> str:
    """Records as a JSON array."""
    return json.dumps(records, indent=1)
