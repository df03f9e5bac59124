"""Schemathesis against the node's own OpenAPI document: every operation, with data generated
from its schema, called with an investigator's, a reporter's and an administrator's token, on
SQLite and PostgreSQL. Whatever comes in, the answer is never a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import Node
from tipnet.auth.permissions import Role

EXAMPLES_PER_OPERATION = 30


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
            for username in ("fuzz-investigator", "fuzz-reporter", "fuzz-admin"):
                response = case.call(headers=node.headers(username))
                assert response.status_code < 500, (case.method, case.path, response.text)

        call()
