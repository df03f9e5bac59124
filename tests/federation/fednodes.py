"""Helpers of the federation tests: node identities, peers and reports through the service layer."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, Node, _postgres_schema, new_secret_key
from tests.reports.helpers import sample_report
from tipnet import migrate
from tipnet.audit.models import AuditEvent
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import OrganisationKind, Role
from tipnet.config import Settings
from tipnet.crypto import Keyring
from tipnet.db import make_engine, make_session_factory, transaction
from tipnet.errors import NotFound
from tipnet.federation import hits, peers, pprl, sharing
from tipnet.federation import node as node_service
from tipnet.federation.context import FederationContext
from tipnet.federation.identity import NodeIdentity, PeerDescriptor
from tipnet.federation.schemas import Level, QueryResult, SelectorQuery
from tipnet.reports import service as report_service
from tipnet.reports.schemas import ReportCreate


def init_identity(node: Node, country: str = "ESP", url: str = "http://127.0.0.1:9") -> str:
    """Give the node its federation identity; returns the descriptor JSON."""
    with transaction(node.session_factory) as session:
        descriptor = node_service.init_node(
            session=session,
            keyring=node.keyring,
            country=country,
            name=f"{country} test node",
            url=url,
            actor=TEST_ACTOR,
        )
    return descriptor.to_json()


def foreign_descriptor(country: str = "ITA", url: str = "http://127.0.0.1:8") -> PeerDescriptor:
    return NodeIdentity.generate(country=country, name=f"{country} peer", url=url).descriptor()


def add_peer(node: Node, descriptor: str, **agreement: Any) -> int:
    with transaction(node.session_factory) as session:
        return peers.add_peer(
            session=session, descriptor=descriptor, actor=TEST_ACTOR, **agreement
        ).id


def file_report(node: Node, body: dict[str, Any] | None = None) -> uuid.UUID:
    """File a report (the sample one by default) as a platform of the node; returns its id."""
    with transaction(node.session_factory) as session:
        try:
            organisation = auth_service.get_organisation_by_name(
                session=session, name="fed-platform"
            )
        except NotFound:
            organisation = auth_service.create_organisation(
                session=session,
                actor=TEST_ACTOR,
                name="fed-platform",
                kind=OrganisationKind.PLATFORM,
                country="ESP",
            )
            auth_service.create_user(
                session=session,
                actor=TEST_ACTOR,
                organisation_name="fed-platform",
                username="fed-platform-bot",
                role=Role.REPORTER,
            )
        user = auth_service.get_user_by_name(session=session, username="fed-platform-bot")
        body = body or sample_report(f"fed-{uuid.uuid4().hex[:8]}")
        receipt = report_service.submit_report(
            session=session,
            keyring=node.keyring,
            submitter=report_service.Submitter(user.id, organisation.id, TEST_ACTOR),
            report=ReportCreate.model_validate(body),
            raw_body=json.loads(json.dumps(body)),
        )
    return receipt.report_id


@contextmanager
def extra_node(database_url: str) -> Iterator[Node]:
    """One more migrated node beside the ``node`` fixture, for tests between nodes."""
    settings = Settings(  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=new_secret_key(),
        token_cache_seconds=0,
        _env_file=None,
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    built = Node(settings, make_session_factory(engine), Keyring(settings.secret_key_bytes()))
    try:
        yield built
    finally:
        if built._client is not None:
            built._client.close()
        if built._app is not None:
            built._app.state.intake_writer.close()
            built._app.state.engine.dispose()
        engine.dispose()


def another_database(backend: str, tmp_path: Path, name: str) -> Iterator[str]:
    """A fresh database for one more node: a SQLite file, or a PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
    else:
        yield from _postgres_schema()


def befriend(first: Node, second: Node, **agreement: Any) -> tuple[int, int]:
    """Register each node as the other's peer; returns (second's id at first, first's at
    second). Both nodes need an identity."""
    return (
        add_peer(first, descriptor_of(second), **agreement),
        add_peer(second, descriptor_of(first), **agreement),
    )


def descriptor_of(node: Node) -> str:
    with node.session() as session:
        return node_service.descriptor(session=session, keyring=node.keyring).to_json()


def local_identity(node: Node) -> node_service.LocalIdentity:
    with node.session() as session:
        return node_service.load(session=session, keyring=node.keyring)


