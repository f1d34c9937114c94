"""Every table names the protocol card its cells were scored under, and warns when cards are mixed."""

from __future__ import annotations

from benchmarks.protocols import get_card
from benchmarks.tables.protocol_notes import protocol_notes


def _cfg(name, overrides=None):
    return {"protocol_card": get_card(name, overrides).as_dict()}


def test_one_card_is_named_in_every_table():
    for table in (1, 2, 3):
        notes = protocol_notes([_cfg("pasd"), _cfg("pasd")], table)
        assert notes[0] == (
            "Evaluation protocol: `pasd`, PASD paper (Tables 1-3). `pasd-bench protocols show NAME` lists its settings."
        )


def test_overrides_are_spelled_out_and_mixed_cards_are_flagged_as_not_comparable():
    (note,) = protocol_notes([_cfg("pasd", {"psnr.crop_border": 0})], 1)
    assert "`pasd+custom`, PASD paper (Tables 1-3) (customised), with psnr.crop_border = 0." in note
    (mixed,) = protocol_notes([_cfg("pasd"), _cfg("basicsr")], 1)
    assert "`pasd`" in mixed and "`basicsr`" in mixed and "not comparable" in mixed
    (mixed,) = protocol_notes([_cfg("pasd"), _cfg("pasd", {"psnr.crop_border": 0})], 3)
    assert "not comparable" in mixed


def test_runs_recorded_before_cards_add_no_protocol_note():
    assert protocol_notes([{"preset": "old"}], 1) == []
