"""federation faults: per-peer timeout and health record; the node's key rotation statement

Each peer gets its own timeout (None: the node's default) and a health record (last success,
last failure and its reason, when the current run of failures began and how long it is), so
an operator sees at a glance that a peer has been unreachable, since when and why. The node
keeps the statement of its last key rotation (public: its new descriptor vouched for by the
retired key) to hand to peers again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tipnet.db import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0007"  # to become "0008" once that migration exists
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PEER_COLUMNS = (
    ("timeout_seconds", sa.Float()),
    ("last_success_at", UtcDateTime(timezone=True)),
    ("last_failure_at", UtcDateTime(timezone=True)),
    ("last_failure", sa.String(500)),
    ("failing_since", UtcDateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("federation_peers") as batch:
        for name, column_type in PEER_COLUMNS:
            batch.add_column(sa.Column(name, column_type, nullable=True))
        batch.add_column(
            sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("federation_node") as batch:
        batch.add_column(sa.Column("rotation_statement", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("federation_node") as batch:
        batch.drop_column("rotation_statement")
    with op.batch_alter_table("federation_peers") as batch:
        batch.drop_column("consecutive_failures")
        for name, _ in reversed(PEER_COLUMNS):
            batch.drop_column(name)
