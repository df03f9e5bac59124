"""CSV that a spreadsheet opens as data, never as formulas (CSV or formula injection).

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as
a formula: ``=HYPERLINK(...)`` sends data away when clicked, ``+cmd|' /C calc'!A0`` ran programs
through DDE. A leading tab or carriage return can hide such a start. A platform name, a handle
or a summary in a report is written by a stranger, so every CSV file tipnet writes goes through
:func:`writer`, which follows OWASP's guidance on CSV injection:

- a text cell that starts with ``= + - @``, a tab or a carriage return (also after leading
  spaces, which some importers trim) is prefixed with a single quote ``'``, which spreadsheets
  read as "this is text";
- every text cell is quoted, so a spreadsheet that splits on ``;`` (the default in much of
  Europe) cannot cut ``x;=1+1`` into a formula cell either.

Decisions, for the next engineer:

- *Every* such text cell is escaped, E.164 phone numbers (``+34612345678``) included. A ``+``
  followed by digits is harmless as a formula, but Excel would turn it into the number
  34612345678 and lose the ``+`` and leading zeros anyway; ``'+34612345678`` stays the text it
  is. A program reading the file can drop the quote with :func:`unescape`.
- Numbers (``int``, ``float``) are written unquoted, as numbers: a number cannot carry a formula.
- Only CSV is escaped. Parquet, JSON, JSONL, GraphML, GEXF and STIX keep every value exactly:
  programs read them, not spreadsheets, and a changed value there would be a corruption.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def cell(value: object) -> object:
    """The value as a spreadsheet should see it: text that could start a formula gets a
    leading quote; numbers, ``None`` and harmless text are returned unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def unescape(value: str) -> str:
    """The inverse of :func:`cell` for text: the original of an escaped cell."""
    if value.startswith(QUOTE) and value[1:].lstrip(" ").startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeWriter:
    """A ``csv.writer`` whose every cell went through :func:`cell`."""

    def __init__(self, handle: IO[str], **fmtparams: Any) -> None:
        fmtparams.setdefault("quoting", csv.QUOTE_NONNUMERIC)
        self._writer = csv.writer(handle, **fmtparams)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: IO[str], **fmtparams: Any) -> SafeWriter:
    """The one way tipnet writes CSV: like ``csv.writer(handle, **fmtparams)``, with formulas
    neutralised and text quoted."""
    return SafeWriter(handle, **fmtparams)
