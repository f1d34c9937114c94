"""Footnotes saying how a table's numbers were made, read from the runs' recorded configs.

Every table names the evaluation protocol card its runs scored under (PSNR on Y or RGB, crop,
rounding, FID backend all move a number); cells of runs under different cards get a warning that
they are not comparable. Table 2's numbers depend on choices the paper leaves open: the FID/CLIP-FID reference set, the
personalized base model, ControlNet's control type. Each run records them (its preset's
``reference``, ``shared`` and method params), and the table says which were used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def protocol_notes(configs: Iterable[dict[str, Any]], table: int) -> list[str]:
    """The protocol card footnote, then one footnote per distinct Table 2 setting over the runs' ``config`` dicts.

    Example:
        >>> protocol_notes([{"reference": None, "shared": {"style_model": "toonyou"}, "methods": []}], 2)[0]
        'FID/CLIP-FID reference set: no reference set (FID and CLIP-FID are not computed).'
    """
    configs = list(configs)
    notes = card_notes(configs)
    if table != 2:
        return notes
    from benchmarks.runner.shared_settings import describe_reference

    refs, styles, controls = {}, {}, {}
    for cfg in configs:
        if not isinstance(cfg, dict) or "reference" not in cfg and "shared" not in cfg:
            continue  # runs recorded before these fields existed (or by other tools) say nothing here
        ref = cfg.get("reference")
        refs[describe_reference(ref)] = ref
        style = (cfg.get("shared") or {}).get("style_model")
        if style:
            styles[str(style)] = None
        for m in cfg.get("methods", []):
            if isinstance(m, dict) and m.get("name") == "controlnet":
                controls[str((m.get("params") or {}).get("control", "tile"))] = None
    for text, ref in refs.items():
        tail = " (FID and CLIP-FID are not computed)" if ref is None else ""
        notes.append(f"FID/CLIP-FID reference set: {text}{tail}.")
    if styles:
        notes.append(
            f"Personalized base model (style_model) of the diffusion rows and PASD: {', '.join(styles)}."
        )
    if controls:
        notes.append(f"ControlNet control type: {', '.join(controls)} (the paper does not name one).")
    return notes


def card_notes(configs: Iterable[dict[str, Any]]) -> list[str]:
    """``Evaluation protocol: `pasd` (...)`` for the cards of ``configs``; a warning when they differ."""
    cards: dict[str, None] = {}
    for cfg in configs:
        card = cfg.get("protocol_card") if isinstance(cfg, dict) else None
        if not isinstance(card, dict) or not card.get("name"):
            continue  # runs recorded before protocol cards say nothing here
        over = card.get("overrides") or {}
        text = f"`{card['name']}`" + (f", {card['title']}" if card.get("title") else "")
        if over:
            text += ", with " + ", ".join(f"{k} = {v!r}" for k, v in sorted(over.items()))
        cards[text] = None
    if not cards:
        return []
    if len(cards) == 1:
        return [
            f"Evaluation protocol: {next(iter(cards))}. `pasd-bench protocols show NAME` lists its settings."
        ]
    return [
        f"Evaluation protocols: {'; '.join(cards)}. These cells come from runs under different protocols "
        "and are not comparable with each other."
    ]
