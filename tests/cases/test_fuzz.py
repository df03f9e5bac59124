"""Bad input to the case endpoints never gives a 500 and never leaves a half-written person.

Hypothesis mutates valid HTCDS bodies (drops, replaces and adds fields with arbitrary JSON) and
posts them; every answer must be a deliberate status.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.cases.test_api import PERPETRATOR, VICTIM, open_case
from tests.conftest import Node
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.auth.permissions import Role
from tipnet.cases.models import CasePerson

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=8,
)
BODIES = {
    "victims": VICTIM,
    "perpetrators": PERPETRATOR,
    "status": {"cas_Status": "FollowUp", "reason": "waiting for the platform"},  # stays open
    "comments": {"body": "note"},
    "assignees": {"username": "bob"},
}
DELIBERATE = {200, 201, 404, 409, 422}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any]:
    endpoint = draw(st.sampled_from(sorted(BODIES)))
    body: dict[str, Any] = copy.deepcopy(BODIES[endpoint])
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*body, draw(st.text(max_size=8))]) if body else st.text())
        if draw(st.booleans()) and key in body:
            del body[key]
        else:
            body[key] = draw(JSON_VALUES)
    return endpoint, body if draw(st.integers(0, 5)) else draw(JSON_VALUES)


@pytest.fixture
def police(node: Node) -> Node:
    node.user("alice", Role.INVESTIGATOR, org="Police")
    node.user("bob", Role.INVESTIGATOR, org="Police")
    return node


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=mutated())
def check_arbitrary_bodies(police: Node, case_id: str, case: tuple[str, Any]) -> None:
    endpoint, body = case
    response = police.client.post(
        f"/api/v1/cases/{case_id}/{endpoint}",
        content=json.dumps(body),
        headers={**police.headers("alice"), "Content-Type": "application/json"},
    )
    assert response.status_code in DELIBERATE, (response.status_code, response.text, body)


def test_arbitrary_bodies_get_a_deliberate_status(police: Node, backend: str) -> None:
    case_id = open_case(police)
    check_arbitrary_bodies(police, case_id)
    with police.session() as session:
        persons = session.scalar(select(func.count()).select_from(CasePerson))
        added = session.scalar(
            select(func.count()).where(
                AuditEvent.action.in_(["case.victim.add", "case.perpetrator.add"])
            )
        )
        assert persons == added
        assert audit.verify(session=session).ok


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/cases", {"title": "nul\x00title"}),
        ("/cases/{case_id}/comments", {"body": "nul\x00"}),
        ("/cases/{case_id}/victims", {"prs_FirstName": "A\x00"}),
        ("/cases/{case_id}/assignees", {"username": "bob\x00"}),
    ],
)
def test_nul_characters_are_refused_not_500(
    police: Node, backend: str, path: str, body: dict[str, str]
) -> None:
    case_id = open_case(police)
    response = police.client.post(
        "/api/v1" + path.format(case_id=case_id), json=body, headers=police.headers("alice")
    )
    assert response.status_code == 422, response.text
    filtered = police.client.get("/api/v1/cases?assignee=a%00", headers=police.headers("alice"))
    assert filtered.status_code == 422
