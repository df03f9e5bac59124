"""Walk every route of the API with every role. A route missing from EXPECTED, PUBLIC or SIGNED
(including routes hidden from the OpenAPI document, such as web pages), or one that lets the
wrong role in, fails here: a new route cannot ship without a decided permission check.

Administration is apart from investigation: an administrator is refused every route that
reveals personal data (PERSONAL_DATA below)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import pytest
from fastapi import FastAPI

from tests.conftest import Node
from tipnet.api import PUBLIC_PATHS
from tipnet.auth.permissions import PERSONAL_DATA as PERSONAL_PERMISSIONS
from tipnet.auth.permissions import ROLE_PERMISSIONS, Role
from tipnet.federation.inbound import SIGNED_PREFIX

REPORTER, INVESTIGATOR, ANALYST, ADMIN = Role.REPORTER, Role.INVESTIGATOR, Role.ANALYST, Role.ADMIN
ANY = frozenset(Role)

# (method, path) -> roles that may call it. Public routes are listed in tipnet.api.PUBLIC_PATHS.
EXPECTED: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/me"): ANY,
    ("POST", "/api/v1/reports"): frozenset({REPORTER}),
    ("POST", "/api/v1/reports/batch"): frozenset({REPORTER}),
    ("GET", "/api/v1/reports/{report_id}/receipt"): frozenset({REPORTER}),
    ("GET", "/api/v1/reports"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/reports/{report_id}"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/reports/{report_id}/status"): frozenset({INVESTIGATOR}),
    ("GET", "/api/v1/triage"): frozenset({INVESTIGATOR}),
    ("POST", "/api/v1/reports/search"): frozenset({INVESTIGATOR}),
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

# Routes that reveal no personal data: who am I, a platform's own submissions, and the
# administration of the node. Every other protected route reveals personal data (report
# bodies, selectors, victims and persons, networks, what peers hold) and is for investigators
# only, never an administrator, analyst or platform: a new route is personal unless listed here.
NOT_PERSONAL: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/reports"),
        ("POST", "/api/v1/reports/batch"),
        ("GET", "/api/v1/reports/{report_id}/receipt"),
        ("GET", "/api/v1/audit/verify"),
        ("GET", "/api/v1/federation/node"),
        ("POST", "/api/v1/federation/node"),
        ("GET", "/api/v1/federation/peers"),
        ("POST", "/api/v1/federation/peers"),
        ("PATCH", "/api/v1/federation/peers/{peer_id}"),
        ("DELETE", "/api/v1/federation/peers/{peer_id}"),
        ("GET", "/api/v1/federation/outbox"),
    }
)
PERSONAL_DATA = frozenset(EXPECTED) - NOT_PERSONAL

# Public routes, each decided here: tipnet.api.PUBLIC_PATHS must list exactly these paths.
PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/health"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
        ("POST", "/api/v1/check"),
        ("GET", "/check"),
        ("GET", "/check/{language}"),
        ("POST", "/check/{language}"),
        ("GET", "/static"),  # the web pages' assets (a mount)
    }
)

# Node-to-node routes: no bearer token opens them, only a registered peer's HTTP signature
# (walked in tests/federation/test_peers_signed.py).
SIGNED: frozenset[tuple[str, str]] = frozenset(
    (method, SIGNED_PREFIX + path)
    for method, path in (
        ("GET", "/ping"),
        ("GET", "/feed"),
        ("POST", "/oprf/evaluate"),
        ("POST", "/persons/match"),
        ("POST", "/cooperation/requests"),
        ("POST", "/cooperation/answers"),
    )
)


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


def _mounted_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, walked from its routers rather than the
    OpenAPI document, so routes left out of the schema count too."""
    return set(_walk(app.routes, ""))


def _walk(routes: Iterable[object], prefix: str) -> Iterable[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
            continue
        path = prefix + str(getattr(route, "path", ""))
        methods = getattr(route, "methods", None)
        if methods is None:  # a mount (static files): served to GET
            yield ("GET", path)
            continue
        yield from ((method, path) for method in methods if method != "HEAD")


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


def test_every_mounted_route_has_an_explicit_expectation(node: Node) -> None:
    """Also the routes the OpenAPI document does not show (web pages, static files, hidden
    routes): each is in EXPECTED, PUBLIC or SIGNED, and nothing listed there is stale."""
    mounted = _mounted_routes(node.app)
    in_schema = {(method, path) for method, path, _route in _api_routes(node)}
    assert in_schema <= mounted, f"the route walk missed {in_schema - mounted}"
    decided = set(EXPECTED) | PUBLIC | SIGNED
    assert not mounted - decided, f"routes without an expectation: {sorted(mounted - decided)}"
    assert not decided - mounted, f"stale expectations: {sorted(decided - mounted)}"
    assert {path for _method, path in PUBLIC if path != "/static"} == set(PUBLIC_PATHS)
    assert not (set(EXPECTED) & PUBLIC), "a route cannot be both public and protected"


def test_only_investigators_reach_personal_data() -> None:
    assert NOT_PERSONAL <= set(EXPECTED)
    for route in PERSONAL_DATA:
        assert EXPECTED[route] == frozenset({INVESTIGATOR}), route
    for role, permissions in ROLE_PERMISSIONS.items():
        if role is not INVESTIGATOR:
            assert not permissions & PERSONAL_PERMISSIONS, f"{role} holds {permissions}"


def test_administrator_keeps_administration_but_not_investigation(every_role: Node) -> None:
    node = every_role
    admin = node.headers(f"user-{ADMIN.value}")
    assert node.client.get("/api/v1/audit/verify", headers=admin).status_code == 200
    assert node.client.get("/api/v1/federation/peers", headers=admin).status_code == 200
    assert node.client.get("/api/v1/federation/outbox", headers=admin).status_code == 200
    assert node.client.get("/api/v1/me", headers=admin).json()["role"] == ADMIN.value
    refused = [
        ("GET", "/api/v1/reports"),
        ("GET", f"/api/v1/reports/{uuid.uuid4()}"),
        ("POST", "/api/v1/reports/search"),
        ("GET", "/api/v1/triage"),
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/networks"),
    ]
    body = {"kind": "phone", "value": "612 34 56 78", "country": "ESP"}
    for method, url in refused:
        answer = node.client.request(method, url, json=body, headers=admin)
        assert answer.status_code == 403, (method, url, answer.status_code)


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
