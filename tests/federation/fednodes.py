"""Helpers of the federation tests: node identities, peers and reports through the service layer."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import TEST_ACTOR, Node
from tests.reports.helpers import sample_report
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import OrganisationKind, Role
from tipnet.db import transaction
from tipnet.errors import NotFound
from tipnet.federation import node as node_service
from tipnet.federation import peers
from tipnet.federation.identity import NodeIdentity, PeerDescriptor
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


def file_report(node: Node, report_id: str | None = None, **changes: Any) -> uuid.UUID:
    """File a report as a platform of the node; returns its id."""
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
        body = sample_report(report_id or f"fed-{uuid.uuid4().hex[:8]}", **changes)
        receipt = report_service.submit_report(
            session=session,
            keyring=node.keyring,
            submitter=report_service.Submitter(user.id, organisation.id, TEST_ACTOR),
            report=ReportCreate.model_validate(body),
            raw_body=json.loads(json.dumps(body)),
        )
    return receipt.report_id
