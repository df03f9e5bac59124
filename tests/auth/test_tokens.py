from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, Node
from tipnet.auth import service
from tipnet.auth.models import ApiToken
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.errors import Conflict, NotAuthenticated


def test_token_is_stored_only_as_a_hash(node: Node, backend: str) -> None:
    token = node.user("alice", Role.INVESTIGATOR)
    with node.session() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert token.startswith("tip_") and len(token) > 40
    assert token not in (stored.token_sha256, stored.prefix)
    assert (
        node.client.get("/api/v1/me", headers=node.headers("alice")).json()["role"]
        == "investigator"
    )


@pytest.mark.parametrize("token", ["", "tip_", "tip_unknown", "Basic abc", "x" * 5000])
def test_unknown_or_malformed_tokens_get_401(node: Node, token: str) -> None:
    response = node.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (401, 403) and response.status_code != 500
    assert node.client.get("/api/v1/me").status_code == 401


def test_revoked_token_stops_working(node: Node, backend: str) -> None:
    node.user("bob", Role.REPORTER)
    with transaction(node.session_factory) as session:
        token_id = session.scalars(select(ApiToken.id)).one()
        service.revoke_token(session=session, actor=TEST_ACTOR, token_id=token_id)
    response = node.client.get("/api/v1/me", headers=node.headers("bob"))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_expired_token_and_deactivated_user(node: Node) -> None:
    node.user("carol", Role.ANALYST)
    with transaction(node.session_factory) as session:
        expired = service.issue_token(
            session=session,
            actor=TEST_ACTOR,
            username="carol",
            name="old",
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
        )
    response = node.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired.token}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    with transaction(node.session_factory) as session:
        service.deactivate_user(session=session, actor=TEST_ACTOR, username="carol")
    assert node.client.get("/api/v1/me", headers=node.headers("carol")).status_code == 401


def test_duplicate_names_are_conflicts(node: Node) -> None:
    node.user("dave", Role.ADMIN, org="Org D")
    with transaction(node.session_factory) as session, pytest.raises(Conflict):
        service.create_user(
            session=session,
            actor=TEST_ACTOR,
            organisation_name="Org D",
            username="dave",
            role=Role.ADMIN,
        )


def test_authenticate_rejects_garbage(node: Node) -> None:
    with node.session() as session, pytest.raises(NotAuthenticated):
        service.authenticate(session=session, token="tip_" + "A" * 43, remote_addr=None)
