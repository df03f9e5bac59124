"""Applying Alembic migrations from code, against the engine the settings name.

Some migrations convert existing rows with the node's key (0007 encrypts free text that was
stored in clear): pass the Keyring, which the migration finds in ``config.attributes``. A
migration that clears plaintext names its tables; their freed pages are then rewritten so the
old values do not stay on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from tipnet.crypto import Keyring

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head", *, keyring: Keyring | None = None) -> None:
    config = alembic_config(engine)
    config.attributes["keyring"] = keyring
    with engine.connect() as connection, _foreign_keys_deferred(connection):
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            _check_foreign_keys(connection)
    scrub(engine, config.attributes.get("scrub_tables", ()))


def scrub(engine: Engine, tables: tuple[str, ...]) -> None:
    """Rewrite storage so that values removed from ``tables`` are gone from the files too: an
    UPDATE or a dropped column leaves the old bytes in free pages (SQLite) or dead tuples
    (PostgreSQL) until they are reused."""
    if not tables:
        return
    if engine.dialect.name == "sqlite":
        # On the driver connection: VACUUM cannot run inside the BEGIN that tipnet's SQLite
        # sessions open. It writes through the WAL, which TRUNCATE then empties.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            connection.execute(text(f'VACUUM FULL "{table}"'))


@contextmanager
def _foreign_keys_deferred(connection: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating. Changing a column there rebuilds the table
    (copy, drop, rename), and with foreign keys on, dropping a table that other rows refer to
    fails; Alembic's advice is to switch them off, which SQLite allows only outside a
    transaction, so on the driver connection before the migration's BEGIN. They are checked
    at the end of the migration's transaction instead."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration left rows with dangling foreign keys: {broken[:5]}")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new migration from the difference between models and database."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
