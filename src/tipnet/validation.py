"""Checks of hostile input shared by every domain: times that cannot overflow, JSON that
cannot exhaust the stack.

Both exist because Python raises OverflowError and RecursionError for these, not ValueError,
so a schema or a reader that only expects ValueError turns them into a crash (a 500 in the
API, a dead import in the CLI) instead of a refusal the sender can act on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator

from tipnet.errors import InvalidInput

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted anywhere. Real report bodies nest about 4
deep; CPython's parser gives up near 1,000 and every recursive walk after it (pydantic, JCS
canonicalisation) has its own limit, so the line is drawn well before any of them."""

# a JSON string, escapes included, so that brackets inside strings are not counted
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENING = np.frombuffer(b"[{", dtype=np.uint8)


def _aware_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2026-05-01T14:30:00Z")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+14:00 is in year 0 in UTC, 9999-12-31T23:59:59-14:00 in 10000
        raise ValueError("this time is outside the years 1 to 9999 once converted to UTC") from None


AwareDatetime = Annotated[dt.datetime, AfterValidator(_aware_utc)]
"""A datetime with a time zone, converted to UTC; refused (422) without a zone or out of range."""


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON document nest (0 for a scalar).

    Linear and cheap: a document with few brackets is answered by counting them; otherwise
    strings are cut out and the running depth of the remaining brackets is summed in numpy.
    For text that is not valid JSON the answer is an upper bound, which is what a guard needs.
    """
    opening = data.count(b"[") + data.count(b"{")
    if opening <= MAX_JSON_DEPTH:
        return opening
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where(np.isin(codes, _OPENING), 1, -1)
    return int(np.cumsum(steps).max())


def check_json_depth(data: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a document nested deeper than ``max_depth`` before anything parses it."""
    if json_depth(data) > max_depth:
        raise InvalidInput(
            f"the JSON is nested more than {max_depth} levels deep; no tipnet document needs that"
        )


def loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for input from outside: too deep or malformed is an InvalidInput."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    check_json_depth(data, max_depth=max_depth)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"not valid JSON: {error}") from None
