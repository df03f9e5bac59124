"""Bad input never gives a 500 and never half-writes a report.

Hypothesis mutates a valid body (drops, replaces and adds fields with arbitrary JSON, at any
depth) and posts it. Every answer must be a deliberate status, and afterwards every stored
report must be whole: its audit entry written in the same transaction, its selectors indexed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.auth.permissions import Role
from tipnet.reports.models import Report

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
DELIBERATE = {200, 201, 409, 413, 422}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Any:
    body: Any = copy.deepcopy(sample_report(draw(st.text(min_size=1, max_size=12))))
    for _ in range(draw(st.integers(1, 4))):
        paths = [path for path in _paths(body) if path]
        if not paths or not isinstance(body, dict):
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    if draw(st.booleans()):
        return body
    return draw(JSON_VALUES)  # sometimes not even an object


@pytest.fixture
def reporter(node: Node) -> Node:
    node.user("fuzz-platform", Role.REPORTER)
    return node


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=mutated_bodies())
def test_arbitrary_bodies_get_a_deliberate_status(reporter: Node, body: Any) -> None:
    response = reporter.client.post(
        "/api/v1/reports",
        content=json.dumps(body),
        headers={**reporter.headers("fuzz-platform"), "Content-Type": "application/json"},
    )
    assert response.status_code in DELIBERATE, (response.status_code, response.text, body)
    if response.status_code == 422:
        assert isinstance(response.json()["detail"], (list, str))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_get_a_deliberate_status(reporter: Node, raw: bytes) -> None:
    response = reporter.client.post(
        "/api/v1/reports",
        content=raw,
        headers={**reporter.headers("fuzz-platform"), "Content-Type": "application/json"},
    )
    assert response.status_code in DELIBERATE


def test_no_report_is_half_written(reporter: Node, backend: str) -> None:
    test_arbitrary_bodies_get_a_deliberate_status(reporter)
    with reporter.session() as session:
        reports = session.scalar(select(func.count()).select_from(Report))
        submitted = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report.submit")
        )
        assert reports == submitted
        assert audit.verify(session=session).ok
