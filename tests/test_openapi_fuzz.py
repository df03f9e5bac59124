"""Schemathesis against the node's own OpenAPI document: every operation, with data generated
from its schema, called with an investigator's, a reporter's and an administrator's token, on
SQLite and PostgreSQL. Whatever comes in, the answer is never a server error.

Generated date-times include the instants that overflow once converted to UTC (they used to be
500s), and every operation that takes a body is also sent JSON nested 100,000 deep."""

from __future__ import annotations

import datetime as dt

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Node
from tipnet.auth.permissions import Role

EXAMPLES_PER_OPERATION = 30
USERS = ("fuzz-investigator", "fuzz-reporter", "fuzz-admin")
OVERFLOWING_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
_DATE_TIMES = st.one_of(
    st.sampled_from([*OVERFLOWING_TIMES, "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]),
    st.datetimes(timezones=_OFFSETS).map(lambda value: value.isoformat()),
)
schemathesis.openapi.format("date-time", _DATE_TIMES)


def test_no_operation_fails_with_a_server_error(node: Node, backend: str) -> None:
    for role in (Role.INVESTIGATOR, Role.REPORTER, Role.ADMIN):
        node.user(f"fuzz-{role.value}", role)
    schema = schemathesis.openapi.from_asgi("/openapi.json", node.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            for username in USERS:
                response = case.call(headers=node.headers(username))
                assert response.status_code < 500, (case.method, case.path, response.text)

        call()


def test_deep_json_is_refused_by_every_operation_that_takes_a_body(
    node: Node, backend: str
) -> None:
    for role in (Role.INVESTIGATOR, Role.REPORTER, Role.ADMIN):
        node.user(f"fuzz-{role.value}", role)
    deep = "[" * 100_000 + "]" * 100_000
    paths = node.app.openapi()["paths"]
    with_body = [
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert len(with_body) >= 15
    for method, path in with_body:
        url = path.replace("{peer_id}", "1")
        for name in ("report_id", "case_id", "network_id", "cooperation_id"):
            url = url.replace("{" + name + "}", "00000000-0000-4000-8000-000000000000")
        statuses = set()
        for username in USERS:
            headers = {**node.headers(username), "content-type": "application/json"}
            response = node.client.request(method, url, content=deep, headers=headers)
            assert response.status_code < 500, (method, path, response.text)
            statuses.add(response.status_code)
        # whoever may call it gets the depth refusal; the others were refused before reading
        assert 422 in statuses, (method, path, statuses)
