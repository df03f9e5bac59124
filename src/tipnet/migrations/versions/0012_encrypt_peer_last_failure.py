"""the reason of a peer's last failure encrypted at rest

``federation_peers.last_failure`` kept in clear the outcome and reason of the last failed call
to a peer, which may quote the peer's own error text, and a peer can build that from the fields
of our request. It moves to ``last_failure_enc``, sealed with the node's Keyring under the
context the application reads it with.

As in 0010, ``tipnet db upgrade`` hands its Keyring over (``config.attributes["keyring"]``);
existing rows are encrypted and the plaintext column dropped in one transaction, then
``tipnet.migrate`` rewrites the freed pages. Without a key the migration runs only on a database
with no failure recorded, and otherwise refuses before any change.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from tipnet.crypto import Keyring
from tipnet.db import Bytes

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "federation_peers"
PLAIN, ENCRYPTED = "last_failure", "last_failure_enc"
CONTEXT = "federation.peer.last_failure"  # as tipnet.federation.health.FAILURE_CONTEXT
BATCH = 1_000
KEY_MISSING = (
    "migration 0012 encrypts the reasons of peers' last failures at rest and needs the node's "
    "key: run `tipnet db upgrade` with TIPNET_SECRET_KEY set (the same key the node runs with)"
)


def upgrade() -> None:
    keyring = _keyring_if_needed(PLAIN)
    _swap(keyring, source=PLAIN, target=ENCRYPTED)
    # Added to what earlier migrations of the same run asked for (0007 and 0010 name theirs).
    scrub = context.config.attributes.get("scrub_tables", ())
    context.config.attributes["scrub_tables"] = tuple(dict.fromkeys((*scrub, TABLE)))


def downgrade() -> None:
    keyring = _keyring_if_needed(ENCRYPTED)
    _swap(keyring, source=ENCRYPTED, target=PLAIN)


def _swap(keyring: Keyring | None, *, source: str, target: str) -> None:
    """Add the target column, convert every row, drop the source column."""
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.add_column(sa.Column(target, _type(target), nullable=True))
    _convert(source, target, keyring)
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.drop_column(source)


def _type(name: str) -> sa.types.TypeEngine[Any]:
    return Bytes() if name == ENCRYPTED else sa.String(500)


def _keyring_if_needed(source: str) -> Keyring | None:
    """The Keyring handed over by ``tipnet db upgrade``; refuse before any change when rows
    need it and there is none."""
    keyring: Keyring | None = context.config.attributes.get("keyring")
    if keyring is not None:
        return keyring
    query = f"SELECT count(*) FROM {TABLE} WHERE {source} IS NOT NULL"
    if op.get_bind().scalar(sa.text(query)):
        raise RuntimeError(KEY_MISSING)
    return None


def _convert(source: str, target: str, keyring: Keyring | None) -> None:
    """Copy ``source`` into ``target`` row by row, encrypting (or decrypting), in batches
    walked by primary key so that memory stays flat on a large table."""
    bind = op.get_bind()
    rows = sa.table(TABLE, sa.column("id"), sa.column(source), sa.column(target))
    update = (
        sa.update(rows)
        .where(rows.c.id == sa.bindparam("row_id"))
        .values({target: sa.bindparam("value")})
    )
    last = 0  # ids are positive integers
    while True:
        query = sa.select(rows.c.id, rows.c[source]).where(
            rows.c[source].is_not(None), rows.c.id > last
        )
        batch = bind.execute(query.order_by(rows.c.id).limit(BATCH)).all()
        if not batch:
            return
        assert keyring is not None  # _keyring_if_needed refused when there are rows and no key
        changes = [
            {"row_id": row_id, "value": _sealed(keyring, value, source == PLAIN)}
            for row_id, value in batch
        ]
        bind.execute(update, changes)
        last = batch[-1][0]


def _sealed(keyring: Keyring, value: Any, encrypt: bool) -> Any:
    if encrypt:
        return keyring.encrypt(str(value), context=CONTEXT)
    return keyring.decrypt(bytes(value), context=CONTEXT)
