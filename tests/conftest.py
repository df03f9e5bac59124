"""Shared fixtures: a real node (migrated database, keys, app) on SQLite and on PostgreSQL.

Storage tests take the ``backend`` fixture, which runs them once per database. PostgreSQL comes
from ``TIPNET_TEST_POSTGRES_URL``; without it those runs are skipped with the reason, except
under ``TIPNET_REQUIRE_POSTGRES=1`` (set by .ci/run), where a missing server fails the suite.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from tipnet import migrate
from tipnet.api import create_app
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import OrganisationKind, Role
from tipnet.config import Settings
from tipnet.crypto import Keyring
from tipnet.db import make_engine, make_session_factory, transaction

POSTGRES_ENV = "TIPNET_TEST_POSTGRES_URL"
TEST_ACTOR = Actor("test:fixture")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.pop("TIPNET_DATABASE_URL", None)  # tests never touch a developer's database


@dataclass
class Node:
    """One migrated tipnet node for a test: settings, sessions, keys and an HTTP client."""

    settings: Settings
    session_factory: sessionmaker[Session]
    keyring: Keyring
    tokens: dict[str, str] = field(default_factory=dict)
    _app: FastAPI | None = None
    _client: TestClient | None = None

    @property
    def app(self) -> FastAPI:
        if self._app is None:
            self._app = create_app(self.settings)
        return self._app

    @property
    def client(self) -> TestClient:
        if self._client is None:
            self._client = TestClient(self.app, raise_server_exceptions=False)
        return self._client

    @property
    def dialect(self) -> str:
        return self.session_factory.kw["bind"].dialect.name  # type: ignore[no-any-return]

    def session(self) -> Session:
        return self.session_factory()

    def user(self, username: str, role: Role, org: str | None = None) -> str:
        """Create (organisation,) user and token through the service layer; return the token."""
        org = org or f"org-{role.value}"
        with transaction(self.session_factory) as session:
            try:
                auth_service.get_organisation_by_name(session=session, name=org)
            except Exception:
                auth_service.create_organisation(
                    session=session, actor=TEST_ACTOR, name=org, kind=_kind(role), country="ESP"
                )
            auth_service.create_user(
                session=session,
                actor=TEST_ACTOR,
                organisation_name=org,
                username=username,
                role=role,
            )
            issued = auth_service.issue_token(
                session=session, actor=TEST_ACTOR, username=username, name="test"
            )
        self.tokens[username] = issued.token
        return issued.token

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def _kind(role: Role) -> OrganisationKind:
    return {
        Role.REPORTER: OrganisationKind.PLATFORM,
        Role.INVESTIGATOR: OrganisationKind.LAW_ENFORCEMENT,
        Role.ANALYST: OrganisationKind.NGO,
        Role.ADMIN: OrganisationKind.NODE_OPERATOR,
    }[role]


def new_secret_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'tipnet.db'}"
        return
    yield from _postgres_schema()


def _postgres_schema() -> Iterator[str]:
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        reason = f"PostgreSQL run skipped: {POSTGRES_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        if os.environ.get("TIPNET_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # a configured but unreachable server is a failure, not a skip
        pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {error}")
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=new_secret_key(),
        _env_file=None,
    )  # type: ignore[call-arg]


@pytest.fixture
def node(settings: Settings) -> Iterator[Node]:
    engine = make_engine(settings)
    migrate.upgrade(engine)
    built = Node(settings, make_session_factory(engine), Keyring(settings.secret_key_bytes()))
    yield built
    if built._client is not None:
        built._client.close()
    if built._app is not None:
        built._app.state.intake_writer.close()
        built._app.state.engine.dispose()
    engine.dispose()
