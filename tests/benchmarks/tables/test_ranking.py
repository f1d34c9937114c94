"""Best/second marks for up and down metrics, ties, missing cells and printed precision."""

from __future__ import annotations

import pytest

from benchmarks.tables.ranking import rank_marks


@pytest.mark.parametrize(
    ("values", "up", "expected"),
    [
        ([1.0, 3.0, 2.0], True, [None, "best", "second"]),
        ([1.0, 3.0, 2.0], False, ["best", None, "second"]),
        # ties share a mark; second is the next distinct value (dense ranking)
        ([3.0, 3.0, 2.0, 1.0], True, ["best", "best", "second", None]),
        ([1.0, 2.0, 2.0, 3.0], False, ["best", "second", "second", None]),
        # missing cells take no part
        ([None, 0.2, None, 0.1], False, [None, "second", None, "best"]),
        ([None, None], True, [None, None]),
        ([5.0], True, ["best"]),
        ([5.0, 5.0], False, ["best", "best"]),  # one distinct value: no second
    ],
    ids=["up", "down", "tie-best", "tie-second", "missing", "all-missing", "single", "all-tied"],
)
def test_rank_marks(values, up, expected):
    assert rank_marks(values, up) == expected


def test_compares_printed_precision():
    # 0.41234 and 0.41231 both print as 0.4123: same mark, as a reader would expect
    assert rank_marks([0.41234, 0.41231, 0.5], False) == ["best", "best", "second"]
    assert rank_marks([0.41234, 0.41231, 0.5], False, decimals=None) == ["second", "best", None]


def test_non_finite_rejected():
    with pytest.raises(ValueError, match="use None"):
        rank_marks([1.0, float("nan")], True)


def test_unknown_direction_marks_nothing():
    assert rank_marks([1.0, 2.0, None], None) == [None, None, None]
