"""One accessor for what a results store recorded about a run, tolerant of older and newer records.

Run records grow (weights as paths today, sha256/revisions later; resolved options; exit
states). Drift code reads them only through :func:`read_run`, which normalises every version
it knows and leaves unknown fields alone, so a new field never breaks a golden check and an
old results folder still reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class RunRecord:
    """A run as drift checks see it.

    Attributes:
        run_id: the store's id.
        preset: preset name.
        created_at: ISO timestamp (UTC).
        git_revision: code revision, if recorded.
        config: the resolved preset config as stored.
        env: :func:`benchmarks.env.collect_env` output stored with the run.
        weights: artifact -> identity (``sha256``, ``revision`` and/or ``path`` keys).
        protocol: the protocol card (``ProtocolCard.as_dict()``), or ``None`` if the run
            predates protocol recording.
        device: the device the run was started with, if recorded.
        extra: other top-level record fields, passed through untouched.
    """

    run_id: int
    preset: str
    created_at: str
    git_revision: str | None
    config: dict[str, Any]
    env: dict[str, Any]
    weights: dict[str, dict[str, str]]
    protocol: dict[str, Any] | None
    device: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def protocol_name(self) -> str | None:
        return None if self.protocol is None else self.protocol.get("name")

    @property
    def protocol_settings(self) -> dict[str, Any]:
        return dict((self.protocol or {}).get("settings", {}))

    @property
    def packages(self) -> dict[str, str | None]:
        return dict(self.env.get("packages", {}))


def weight_identity(value: Any) -> dict[str, str]:
    """Normalise one recorded weights entry: a sha256 string, a path string, or a dict.

    Examples:
        >>> weight_identity("a" * 64)
        {'sha256': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}
        >>> weight_identity("/cache/alex.pth")
        {'path': '/cache/alex.pth'}
    """
    if isinstance(value, dict):
        return {k: str(v) for k, v in value.items() if k in ("sha256", "revision", "path", "size") and v}
    text = str(value)
    return {"sha256": text} if _SHA256.match(text) else {"path": text}


def _protocol(config: dict[str, Any]) -> dict[str, Any] | None:
    card = config.get("protocol_card")
    if isinstance(card, dict) and "settings" in card:
        return card
    name = config.get("protocol")
    if isinstance(name, str):
        # a record that names its card but does not embed it: the shipped card of that name
        from benchmarks.protocols import get_card

        try:
            out = get_card(name).as_dict()
        except (KeyError, ValueError, FileNotFoundError):
            return {"name": name, "settings": {}, "origin": "named in the run record; card not found"}
        out["origin"] = f"named in the run record; settings from the shipped card ({out['origin']})"
        return out
    return None


def read_run(store, run_id: int) -> RunRecord:
    """The :class:`RunRecord` of ``run_id`` in an open :class:`~benchmarks.results.ResultsStore`.

    Raises:
        KeyError: unknown ``run_id``.
    """
    info = store.run(run_id)
    config = dict(info.get("config") or {})
    weights_raw = info.get("weights") or {}
    weights = (
        {str(k): weight_identity(v) for k, v in weights_raw.items()} if isinstance(weights_raw, dict) else {}
    )
    known = {"run_id", "preset", "created_at", "git_revision", "config", "env", "weights"}
    return RunRecord(
        run_id=int(info["run_id"]),
        preset=str(info.get("preset", "")),
        created_at=str(info.get("created_at", "")),
        git_revision=info.get("git_revision"),
        config=config,
        env=dict(info.get("env") or {}),
        weights=weights,
        protocol=_protocol(config),
        device=config.get("device") or info.get("device"),
        extra={k: v for k, v in info.items() if k not in known},
    )