def audit_events(node: Node, action: str) -> list[dict[str, Any]]:
    with node.session() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).all()
        return [
            {"actor": row.actor, "object_id": row.object_id, **json.loads(row.details)}
            for row in rows
        ]


def report_body(
    phones: list[str],
    *,
    name: str = "Fictional Recruiter",
    date_of_birth: str = "1990-02-03",
    emails: list[str] | None = None,
    pdq: list[str] | None = None,
) -> dict[str, Any]:
    """A report whose only selectors are the phones and emails given (no shared defaults)."""
    body = sample_report(f"fed-{uuid.uuid4().hex[:12]}")
    body["incident"]["summary"] = "Job offer abroad; the employer keeps the passports."
    body["internet"] = {"platform": "facebook", "phones": phones, "emails": emails or []}
    body["reported_persons"] = [
        {"name": name, "date_of_birth": date_of_birth, "sex": "male", "nationality": "ESP"}
    ]
    body["victims"] = []
    if pdq:
        body["files"] = [
            {"pdq": value, "pdq_quality": 90, "media_type": "image/jpeg"} for value in pdq
        ]
    return body


class Wire(httpx.AsyncBaseTransport):
    """In-process network between node apps, by host: records every body that crosses it,
    and can take a node down."""

    def __init__(self, apps: dict[str, Any]) -> None:
        self.routes = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}
        self.down: set[str] = set()
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.netloc.decode()
        if host in self.down or host not in self.routes:
            raise httpx.ConnectError(f"{host} is down", request=request)
        self.bodies.append(await request.aread())
        answer = await self.routes[host].handle_async_request(request)
        body = await answer.aread()
        self.bodies.append(body)
        return httpx.Response(answer.status_code, headers=answer.headers, content=body)

    def carried(self, text: str) -> bool:
        return any(text.encode() in body for body in self.bodies)


def context_of(node: Node, wire: httpx.AsyncBaseTransport) -> FederationContext:
    return FederationContext.of(node.session_factory, node.keyring, transport=wire, retries=0)


def share(
    node: Node, report_ids: list[uuid.UUID], level: str, peers_named: tuple[str, ...] = ()
) -> None:
    with transaction(node.session_factory) as session:
        sharing.set_distribution(
            session=session,
            keyring=node.keyring,
            local=node_service.load(session=session, keyring=node.keyring),
            report_ids=report_ids,
            level=Level(level),
            peer_node_ids=list(peers_named),
            actor=TEST_ACTOR,
        )


def query(node: Node, wire: httpx.AsyncBaseTransport, kind: str, values: list[str]) -> QueryResult:
    request = SelectorQuery.model_validate({"kind": kind, "values": values, "country": "ESP"})
    return asyncio.run(hits.query_selectors(context_of(node, wire), request, actor=TEST_ACTOR))


@contextmanager
def three_nodes(
    first: Node, backend: str, tmp_path: Path
) -> Iterator[tuple[Node, Node, Node, Wire]]:
    """ESP (the ``node`` fixture), ITA and NGA, each the others' peer (phones, emails and
    persons; image lists allowed), with one federation secret for persons, joined by an
    in-process Wire."""
    databases = [another_database(backend, tmp_path, name) for name in ("ita", "nga")]
    with extra_node(next(databases[0])) as ita, extra_node(next(databases[1])) as nga:
        nodes = {"ESP": first, "ITA": ita, "NGA": nga}
        for country, member in nodes.items():
            init_identity(member, country, f"http://{country.lower()}.test")
        secret = pprl.new_secret()
        for member in nodes.values():
            with transaction(member.session_factory) as session:
                node_service.set_pprl_secret(
                    session=session, keyring=member.keyring, secret=secret, actor=TEST_ACTOR
                )
        for a, b in (("ESP", "ITA"), ("ESP", "NGA"), ("ITA", "NGA")):
            befriend(nodes[a], nodes[b], kinds=["phone", "email", "person"], image_lists=True)
        wire = Wire({f"{c.lower()}.test": member.app for c, member in nodes.items()})
        yield first, ita, nga, wire
    for database in databases:
        database.close()


def backend_of(request: pytest.FixtureRequest) -> str:
    """The test's storage backend: both when it asks for ``backend``, else SQLite only (the
    protocol tests between in-process nodes; storage is covered by the tests that ask)."""
    return (
        str(request.getfixturevalue("backend")) if "backend" in request.fixturenames else "sqlite"
    )
