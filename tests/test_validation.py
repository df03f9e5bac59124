"""Shared checks of hostile input: aware datetimes that cannot overflow, JSON depth."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from tipnet.errors import InvalidInput
from tipnet.validation import MAX_JSON_DEPTH, AwareDatetime, json_depth, loads


class _Timed(BaseModel):
    at: AwareDatetime


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+00:01"]
)
def test_a_time_outside_the_utc_range_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="outside the years 1 to 9999"):
        _Timed(at=value)


def test_times_at_the_edges_of_the_range_are_kept_in_utc() -> None:
    early = _Timed(at="0001-01-01T00:00:00-14:00").at
    late = _Timed(at="9999-12-31T23:59:59+14:00").at
    assert early == dt.datetime(1, 1, 1, 14, tzinfo=dt.UTC)
    assert late == dt.datetime(9999, 12, 31, 9, 59, 59, tzinfo=dt.UTC)
    assert late.tzinfo is dt.UTC


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="give a time zone"):
        _Timed(at="2026-05-01T14:30:00")


def _reference_depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_reference_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_reference_depth(item) for item in value.values()), default=0)
    return 0


_leaves = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u00e9,:')
_documents = st.recursive(
    _leaves, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=200
)


@given(_documents)
def test_depth_agrees_with_the_parsed_document(document: Any) -> None:
    text = json.dumps(document, ensure_ascii=False).encode()
    depth = _reference_depth(document)
    measured = json_depth(text)
    if measured > MAX_JSON_DEPTH or depth > MAX_JSON_DEPTH:
        assert measured == depth  # past the fast path the count is exact
    else:
        assert measured >= depth  # the fast path only needs an upper bound under the limit


def test_exact_depth_of_a_wide_and_deep_document() -> None:
    document: list[Any] = [{"a": "[[[[" * 50, "b": [[[1]]]}] * 40 + [[[[[[[]]]]]]]
    assert json_depth(json.dumps(document).encode()) == 7


def test_loads_refuses_too_deep_and_malformed_documents_with_reasons() -> None:
    assert loads('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    with pytest.raises(InvalidInput, match="nested more than 64 levels"):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InvalidInput, match="nested more than 64 levels"):
        loads('{"a":' * 65 + "1" + "}" * 65)
    with pytest.raises(InvalidInput, match="not valid JSON"):
        loads('{"a": ')
    assert loads('{"a":' * 64 + "1" + "}" * 64) is not None
