"""The key rotation registry lists every column stored under the node's key: a new ``*_enc``
column, ``Bytes`` column or blind index (``*_index``, ``*_digest``) that is not registered (or
explicitly exempted with its reason) fails here, before a rotation could leave it behind."""

from __future__ import annotations

from sqlalchemy import Text

from tipnet.db import Bytes
from tipnet.keyrotation.registry import NOT_KEYED, TABLES
from tipnet.models import metadata

NOT_ROTATED_TABLES = {"audit_events", "audit_head"}  # append-only; anchored by the rotation


def test_every_keyed_column_of_the_models_is_registered() -> None:
    registered = {
        f"{spec.name}.{column}"
        for spec in TABLES
        for column in [s.column for s in spec.sealed] + [d.column for d in spec.derived]
    }
    looks_keyed = {
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        if table.name not in NOT_ROTATED_TABLES
        for column in table.columns
        if column.name.endswith(("_enc", "_index", "_digest")) or isinstance(column.type, Bytes)
    }
    assert looks_keyed - registered - set(NOT_KEYED) == set()


def test_every_registered_column_exists_and_sealed_ones_are_bytes() -> None:
    for spec in TABLES:
        table = metadata.tables[spec.name]
        names = [s.column for s in spec.sealed] + [d.column for d in spec.derived]
        for name in (*names, *spec.key, *spec.reads, spec.page):
            assert name in table.columns, f"{spec.name}.{name}"
        for sealed in spec.sealed:
            assert isinstance(table.columns[sealed.column].type, Bytes), sealed.column
    for name in NOT_KEYED:
        table_name, column = name.split(".")
        assert column in metadata.tables[table_name].columns, name


def test_json_holding_blind_indexes_is_registered() -> None:
    # networks.edges names selectors by blind index inside JSON text: no naming rule finds it
    derived = {(spec.name, d.column) for spec in TABLES for d in spec.derived}
    assert ("networks", "edges") in derived
    assert isinstance(metadata.tables["networks"].columns["edges"].type, Text)
