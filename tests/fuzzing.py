"""What the property-based fuzz tests share: how many examples to run, and hostile text.

Each fuzz test keeps a small example budget so the set adds about a minute to the suite on a
2-core machine. ``TIPNET_FUZZ_EXAMPLES=10`` multiplies every budget by ten for a long run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ_ENV = "TIPNET_FUZZ_EXAMPLES"


def multiplier() -> int:
    raw = os.environ.get(FUZZ_ENV, "1")
    try:
        return max(1, int(raw))
    except ValueError:
        raise ValueError(f"{FUZZ_ENV} must be a whole number (a multiplier), not {raw!r}") from None


def fuzz_settings(examples: int) -> settings:
    """Settings of one fuzz test: ``examples`` (times the multiplier), no deadline (the machine
    is shared), and function-scoped fixtures allowed (the node is set up once per test)."""
    return settings(
        max_examples=examples * multiplier(),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,  # no example database in the checkout; failures print their input
    )


# Pieces attackers and broken exporters put in text: controls, NUL, surrogate-free odd
# code points, BOMs, right-to-left marks, look-alike digits, huge numbers, separators.
HOSTILE_PIECES = [
    "\x00",
    "\ufeff",
    "\u202e",
    "\u200b",
    "\r\n",
    "\n",
    "\t",
    '"',
    "'",
    ",",
    "|",
    "\\",
    "{",
    "[",
    "+",
    "@",
    ".",
    "..",
    "://",
    "0" * 40,
    "9" * 400,
    "1e999",
    "-0",
    "NaN",
    "Infinity",
    "٣٤٥",  # Arabic-Indic digits
    "３４５",  # fullwidth digits
    "𝟑𝟒𝟓",  # mathematical digits
    "six one two",
    "o",
    "l",
    "💀",
    "é",
    "ß",
    "İ",
    "\U0010ffff",
]

hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(max_size=12), max_size=12).map(
    "".join
)
"""Text built of hostile pieces and arbitrary Unicode."""

any_text = hostile_text | st.text(max_size=200)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**400)
    | st.floats(allow_nan=False)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
"""Arbitrary JSON values (what a peer or a file can send), huge integers included."""


def deep(depth: int, opening: str = "[", closing: str = "]") -> str:
    """A JSON document nested ``depth`` deep (``[[[...]]]``)."""
    return opening * depth + closing * depth


@st.composite
def mangled(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` damaged the ways files are damaged in transit: cut short, a byte flipped,
    NULs or bytes that are not UTF-8 inserted, a BOM in front, re-encoded, lines doubled."""
    data = original
    for _ in range(draw(st.integers(1, 3))):
        action = draw(
            st.sampled_from(
                ["truncate", "flip", "insert", "bom", "utf16", "latin1", "crlf", "double", "drop"]
            )
        )
        at = draw(st.integers(0, len(data)))
        if action == "truncate":
            data = data[:at]
        elif action == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif action == "insert":
            piece = draw(
                st.sampled_from([b"\x00", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b'"', b"\n", b","])
                | st.binary(max_size=8)
            )
            data = data[:at] + piece + data[at:]
        elif action == "bom":
            data = b"\xef\xbb\xbf" + data
        elif action == "utf16":
            data = data.decode("utf-8", "replace").encode("utf-16")
        elif action == "latin1":
            data = data.decode("utf-8", "replace").encode("latin-1", "replace")
        elif action == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif action == "double":
            lines = data.split(b"\n")
            if lines:
                index = draw(st.integers(0, len(lines) - 1))
                lines.insert(index, lines[index])
            data = b"\n".join(lines)
        elif action == "drop":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
    return data
