"""link: networks found by linking, their items and selectors, hub overrides, case attachments

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tipnet.db import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables in creation order (each one only refers to tables before it); dropped in reverse.
TABLES = (
    "link_runs",
    "networks",
    "link_signal_overrides",
    "network_selectors",
    "case_networks",
    "network_items",
)


def upgrade() -> None:
    op.create_table(
        "link_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("networks", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_runs")),
    )
    op.create_table(
        "networks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.String(length=32), nullable=True),
        sa.Column("first_seen", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_seen", UtcDateTime(timezone=True), nullable=True),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("transnational", sa.Boolean(), nullable=False),
        sa.Column("countries", sa.String(length=400), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("edges", sa.Text(), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("selectors", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"], ["link_runs.id"], name=op.f("fk_networks_last_run_id_link_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
    )
    op.create_index(op.f("ix_networks_status"), "networks", ["status"], unique=False)
    op.create_index(op.f("ix_networks_transnational"), "networks", ["transnational"], unique=False)
    op.create_table(
        "link_signal_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value_index", sa.String(length=64), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_link_signal_overrides_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_signal_overrides")),
        sa.UniqueConstraint(
            "kind", "value_index", name=op.f("uq_link_signal_overrides_kind_value_index")
        ),
    )
    op.create_table(
        "network_selectors",
        sa.Column("network_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value_index", sa.String(length=64), nullable=False),
        sa.Column("value_enc", sa.LargeBinary(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_network_selectors_network_id_networks")
        ),
        sa.PrimaryKeyConstraint(
            "network_id", "kind", "value_index", name=op.f("pk_network_selectors")
        ),
    )
    op.create_index(
        op.f("ix_network_selectors_value_index"), "network_selectors", ["value_index"], unique=False
    )
    op.create_table(
        "case_networks",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.String(length=32), nullable=False),
        sa.Column("attached_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("attached_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attached_by"], ["users.id"], name=op.f("fk_case_networks_attached_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_networks_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_case_networks_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("case_id", "network_id", name=op.f("pk_case_networks")),
    )
    op.create_index(
        op.f("ix_case_networks_network_id"), "case_networks", ["network_id"], unique=False
    )
    op.create_table(
        "network_items",
        sa.Column("network_id", sa.String(length=32), nullable=False),
        sa.Column("item_ref", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("seen_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("risk", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_network_items_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_network_items_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("network_id", "item_ref", name=op.f("pk_network_items")),
    )
    op.create_index(op.f("ix_network_items_item_ref"), "network_items", ["item_ref"], unique=False)
    op.create_index(
        op.f("ix_network_items_report_id"), "network_items", ["report_id"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes on both SQLite and PostgreSQL.
    for table in reversed(TABLES):
        op.drop_table(table)
