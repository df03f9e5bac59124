"""free text and selector details encrypted at rest; report status history with reasons

Case titles, closure and status reasons, the organisation a case was referred to, hub-override
reasons, the parameters and summary of linking runs (which name hub selectors) and the detail of
each identifier (a URL's host) were stored in clear. Each moves to an ``*_enc`` column sealed with
the node's Keyring (AES-256-GCM, a context per column, as the application writes them).

The key is not in the database: ``tipnet db upgrade`` hands its Keyring to this migration
(``config.attributes["keyring"]``), which encrypts the existing rows and drops the plaintext
columns in the same transaction, so a failure leaves the database as it was. Without a key the
migration runs only on a database with nothing to convert, and otherwise refuses.
``tipnet.migrate`` then rewrites the freed pages (SQLite VACUUM, PostgreSQL VACUUM FULL) so
the old plaintext does not linger on disk.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import context, op

from tipnet.crypto import Keyring
from tipnet.db import Bytes, UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000
KEY_MISSING = (
    "migration 0007 encrypts existing free text at rest and needs the node's key: run "
    "`tipnet db upgrade` with TIPNET_SECRET_KEY set (the same key the node runs with)"
)


class Column(NamedTuple):
    """One plaintext column and the encrypted column that replaces it. (A NamedTuple: Alembic
    loads this file outside ``sys.modules``, where a dataclass cannot be built.)"""

    table: str
    plain: str
    plain_type: sa.types.TypeEngine[Any]
    encrypted: str
    context: str  # the Keyring context the application reads it with
    nullable: bool
    empty: str | None = None  # a plaintext value that means "nothing" and becomes NULL


COLUMNS = (
    Column("identifiers", "detail", sa.String(1000), "detail_enc", "identifier.detail", True, "{}"),
    Column("link_runs", "parameters", sa.Text(), "parameters_enc", "link.run.parameters", False),
    Column("link_runs", "summary", sa.Text(), "summary_enc", "link.run.summary", False),
    Column("cases", "title", sa.String(200), "title_enc", "case.title", False),
    Column("cases", "closure_reason", sa.Text(), "closure_reason_enc", "case.closure_reason", True),
    Column(
        "cases",
        "referred_organisation",
        sa.String(200),
        "referred_organisation_enc",
        "case.referred_organisation",
        True,
    ),
    Column("case_status_changes", "reason", sa.Text(), "reason_enc", "case.status.reason", True),
    Column(
        "link_signal_overrides", "reason", sa.Text(), "reason_enc", "link.override.reason", False
    ),
)
TABLES = tuple(dict.fromkeys(column.table for column in COLUMNS))


def upgrade() -> None:
    keyring = _keyring_if_needed([(column.table, column.plain) for column in COLUMNS])
    _create_status_history()
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in _of(table):
                batch_op.add_column(sa.Column(column.encrypted, Bytes(), nullable=True))
    for column in COLUMNS:
        _convert(column, column.plain, column.encrypted, keyring, encrypt=True)
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in _of(table):
                batch_op.drop_column(column.plain)
                if not column.nullable:
                    batch_op.alter_column(column.encrypted, existing_type=Bytes(), nullable=False)
    context.config.attributes["scrub_tables"] = TABLES


def downgrade() -> None:
    bind = op.get_bind()
    if bind.scalar(sa.text("SELECT count(*) FROM report_status_changes")):
        raise RuntimeError(
            "report_status_changes holds status history that revision 0006 has no place for; "
            "refusing to downgrade and lose it"
        )
    keyring = _keyring_if_needed([(column.table, column.encrypted) for column in COLUMNS])
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in _of(table):
                batch_op.add_column(sa.Column(column.plain, column.plain_type, nullable=True))
    for column in COLUMNS:
        _convert(column, column.encrypted, column.plain, keyring, encrypt=False)
        if column.empty is not None:
            op.execute(
                sa.text(
                    f"UPDATE {column.table} SET {column.plain} = :empty "
                    f"WHERE {column.plain} IS NULL"
                ).bindparams(empty=column.empty)
            )
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in _of(table):
                batch_op.drop_column(column.encrypted)
                if not column.nullable or column.empty is not None:
                    batch_op.alter_column(
                        column.plain, existing_type=column.plain_type, nullable=False
                    )
    op.drop_index(op.f("ix_report_status_changes_report_id"), table_name="report_status_changes")
    op.drop_table("report_status_changes")


def _create_status_history() -> None:
    op.create_table(
        "report_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason_enc", Bytes(), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_status_changes_report_id_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_status_changes")),
    )
    op.create_index(
        op.f("ix_report_status_changes_report_id"),
        "report_status_changes",
        ["report_id"],
        unique=False,
    )


def _keyring_if_needed(columns: Sequence[tuple[str, str]]) -> Keyring | None:
    """The Keyring handed over by ``tipnet db upgrade``; refuse before any change when rows
    need it and there is none."""
    keyring: Keyring | None = context.config.attributes.get("keyring")
    if keyring is not None:
        return keyring
    bind = op.get_bind()
    for table, name in columns:
        if bind.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {name} IS NOT NULL")):
            raise RuntimeError(KEY_MISSING)
    return None


def _of(table: str) -> list[Column]:
    return [column for column in COLUMNS if column.table == table]


def _convert(
    column: Column, source: str, target: str, keyring: Keyring | None, *, encrypt: bool
) -> None:
    """Copy ``source`` into ``target`` row by row, encrypting (or decrypting), in batches
    walked by primary key so that memory stays flat on a large table."""
    bind = op.get_bind()
    rows = sa.table(column.table, sa.column("id"), sa.column(source), sa.column(target))
    update = (
        sa.update(rows)
        .where(rows.c.id == sa.bindparam("row_id"))
        .values({target: sa.bindparam("value")})
    )
    last: Any = None
    while True:
        query = sa.select(rows.c.id, rows.c[source]).where(rows.c[source].is_not(None))
        if last is not None:
            query = query.where(rows.c.id > last)
        batch = bind.execute(query.order_by(rows.c.id).limit(BATCH)).all()
        if not batch:
            return
        assert keyring is not None  # _keyring_if_needed refused when there are rows and no key
        changes = [
            {"row_id": row_id, "value": _sealed(column, keyring, value, encrypt)}
            for row_id, value in batch
        ]
        bind.execute(update, changes)
        last = batch[-1][0]


def _sealed(column: Column, keyring: Keyring, value: Any, encrypt: bool) -> Any:
    if encrypt:
        if column.empty is not None and value == column.empty:
            return None
        return keyring.encrypt(str(value), context=column.context)
    return keyring.decrypt(bytes(value), context=column.context)
