"""Every route of the app answers with the security headers, whatever the caller and status,
and the API docs page loads nothing from outside the node."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from tests.conftest import Node
from tipnet.auth.permissions import Role

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
_PARAMETER = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def test_every_route_carries_the_headers(node: Node) -> None:
    node.user("walker", Role.INVESTIGATOR)
    calls = _harmless_calls(node)
    assert len(calls) >= 55, calls
    walked = {
        path.split("/")[1] + "/" + path.split("/")[2]
        for _method, path in calls
        if path.count("/") > 1
    }
    assert {"api/v1", "federation/v1", "check/en", "static/tipnet.css"} <= walked, walked
    for method, path in calls:
        for headers in ({}, node.headers("walker")):
            response = node.client.request(method, path, headers=headers, json={})
            where = f"{method} {path} -> {response.status_code}"
            for name, value in EXPECTED.items():
                assert response.headers.get(name) == value, f"{where}: {name}"
            policy = response.headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in policy, where
            assert re.search(r"default-src '(self|none)'", policy), where
            assert "camera=()" in response.headers.get("permissions-policy", ""), where
            cache = response.headers.get("cache-control")
            if path.startswith("/static/"):
                assert cache == "no-cache", where
            else:
                assert cache == "no-store", where
            assert response.status_code < 500, f"{where}: {response.text[:300]}"


def test_the_docs_page_loads_nothing_from_outside(node: Node) -> None:
    page = node.client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page.text), page.text
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", page.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    for asset in assets:
        served = node.client.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy and "'unsafe-inline'" not in policy
    assert "<script>" not in page.text  # no inline script: the policy would refuse it
    redoc = node.client.get("/redoc", follow_redirects=False)
    assert (redoc.status_code, redoc.headers["location"]) == (307, "/docs")
    redirect_page = node.client.get("/docs/oauth2-redirect").text
    assert '<script src="/static/vendor/swagger-ui/oauth2-redirect.js">' in redirect_page
    assert "//" not in redirect_page.replace("<!doctype html>", "")


def test_a_route_may_keep_its_stricter_policy(node: Node) -> None:
    page = node.client.get("/check/en")
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"


def _harmless_calls(node: Node) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    for path, methods in _walk(node.app.routes, ""):
        calls += [(method, _PARAMETER.sub(_example, path)) for method in sorted(methods)]
    return calls


def _walk(routes: Iterable[Any], prefix: str) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, through included routers (FastAPI keeps them as
    wrappers around the original router) and mounts (static files: one hit, one miss)."""
    for route in routes:
        if hasattr(route, "original_router"):
            included = prefix + route.include_context.prefix
            yield from _walk(route.original_router.routes, included)
        elif isinstance(route, Mount):
            yield f"{prefix}{route.path}/tipnet.css", {"GET"}
            yield f"{prefix}{route.path}/no-such-file.js", {"GET"}
        elif isinstance(route, APIRoute | Route):
            yield prefix + route.path, set(route.methods or {"GET"})


def _example(match: re.Match[str]) -> str:
    name = match.group(1)
    if name == "language":
        return "en"
    if name in ("peer_id",):
        return "1"
    return str(uuid.uuid4())
