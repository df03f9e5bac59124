"""Writing many rows in few round trips, on SQLite and PostgreSQL.

On PostgreSQL a batch of rows travels as one array per column and is expanded by ``unnest`` in
a single statement; a parent table and its children go in one statement with data-modifying
CTEs, the children only for parents actually inserted. Very large batches use COPY. SQLite is
in-process, so plain ``executemany`` is already cheap there.

Values are written as given (no SQLAlchemy type processing): str, int, float, bool, bytes,
None, UUID and aware datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

Rows = Sequence[Mapping[str, Any]]
COPY_THRESHOLD = 20_000
_POSTGRESQL = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Children:
    """Rows of a child table, written only where ``foreign_key`` names an inserted parent."""

    table: Table
    rows: Rows
    foreign_key: str


def bulk_insert(
    session: Session,
    table: Table,
    rows: Rows,
    *,
    together_with: tuple[UpdateBase, Mapping[str, Any]] | None = None,
) -> None:
    """Insert rows. ``together_with`` is a statement with bound parameters (an UPDATE, say, and
    the values of its ``bindparam``s) to run in the same round trip on PostgreSQL, as a
    data-modifying CTE, and just before the insert elsewhere."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    if together_with is not None and not (postgres and rows):
        connection.execute(together_with[0], dict(together_with[1]))
        together_with = None
    if not rows:
        return
    if not postgres:
        connection.execute(insert(table), list(rows))
    elif len(rows) >= COPY_THRESHOLD and together_with is None:
        _copy(connection, table, rows)
    else:
        columns = list(rows[0])
        sql = f"INSERT INTO {_name(table)} ({_names(columns)}) {_unnest(table, columns, 'r')}"
        parameters: dict[str, Any] = _arrays(rows, columns, "r")
        if together_with is not None:
            statement, values = together_with
            together_sql, defaults = _compiled(statement)
            sql = f"WITH together AS ({together_sql}) {sql}"
            parameters |= defaults | dict(values)
        _driver_execute(connection, sql, parameters)


@lru_cache(maxsize=64)
def _compiled(statement: UpdateBase) -> tuple[str, dict[str, Any]]:
    # Compiling is slow next to the insert itself; callers keep their statement in a constant.
    compiled = statement.compile(dialect=_POSTGRESQL)
    return str(compiled), dict(compiled.params)


def insert_new(
    session: Session, table: Table, rows: Rows, key: str, children: Sequence[Children] = ()
) -> set[Any]:
    """Insert the rows that break no unique constraint (``ON CONFLICT DO NOTHING``) and the
    children of those rows; return the ``key`` values of the parents inserted."""
    if not rows:
        return set()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        statement = sqlite_insert(table).on_conflict_do_nothing().returning(table.c[key])
        inserted = set(connection.execute(statement, list(rows)).scalars().all())
        for child in children:
            kept = [row for row in child.rows if row[child.foreign_key] in inserted]
            bulk_insert(session, child.table, kept)
        return inserted
    columns = list(rows[0])
    parameters = _arrays(rows, columns, "p")
    parts = [
        f"parent AS (INSERT INTO {_name(table)} ({_names(columns)}) "
        f'{_unnest(table, columns, "p")} ON CONFLICT DO NOTHING RETURNING "{key}")'
    ]
    for number, child in enumerate(children):
        if not child.rows:
            continue
        prefix = f"c{number}_"
        child_columns = list(child.rows[0])
        parameters |= _arrays(child.rows, child_columns, prefix)
        parts.append(
            f"{prefix}cte AS (INSERT INTO {_name(child.table)} ({_names(child_columns)}) "
            f"SELECT * FROM ({_unnest(child.table, child_columns, prefix)}) AS source "
            f'WHERE source."{child.foreign_key}" IN (SELECT "{key}" FROM parent))'
        )
    sql = f'WITH {", ".join(parts)} SELECT "{key}" FROM parent'
    return {row[0] for row in _driver_execute(connection, sql, parameters)}


def _unnest(table: Table, columns: list[str], prefix: str) -> str:
    arrays = ", ".join(
        f"%({prefix}{index})b::{_pg_type(table, name)}[]" for index, name in enumerate(columns)
    )
    return f"SELECT * FROM unnest({arrays}) AS t({_names(columns)})"


def _arrays(rows: Rows, columns: list[str], prefix: str) -> dict[str, list[Any]]:
    return {f"{prefix}{index}": [row[name] for row in rows] for index, name in enumerate(columns)}


@lru_cache(maxsize=512)
def _pg_type(table: Table, column: str) -> str:
    compiled = table.c[column].type.compile(dialect=_POSTGRESQL)
    return compiled.split("(")[0]  # VARCHAR(200)[] -> VARCHAR[]: the column checks the length


def _names(columns: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


def _name(table: Table) -> str:
    return f'"{table.name}"'


def _driver_execute(connection: Connection, sql: str, parameters: dict[str, Any]) -> list[Any]:
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor:
        cursor.execute(sql, parameters, binary=True)
        return cursor.fetchall() if cursor.description else []


def _copy(connection: Connection, table: Table, rows: Rows) -> None:
    columns = list(rows[0])
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    with driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {_name(table)} ({_names(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
