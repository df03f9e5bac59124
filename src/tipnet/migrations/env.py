from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tipnet.models import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through tipnet.migrate (tipnet db upgrade)")
run_migrations(connection)
