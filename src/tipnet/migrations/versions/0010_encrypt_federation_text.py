"""federation free text and officers' usernames encrypted at rest

Cooperation requests kept their legal basis and decision reason (typed by investigators) and
the usernames of the officers who requested and decided them in clear; distributions kept the
username of who shared; the outbox kept peers' error answers, which may quote the request they
refuse. Each moves to an ``*_enc`` column sealed with the node's Keyring (AES-256-GCM, a
context per column, as the application writes them). Hash list names (operators' labels for
industry lists) stay in clear.

As in 0007, ``tipnet db upgrade`` hands its Keyring over (``config.attributes["keyring"]``);
existing rows are encrypted and the plaintext columns dropped in one transaction, then
``tipnet.migrate`` rewrites the freed pages. Without a key the migration runs only on a database
with nothing to convert, and otherwise refuses before any change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import context, op

from tipnet.crypto import Keyring
from tipnet.db import Bytes

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000
KEY_MISSING = (
    "migration 0010 encrypts existing federation free text at rest and needs the node's key: "
    "run `tipnet db upgrade` with TIPNET_SECRET_KEY set (the same key the node runs with)"
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


REQUESTS = "federation_cooperation_requests"
COLUMNS = (
    Column(
        REQUESTS,
        "legal_basis",
        sa.String(500),
        "legal_basis_enc",
        "federation.cooperation.legal_basis",
        False,
    ),
    Column(
        REQUESTS,
        "requested_by",
        sa.String(200),
        "requested_by_enc",
        "federation.cooperation.requested_by",
        False,
    ),
    Column(
        REQUESTS,
        "decided_by",
        sa.String(200),
        "decided_by_enc",
        "federation.cooperation.decided_by",
        True,
    ),
    Column(
        REQUESTS,
        "decision_reason",
        sa.Text(),
        "decision_reason_enc",
        "federation.cooperation.decision_reason",
        True,
    ),
    Column(
        "federation_distributions",
        "set_by",
        sa.String(200),
        "set_by_enc",
        "federation.distribution.set_by",
        False,
    ),
    Column(
        "federation_outbox",
        "last_error",
        sa.String(500),
        "last_error_enc",
        "federation.outbox.last_error",
        True,
    ),
)
TABLES = tuple(dict.fromkeys(column.table for column in COLUMNS))


def upgrade() -> None:
    keyring = _keyring_if_needed([(column.table, column.plain) for column in COLUMNS])
    _swap(keyring, source="plain", target="encrypted")
    # Added to what earlier migrations of the same run asked for (0007 names its tables).
    scrub = context.config.attributes.get("scrub_tables", ())
    context.config.attributes["scrub_tables"] = tuple(dict.fromkeys((*scrub, *TABLES)))


def downgrade() -> None:
    keyring = _keyring_if_needed([(column.table, column.encrypted) for column in COLUMNS])
    _swap(keyring, source="encrypted", target="plain")


def _swap(keyring: Keyring | None, *, source: str, target: str) -> None:
    """Add the target columns (nullable), convert every row, drop the source columns, then
    make the target columns NOT NULL where the source was."""
    encrypt = target == "encrypted"
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in _of(table):
                batch_op.add_column(sa.Column(getattr(column, target), _type(column, target)))
    for column in COLUMNS:
        _convert(column, getattr(column, source), getattr(column, target), keyring, encrypt)
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in _of(table):
                batch_op.drop_column(getattr(column, source))
                if not column.nullable:
                    batch_op.alter_column(
                        getattr(column, target),
                        existing_type=_type(column, target),
                        nullable=False,
                    )


def _type(column: Column, which: str) -> sa.types.TypeEngine[Any]:
    return Bytes() if which == "encrypted" else column.plain_type


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
    column: Column, source: str, target: str, keyring: Keyring | None, encrypt: bool
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
        return keyring.encrypt(str(value), context=column.context)
    return keyring.decrypt(bytes(value), context=column.context)
