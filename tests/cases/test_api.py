"""Case management over HTTP with real tokens, on SQLite and PostgreSQL. Fictional people only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import Node
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.auth.permissions import Role
from tipnet.reports.examples import example_reports

API = "/api/v1"
VICTIM = {
    "prs_FirstName": "Lucía",
    "prs_SecondName": "Inventada",
    "prs_Birthdate": "2008-01-02",
    "prs_Email": "lucia.inventada@mail.example",
    "vic_Gender": "Female",
    "vic_AgeBroad": "9--17",
    "vic_Citizenship": "NG",
    "vic_MethodOfRecruitment": ["ThroughAnOnlineAdvertisement"],
    "vic_ExploitationWebsitesAndApps": ["Telegram"],
    "vic_TypeOfExploitation": ["SexualExploitation"],
    "vic_TypeOfSexExploitation": ["RemoteInteractiveServices"],
    "vic_MethodsOfControl": ["Threats", "RestrictsMovement"],
}
PERPETRATOR = {
    "prs_FirstName": "Made-up",
    "prs_SecondName": "Agent",
    "per_Gender": "Unknown",
    "per_AgeBroad": "30--38",
    "per_Citizenship": "IT",
    "per_RoleInProcess": ["RecruiterOrIntermediary", "Exploiter"],
}


@pytest.fixture
def police(node: Node) -> Node:
    node.user("alice", Role.INVESTIGATOR, org="Police")
    node.user("bob", Role.INVESTIGATOR, org="Police")
    node.user("platform", Role.REPORTER, org="Platform")
    node.user("ngo", Role.ANALYST, org="NGO")
    return node


def call(node: Node, method: str, path: str, user: str = "alice", **kwargs: Any) -> Any:
    return node.client.request(method, API + path, headers=node.headers(user), **kwargs)


def submit_report(node: Node, index: int = 0) -> str:
    body = example_reports(index + 1, seed=5, prefix="api")[index]
    response = call(node, "POST", "/reports", user="platform", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["report_id"])


def open_case(node: Node, title: str = "Remote 'modelling' offers on Telegram") -> str:
    response = call(node, "POST", "/cases", json={"title": title})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{API}/cases/{response.json()['id']}"
    return str(response.json()["id"])


def audit_actions(node: Node) -> list[str]:
    with node.session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_full_lifecycle(police: Node, backend: str) -> None:
    report_id = submit_report(police)
    case_id = open_case(police)
    steps = [
        ("POST", f"/cases/{case_id}/reports", {"report_id": report_id}, 201),
        ("POST", f"/cases/{case_id}/assignees", {"username": "bob"}, 201),
        ("POST", f"/cases/{case_id}/comments", {"body": "Asked the platform for logs."}, 201),
        ("POST", f"/cases/{case_id}/victims", VICTIM, 201),
        ("POST", f"/cases/{case_id}/perpetrators", PERPETRATOR, 201),
        ("POST", f"/cases/{case_id}/status", {"cas_Status": "FollowUp"}, 200),
        ("POST", f"/cases/{case_id}/status", {"cas_Status": "Active"}, 200),
    ]
    for method, path, body, expected in steps:
        response = call(police, method, path, json=body)
        assert response.status_code == expected, (path, response.text)
    report = call(police, "GET", f"/reports/{report_id}").json()
    assert report["status"] == "in_case"

    case = call(police, "GET", f"/cases/{case_id}").json()
    assert case["cas_Status"] == "Active" and case["report_ids"] == [report_id]
    assert case["assignees"] == ["bob"] and case["created_by"] == "alice"
    assert [c["body"] for c in case["comments"]] == ["Asked the platform for logs."]
    assert [h["to_status"] for h in case["status_history"]] == ["Active", "FollowUp", "Active"]
    (victim,) = case["victims"]
    assert {key: victim[key] for key in VICTIM} == {
        **VICTIM,
        "vic_MethodsOfControl": ["RestrictsMovement", "Threats"],
    }
    assert case["perpetrators"][0]["per_RoleInProcess"] == ["Exploiter", "RecruiterOrIntermediary"]

    assert call(police, "DELETE", f"/cases/{case_id}/reports/{report_id}").status_code == 204
    assert call(police, "GET", f"/reports/{report_id}").json()["status"] == "triaged"
    assert call(police, "GET", f"/cases/{case_id}").json()["report_ids"] == []


def test_list_filters_and_pages(police: Node, backend: str) -> None:
    first, second, third = (open_case(police, f"case {n}") for n in range(3))
    call(police, "POST", f"/cases/{second}/assignees", json={"username": "bob"})
    call(police, "POST", f"/cases/{third}/status", json={"cas_Status": "Closed", "reason": "x"})

    def ids(query: str) -> list[str]:
        response = call(police, "GET", f"/cases{query}")
        assert response.status_code == 200, response.text
        return [case["id"] for case in response.json()]

    assert set(ids("")) == {first, second, third}
    assert ids("?status=Closed") == [third]
    assert set(ids("?status=Active")) == {first, second}
    assert ids("?assignee=bob") == [second]
    assert ids("?assignee=nobody") == []
    assert len(ids("?limit=2")) == 2 and len(ids("?limit=2&offset=2")) == 1
    assert set(ids("?limit=2") + ids("?limit=2&offset=2")) == {first, second, third}
    bad = call(police, "GET", "/cases?status=Open")
    assert bad.status_code == 422 and "'Active', 'FollowUp', 'Closed'" in bad.text


@pytest.mark.parametrize(
    ("user", "method", "path", "expected"),
    [
        ("platform", "GET", "/cases", 403),
        ("platform", "POST", "/cases", 403),
        ("ngo", "GET", "/cases", 403),
        (None, "GET", "/cases", 401),
    ],
)
def test_only_investigators_reach_cases(
    police: Node, backend: str, user: str | None, method: str, path: str, expected: int
) -> None:
    headers = police.headers(user) if user else {}
    response = police.client.request(method, API + path, headers=headers, json={"title": "t"})
    assert response.status_code == expected, response.text


def test_errors_are_clear_and_never_500(police: Node, backend: str) -> None:
    report_id = submit_report(police)
    case_id = open_case(police)
    call(police, "POST", f"/cases/{case_id}/reports", json={"report_id": report_id})
    call(police, "POST", f"/cases/{case_id}/assignees", json={"username": "bob"})
    cases = [
        ("GET", f"/cases/{uuid.uuid4()}", None, 404, "no case"),
        ("GET", "/cases/not-a-uuid", None, 422, "case_id"),
        ("POST", f"/cases/{case_id}/reports", {"report_id": str(uuid.uuid4())}, 404, "no report"),
        ("POST", f"/cases/{case_id}/reports", {"report_id": report_id}, 409, "already attached"),
        ("DELETE", f"/cases/{case_id}/reports/{uuid.uuid4()}", None, 404, "no report"),
        ("POST", f"/cases/{case_id}/assignees", {"username": "bob"}, 409, "already assigned"),
        ("POST", f"/cases/{case_id}/assignees", {"username": "platform"}, 422, "is a reporter"),
        ("POST", f"/cases/{case_id}/assignees", {"username": "ghost"}, 404, "no user named"),
        ("POST", f"/cases/{case_id}/status", {"cas_Status": "Active"}, 409, "already Active"),
        (
            "POST",
            f"/cases/{case_id}/status",
            {"cas_Status": "ClosedReferred"},
            422,
            "cas_ReferredOrganisation is required",
        ),
        ("POST", f"/cases/{case_id}/comments", {"body": ""}, 422, "body"),
        ("POST", "/cases", {"title": "t", "owner": "x"}, 422, "owner"),
    ]
    for method, path, body, expected, fragment in cases:
        response = call(police, method, path, json=body)
        assert response.status_code == expected, (path, body, response.text)
        assert fragment in response.text, (path, response.text)


def test_illegal_transition_is_409_and_names_the_allowed_moves(police: Node, backend: str) -> None:
    case_id = open_case(police)
    closed = call(police, "POST", f"/cases/{case_id}/status", json={"cas_Status": "Closed"})
    assert closed.status_code == 200 and closed.json()["cas_Status"] == "Closed"
    response = call(police, "POST", f"/cases/{case_id}/status", json={"cas_Status": "FollowUp"})
    assert response.status_code == 409
    assert (
        response.json()["detail"] == "a Closed case cannot move to FollowUp; it can move to Active"
    )
    no_reason = call(police, "POST", f"/cases/{case_id}/status", json={"cas_Status": "Active"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    victim = call(police, "POST", f"/cases/{case_id}/victims", json=VICTIM)
    assert victim.status_code == 409 and "reopen it" in victim.json()["detail"]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("vic_MethodOfRecruitment", ["ThroughTheInternet"], "'ThroughOnlineSocialNetworks'"),
        ("vic_MethodsOfControl", ["Blackmail"], "'DebtBondage'"),
        ("vic_Gender", "F", "'Female'"),
        ("vic_AgeBroad", "17", "'9--17'"),
        ("vic_Citizenship", "ESP", "alpha-2"),
        ("vic_RecruitmentWebsitesAndApps", "Instagram", "list"),
    ],
)
def test_htcds_values_are_checked(
    police: Node, backend: str, field: str, value: Any, allowed: str
) -> None:
    case_id = open_case(police)
    response = call(police, "POST", f"/cases/{case_id}/victims", json={field: value})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["field"].split(".")[0] == field
    assert allowed in error["message"]


def test_unknown_htcds_field_is_refused(police: Node, backend: str) -> None:
    case_id = open_case(police)
    misspelt = {"per_RoleInProces": ["Exploiter"]}
    response = call(police, "POST", f"/cases/{case_id}/perpetrators", json=misspelt)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "per_RoleInProces"


def test_person_search_finds_names_without_putting_them_in_urls(police: Node, backend: str) -> None:
    case_id = open_case(police)
    call(police, "POST", f"/cases/{case_id}/victims", json=VICTIM)
    response = call(police, "POST", "/cases/person-search", json={"name": "LUCÍA  inventada"})
    assert response.status_code == 200, response.text
    assert [(hit["case_id"], hit["role"]) for hit in response.json()] == [(case_id, "victim")]
    assert (
        call(
            police, "POST", "/cases/person-search", user="platform", json={"name": "x"}
        ).status_code
        == 403
    )


def test_audit_log_records_writes_and_personal_reads(police: Node, backend: str) -> None:
    report_id = submit_report(police)
    before = len(audit_actions(police))
    case_id = open_case(police)
    call(police, "POST", f"/cases/{case_id}/reports", json={"report_id": report_id})
    call(police, "POST", f"/cases/{case_id}/victims", json=VICTIM)
    call(police, "POST", f"/cases/{case_id}/comments", json={"body": "note"})
    call(police, "GET", "/cases")  # summaries carry no personal data: not a personal read
    call(police, "GET", f"/cases/{case_id}")
    call(police, "GET", f"/cases/{case_id}")
    assert audit_actions(police)[before:] == [
        "case.open",
        "report.status",
        "case.report.attach",
        "case.victim.add",
        "case.comment",
        "case.read",
        "case.read",
    ]
    failed = call(police, "POST", f"/cases/{case_id}/assignees", json={"username": "platform"})
    assert failed.status_code == 422
    with police.session() as session:
        assert audit.verify(session=session).ok
        reads = session.scalar(
            select(func.count()).where(
                AuditEvent.action == "case.read", AuditEvent.actor == "user:alice"
            )
        )
        assert reads == 2
    assert len(audit_actions(police)) == before + 7  # the refused write left nothing behind
