"""Walk every route of the API with every role. A route missing from EXPECTED, or one that lets
the wrong role in, fails here: a new route cannot ship without a decided permission check."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Node
from tipnet.api import PUBLIC_PATHS
from tipnet.auth.permissions import Role
from tipnet.federation.inbound import SIGNED_PREFIX

REPORTER, INVESTIGATOR, ANALYST, ADMIN = Role.REPORTER, Role.INVESTIGATOR, Role.ANALYST, Role.ADMIN
ANY = frozenset(Role)

# (method, path) -> roles that may call it. Public routes are listed in tipnet.api.PUBLIC_PATHS.
EXPECTED: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/me"): ANY,
    ("POST", "/api/v1/reports"): frozenset({REPORTER}),
    ("POST", "/api/v1/reports/batch"): frozenset({REPORTER}),
    ("GET", "/api/v1/reports/{report_id}/receipt"): frozenset({REPORTER}),
    ("GET", "/api/v1/reports"): frozenset({INVESTIGATOR, ADMIN}),
    ("GET", "/api/v1/reports/{report_id}"): frozenset({INVESTIGATOR, ADMIN}),
    ("POST", "/api/v1/reports/{report_id}/status"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/triage"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/reports/search"): frozenset({INVESTIGATOR, ADMIN}),
    ("GET", "/api/v1/audit/verify"): frozenset({ADMIN}),
    ("POST", "/api/v1/cases"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/cases"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/person-search"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/cases/{case_id}"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/status"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/reports"): frozenset({INVESTIGATOR}),
    ("DELETE", "/api/v1/cases/{case_id}/reports/{report_id}"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/assignees"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/comments"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/victims"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/perpetrators"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/networks"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/networks/{network_id}"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/networks/{network_id}/export"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/cases/{case_id}/networks"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/cases/{case_id}/networks"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/link/overrides"): frozenset({INVESTIGATOR}),
    ("PUT", "/api/v1/link/overrides"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/federation/node"): frozenset({ADMIN}),
    ("POST", "/api/v1/federation/node"): frozenset({ADMIN}),
    ("GET", "/api/v1/federation/peers"): frozenset({ADMIN}),
    ("POST", "/api/v1/federation/peers"): frozenset({ADMIN}),
    ("PATCH", "/api/v1/federation/peers/{peer_id}"): frozenset({ADMIN}),
    ("DELETE", "/api/v1/federation/peers/{peer_id}"): frozenset({ADMIN}),
    ("PUT", "/api/v1/reports/{report_id}/distribution"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/reports/{report_id}/distribution"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/federation/queries"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/federation/sync"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/federation/person-queries"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/federation/image-matches"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/federation/cooperation-requests"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/federation/cooperation-requests"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/federation/cooperation-requests/{cooperation_id}"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/federation/cooperation-requests/{cooperation_id}/decision"): frozenset(
        {INVESTIGATOR}
    ),
    ("GET", "/api/v1/federation/outbox"): frozenset({ADMIN}),
}


def _api_routes(node: Node) -> list[tuple[str, str, dict[str, object]]]:
    """Every mounted operation, from the OpenAPI document (so included routers count too).
    Node-to-node routes take no bearer token but a peer's HTTP signature: they are walked in
    tests/federation/test_peers_signed.py."""
    paths = node.app.openapi()["paths"]
    return [
        (method.upper(), path, operation)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if not path.startswith(SIGNED_PREFIX + "/")
    ]


def _concrete(path: str) -> str:
    for name in ("report_id", "case_id", "network_id", "comment_id", "victim_id", "perpetrator_id"):
        path = path.replace("{" + name + "}", str(uuid.uuid4()))
    return path.replace("{peer_id}", "1").replace("{cooperation_id}", str(uuid.uuid4()))


def _declares_auth(operation: dict[str, object]) -> bool:
    return bool(operation.get("security"))


@pytest.fixture
def every_role(node: Node) -> Node:
    for role in Role:
        node.user(f"user-{role.value}", role)
    return node


def test_every_route_is_classified(every_role: Node) -> None:
    for method, path, route in _api_routes(every_role):
        if path in PUBLIC_PATHS:
            continue
        assert (method, path) in EXPECTED, f"{method} {path} has no expected permissions here"
        assert _declares_auth(route), f"{method} {path} does not declare a permission dependency"
    listed = {(method, path) for method, path, _route in _api_routes(every_role)}
    assert set(EXPECTED) <= listed, f"stale entries: {set(EXPECTED) - listed}"


def test_every_route_with_every_role(every_role: Node) -> None:
    node = every_role
    for method, path, _route in _api_routes(node):
        if path in PUBLIC_PATHS:
            continue
        url = _concrete(path)
        anonymous = node.client.request(method, url, json={})
        assert anonymous.status_code == 401, f"{method} {path} anonymous -> {anonymous.status_code}"
        for role in Role:
            response = node.client.request(
                method, url, json={}, headers=node.headers(f"user-{role.value}")
            )
            allowed = role in EXPECTED[(method, path)]
            if allowed:
                assert response.status_code not in (401, 403), f"{method} {path} as {role}"
            else:
                assert response.status_code == 403, (
                    f"{method} {path} as {role} -> {response.status_code}, expected 403"
                )
            assert response.status_code < 500, f"{method} {path} as {role}: {response.text}"


def test_public_routes_need_no_token(node: Node) -> None:
    assert node.client.get("/api/v1/health").json()["status"] == "ok"
    assert node.client.get("/openapi.json").status_code == 200
    assert node.client.get("/docs").status_code == 200
    check = node.client.post("/api/v1/check", json={"text": "send me a photo"})
    assert check.status_code == 200 and check.json()["signs"]
    assert node.client.get("/check/en").status_code == 200
