"""The outer edge: bodies too large or nested too deep are refused before any route reads them,
and an unexpected exception becomes a generic JSON 500 with a logged error id."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.auth.permissions import Role
from tipnet.reports.models import Report

DEEP = "[" * 100_000 + "]" * 100_000
JSON = {"content-type": "application/json"}


def test_deep_json_is_a_422_on_every_route_and_nothing_is_written(node: Node, backend: str) -> None:
    node.user("platform", Role.REPORTER)
    node.user("police", Role.INVESTIGATOR)
    node.user("root", Role.ADMIN)
    paths = node.app.openapi()["paths"]
    posted = [path for path, ops in paths.items() if "requestBody" in ops.get("post", {})]
    assert "/api/v1/reports" in posted and "/api/v1/reports/batch" in posted
    refused_for_depth = set()
    for path in [*posted, "/federation/v1/hits"]:
        for user in ("platform", "police", "root"):
            response = node.client.post(path, content=DEEP, headers={**JSON, **node.headers(user)})
            # a caller without the right is refused first; none gets past to a parser
            assert response.status_code < 500, (path, user, response.text)
            if response.status_code == 422:
                assert response.json()["detail"][0]["type"] == "json_too_deep", path
                refused_for_depth.add(path)
    assert {"/api/v1/reports", "/api/v1/reports/batch", "/api/v1/check"} <= refused_for_depth
    assert set(posted) <= refused_for_depth, set(posted) - refused_for_depth
    body = sample_report("deep")
    body["incident"]["summary"] = "[" * 100 + "real text inside a string" + "]" * 100
    accepted = node.client.post("/api/v1/reports", json=body, headers=node.headers("platform"))
    assert accepted.status_code == 201, accepted.text  # brackets inside strings do not count
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_a_body_nested_65_deep_is_refused_and_64_is_parsed(node: Node) -> None:
    for depth, refused in ((64, False), (65, True)):
        body = '{"text": ' + "[" * (depth - 1) + '"x"' + "]" * (depth - 1) + "}"
        response = node.client.post("/api/v1/check", content=body, headers=JSON)
        assert (response.status_code == 422) is True
        assert (response.json()["detail"][0]["type"] == "json_too_deep") is refused


def test_a_streamed_body_over_the_limit_is_a_413(node: Node) -> None:
    node.user("platform", Role.REPORTER)

    def chunks() -> Iterator[bytes]:  # no Content-Length: only the bytes streamed tell
        for _ in range(20):
            yield b" " * 100_000

    response = node.client.post(
        "/api/v1/reports", content=chunks(), headers={**JSON, **node.headers("platform")}
    )
    assert response.status_code == 413
    assert "larger than 1000000 bytes" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_form_text_full_of_brackets_is_not_mistaken_for_deep_json(node: Node) -> None:
    response = node.client.post("/check/en", data={"text": "[" * 500 + " pay the fee first"})
    assert response.status_code == 200


def test_an_unexpected_error_is_a_generic_500_with_a_logged_id(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    secret_sql = "SELECT name_enc FROM persons WHERE name = 'Maria Lopez'"

    async def failing_route() -> None:
        raise RuntimeError(f"(psycopg.errors.UndefinedTable) {secret_sql}")

    node.app.add_api_route("/api/v1/boom", failing_route, methods=["GET"])
    with caplog.at_level(logging.ERROR, logger="tipnet.middleware"):
        response = node.client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert set(answer) == {"detail", "error_id"}
    for leaked in ("Maria", "SELECT", "Traceback", "RuntimeError", "psycopg"):
        assert leaked not in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    logged = [record for record in caplog.records if answer["error_id"] in record.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log only


@pytest.mark.parametrize("error", [OverflowError("date value out of range"), RecursionError()])
def test_overflow_and_recursion_that_slip_through_are_422(node: Node, error: Exception) -> None:
    async def fragile_route() -> None:
        raise error

    node.app.add_api_route("/api/v1/fragile", fragile_route, methods=["POST"])
    response = node.client.post("/api/v1/fragile", json={})
    assert response.status_code == 422
    assert "out of range or nested too deeply" in response.json()["detail"][0]["message"]


def test_a_real_database_error_reaches_the_caller_without_sql(node: Node) -> None:
    node.user("police", Role.INVESTIGATOR)
    with node.session() as session:  # a broken schema: every query on cases fails in SQL
        session.execute(text("ALTER TABLE cases RENAME TO cases_gone"))
        session.commit()
    response = node.client.get("/api/v1/cases", headers=node.headers("police"))
    assert response.status_code in (500, 503), response.text
    for leaked in ("SELECT", "FROM", "sqlite3", "OperationalError", "Traceback", "cases."):
        assert leaked not in response.text, response.text
    assert response.headers["cache-control"] == "no-store"
