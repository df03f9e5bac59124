"""audit chain anchored: a keyed MAC on each event and on the head, signed checkpoints

Rows already written keep a NULL MAC: the key lives in TIPNET_SECRET_KEY, not in the database,
so a migration cannot compute it; `tipnet audit verify` counts them as unanchored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tipnet.db import Bytes, UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("mac", sa.String(length=64), nullable=True))
    op.add_column("audit_head", sa.Column("mac", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("node_id", sa.String(length=128), nullable=False),
        sa.Column("signature", Bytes(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    _append_only("audit_checkpoints")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints")
    op.drop_table("audit_checkpoints")  # SQLite drops the table's triggers with it
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("mac")
    _drop_column_of_guarded_events()


def _append_only(table: str) -> None:
    """The same guard as the events have (0002): checkpoints are never edited or deleted."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tipnet_audit_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )


def _drop_column_of_guarded_events() -> None:
    # SQLite rebuilds the table to drop a column, which its UPDATE/DELETE triggers would refuse
    # to follow: take them off for the rebuild and put them back as 0002 made them.
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("audit_events", "mac")
        return
    op.execute("DROP TRIGGER audit_events_no_update")
    op.execute("DROP TRIGGER audit_events_no_delete")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_column("mac")
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
