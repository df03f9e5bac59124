"""The migrations and the ORM models describe the same schema, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.conftest import Node
from tipnet.models import metadata


def test_models_and_migrations_agree(node: Node, backend: str) -> None:
    with node.session() as session:
        context = MigrationContext.configure(
            session.connection(), opts={"compare_type": True, "compare_server_default": False}
        )
        differences = compare_metadata(context, metadata)
    assert differences == [], "write a migration for: " + "; ".join(map(str, differences))
