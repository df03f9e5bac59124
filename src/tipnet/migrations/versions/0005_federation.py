"""federation: node identity, peers and agreements, distributions and the published feed,
copies of peers' feeds, replay and rate-limit state, cooperation requests, outbox and inbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:15:37
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tipnet.db import Bytes, UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables in creation order (each one only refers to tables before it); dropped in reverse.
TABLES = (
    "federation_node",
    "federation_nonces",
    "federation_peers",
    "federation_sequence",
    "federation_inbox",
    "federation_outbox",
    "federation_peer_entries",
    "federation_rate_usage",
    "federation_cooperation_requests",
    "federation_distributions",
    "federation_distribution_peers",
    "federation_shared",
)


def upgrade() -> None:
    op.create_table(
        "federation_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("signing_key_enc", Bytes(), nullable=False),
        sa.Column("oprf_seed_enc", Bytes(), nullable=False),
        sa.Column("pprl_secret_enc", Bytes(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_node")),
    )
    op.create_table(
        "federation_nonces",
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("keep_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "nonce", name=op.f("pk_federation_nonces")),
    )
    with op.batch_alter_table("federation_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_nonces_keep_until"), ["keep_until"], unique=False
        )

    op.create_table(
        "federation_peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("public_key", Bytes(), nullable=False),
        sa.Column("descriptor", sa.Text(), nullable=False),
        sa.Column("kinds", sa.String(length=200), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=False),
        sa.Column("image_lists", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "feed_cursor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("feed_epoch", sa.String(length=64), nullable=True),
        sa.Column("synced_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_peers")),
        sa.UniqueConstraint("key_id", name=op.f("uq_federation_peers_key_id")),
    )
    op.create_table(
        "federation_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_sequence")),
    )
    op.create_table(
        "federation_inbox",
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_inbox_peer_id_federation_peers"),
        ),
        sa.PrimaryKeyConstraint("peer_id", "message_id", name=op.f("pk_federation_inbox")),
    )
    op.create_table(
        "federation_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("payload_enc", Bytes(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_outbox_peer_id_federation_peers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_federation_outbox_message_id")),
    )
    with op.batch_alter_table("federation_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_federation_outbox_due", ["delivered_at", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_federation_outbox_peer_id"), ["peer_id"], unique=False)

    op.create_table(
        "federation_peer_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", Bytes(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_peer_entries_peer_id_federation_peers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_peer_entries")),
        sa.UniqueConstraint(
            "peer_id", "reference", name=op.f("uq_federation_peer_entries_peer_id_reference")
        ),
    )
    with op.batch_alter_table("federation_peer_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_federation_peer_entries_value", ["peer_id", "value"], unique=False
        )

    op.create_table(
        "federation_rate_usage",
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("elements", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_rate_usage_peer_id_federation_peers"),
        ),
        sa.PrimaryKeyConstraint("peer_id", "window_start", name=op.f("pk_federation_rate_usage")),
    )
    op.create_table(
        "federation_cooperation_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("purpose_enc", Bytes(), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("released_fields", sa.String(length=200), nullable=True),
        sa.Column("release_enc", Bytes(), nullable=True),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_cooperation_requests_peer_id_federation_peers"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_federation_cooperation_requests_report_id_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_cooperation_requests")),
        sa.UniqueConstraint(
            "direction",
            "peer_id",
            "request_id",
            name=op.f("uq_federation_cooperation_requests_direction_peer_id_request_id"),
        ),
    )
    with op.batch_alter_table("federation_cooperation_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_cooperation_requests_peer_id"), ["peer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_federation_cooperation_requests_status"), ["status"], unique=False
        )

    op.create_table(
        "federation_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("hash_list", sa.String(length=200), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_federation_distributions_report_id_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_distributions")),
    )
    with op.batch_alter_table("federation_distributions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_federation_distributions_hash_list"), ["hash_list"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_federation_distributions_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "federation_distribution_peers",
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["federation_distributions.id"],
            name=op.f("fk_federation_distribution_peers_distribution_id_federation_distributions"),
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["federation_peers.id"],
            name=op.f("fk_federation_distribution_peers_peer_id_federation_peers"),
        ),
        sa.PrimaryKeyConstraint(
            "distribution_id", "peer_id", name=op.f("pk_federation_distribution_peers")
        ),
    )
    op.create_table(
        "federation_shared",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", Bytes(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "added_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "removed_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["federation_distributions.id"],
            name=op.f("fk_federation_shared_distribution_id_federation_distributions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federation_shared")),
        sa.UniqueConstraint("reference", name=op.f("uq_federation_shared_reference")),
    )
    with op.batch_alter_table("federation_shared", schema=None) as batch_op:
        batch_op.create_index("ix_federation_shared_added", ["added_seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_federation_shared_distribution_id"), ["distribution_id"], unique=False
        )
        batch_op.create_index("ix_federation_shared_removed", ["removed_seq"], unique=False)

    op.execute("INSERT INTO federation_sequence (id, value) VALUES (1, 0)")


def downgrade() -> None:
    # Dropping a table drops its indexes on both SQLite and PostgreSQL.
    for table in reversed(TABLES):
        op.drop_table(table)
