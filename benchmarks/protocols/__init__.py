"""Evaluation protocols as data: named, cited cards of every setting that moves a score.

The shipped cards (``cards/*.toml``) are what the conventions users meet actually do: ``pasd``
(this paper), ``basicsr``, ``pyiqa-default``, ``stablesr``, ``osediff``. :func:`get_card` looks
one up by name (or reads a TOML file by path); presets name theirs with ``protocol = "..."``
and ``pasd-bench metrics --protocol NAME`` scores a folder pair under one.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.protocols.card import ProtocolCard, diff_settings, load_card_file
from benchmarks.protocols.schema import METRIC_SCOPES, SETTINGS, settings_for
from pasd.utils.registry import new_registry

CARD_DIR = Path(__file__).resolve().parent / "cards"
#: the card every run uses unless its preset names another (the paper's own)
DEFAULT_PROTOCOL = "pasd"

#: name -> ProtocolCard, filled from ``cards/*.toml`` at import
PROTOCOLS = new_registry("protocol")
for _path in sorted(CARD_DIR.glob("*.toml")):
    _card = load_card_file(_path)
    PROTOCOLS.register(_card.name, _card)


def get_card(name_or_path: str | Path, overrides: dict | None = None) -> ProtocolCard:
    """A shipped card by name, or a card file by path, with optional setting overrides.

    Raises:
        pasd.utils.registry.UnknownNameError: unknown name (close matches listed).
        FileNotFoundError / ValueError: a bad card file or override.
    """
    text = str(name_or_path)
    card = load_card_file(text) if text.endswith(".toml") else PROTOCOLS.get(text)
    return card.with_overrides(overrides or {})


def list_cards() -> list[ProtocolCard]:
    """Every shipped card, sorted by name."""
    return [card for _, card in PROTOCOLS.items()]


__all__ = [
    "CARD_DIR", "DEFAULT_PROTOCOL", "METRIC_SCOPES", "PROTOCOLS", "SETTINGS", "ProtocolCard",
    "diff_settings", "get_card", "list_cards", "load_card_file", "settings_for",
]  # fmt: skip
