"""Engine and session factory, and the declarative ``Base`` every domain's models share.

SQLite is the embedded default; PostgreSQL the production store. The only difference the rest of
the code sees is here: SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` so
that concurrent writers queue instead of failing half-way.

Work that only reads takes a session from :func:`make_read_session_factory`: on SQLite its
transactions begin deferred (a WAL reader never waits for the writer, so reads keep answering
while ``tipnet link run`` writes), and on both databases the connection refuses writes, so a
read route that starts writing fails in the tests rather than queueing behind writers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Engine, LargeBinary, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from tipnet.audit.keys import bind_key as bind_audit_key
from tipnet.config import Settings
from tipnet.errors import InvalidInput

READ_ONLY = "tipnet_read_only"  # execution option of the engines behind read sessions

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as error:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
            raise InvalidInput(
                f"the time {value.isoformat()} is outside the years 1 to 9999 in UTC"
            ) from error

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Bytes(LargeBinary):
    """Binary column whose values go to the driver as they are: both drivers take ``bytes``
    natively, and the generic wrapper costs more than the insert on hot paths."""

    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(settings: Settings, **engine_options: Any) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **engine_options)
        _configure_sqlite(engine)
    else:
        engine_options.setdefault("pool_size", settings.db_pool_size)
        engine_options.setdefault("max_overflow", settings.db_pool_size)
        engine_options.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **engine_options)
    # Every session on this engine can then key the audit chain (tipnet.audit.keys says why).
    bind_audit_key(engine, settings.secret_key_bytes)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def single_read_engine(engine: Engine) -> Engine:
    """For one read statement on a hot path (the token lookup of every request). PostgreSQL:
    autocommit, which saves the BEGIN and ROLLBACK round trips. SQLite: a deferred read
    transaction (its autocommit mode would be reset to pysqlite's implicit BEGIN on return to
    the pool, undoing what :func:`_configure_sqlite` sets)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{READ_ONLY: True})


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that writes nothing: no write lock on SQLite, read-only everywhere."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True  # reset by SQLAlchemy when the connection is returned
    return sessionmaker(bind=engine.execution_options(**options), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (pysqlite's implicit BEGIN is deferred, which lets
        # two writers both read and then one fail on upgrade to a write lock).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        record = connection.connection.info  # lives as long as the pooled SQLite connection
        if record.get(READ_ONLY, False) != read_only:
            # Pooled connections serve both kinds of session: switch only on a change.
            connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            record[READ_ONLY] = read_only
        # A deferred BEGIN takes no lock until the first write; a WAL reader then sees the
        # last committed state and never waits for (or blocks) the writer.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
