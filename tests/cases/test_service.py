"""Case management through the service layer, on SQLite and PostgreSQL. Fictional people only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import Node
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.auth.service import Principal
from tipnet.cases import service
from tipnet.cases.htcds import CaseStatus
from tipnet.cases.schemas import CaseCreate, PerpetratorCreate, StatusChange, VictimCreate
from tipnet.crypto import Keyring
from tipnet.db import transaction
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.reports import service as report_service
from tipnet.reports.examples import example_reports
from tipnet.reports.models import Report
from tipnet.reports.schemas import ReportCreate

VICTIM = {
    "prs_FirstName": "Ana María",
    "prs_SecondName": "Ficticia",
    "prs_Birthdate": "2007-03-14",
    "prs_MobilePhone": "+34 600 000 001",
    "vic_Gender": "Female",
    "vic_AgeBroad": "18--20",
    "vic_Citizenship": "ph",
    "vic_MethodOfRecruitment": ["ThroughOnlineSocialNetworks", "ThroughOnlineSocialNetworks"],
    "vic_RecruitmentWebsitesAndApps": ["Instagram", "WhatsApp"],
    "vic_MethodsOfControl": ["WithholdsDocuments", "DebtBondage"],
    "vic_TypeOfExploitation": ["ForcedLabour"],
    "vic_ForcedLabourIndustry": ["I_AccommodationAndFoodServiceActivities"],
}
PERPETRATOR = {
    "prs_FirstName": "Imaginary",
    "prs_SecondName": "Recruiter",
    "per_Gender": "Male",
    "per_Citizenship": "ES",
    "per_RoleInProcess": ["RecruiterOrIntermediary"],
    "per_RoleDetails": "Posted the hostess job offer and kept the passports.",
}


@pytest.fixture
def police(node: Node) -> Node:
    node.user("alice", Role.INVESTIGATOR, org="Police")
    node.user("bob", Role.INVESTIGATOR, org="Police")
    node.user("platform", Role.REPORTER, org="Platform")
    return node


@pytest.fixture
def session(police: Node) -> Iterator[Session]:
    """One transaction per test, committed at the end, like one request."""
    with transaction(police.session_factory) as session:
        yield session


def principal(session: Session, username: str) -> Principal:
    user = auth_service.get_user_by_name(session=session, username=username)
    return Principal(user.id, user.username, user.organisation_id, Role(user.role), "127.0.0.1")


def submit_reports(node: Node, session: Session, count: int) -> list[uuid.UUID]:
    reporter = auth_service.get_user_by_name(session=session, username="platform")
    actor = Actor("user:platform", reporter.organisation_id)
    submitter = report_service.Submitter(reporter.id, reporter.organisation_id, actor)
    return [
        report_service.submit_report(
            session=session,
            keyring=node.keyring,
            submitter=submitter,
            report=ReportCreate.model_validate(body),
            raw_body=body,
        ).report_id
        for body in example_reports(count, seed=11, prefix=f"svc-{uuid.uuid4().hex[:6]}")
    ]


def new_case(
    keyring: Keyring, session: Session, title: str = "Hostess job offers abroad"
) -> uuid.UUID:
    alice = principal(session, "alice")
    case = CaseCreate(title=title)
    return service.open_case(session=session, keyring=keyring, principal=alice, case=case).id


def move(keyring: Keyring, session: Session, case_id: uuid.UUID, **change: str) -> None:
    service.change_status(
        session=session,
        keyring=keyring,
        case_id=case_id,
        principal=principal(session, "alice"),
        change=StatusChange.model_validate(change),
    )


def test_full_lifecycle(police: Node, backend: str, session: Session) -> None:
    alice = principal(session, "alice")
    (report_id,) = submit_reports(police, session, 1)
    case_id = new_case(police.keyring, session)
    service.attach_report(
        session=session,
        keyring=police.keyring,
        case_id=case_id,
        report_id=report_id,
        principal=alice,
    )
    assert session.scalar(select(Report.status).where(Report.id == report_id)) == "in_case"
    service.assign(session=session, case_id=case_id, username="bob", principal=alice)
    service.add_comment(
        session=session,
        keyring=police.keyring,
        case_id=case_id,
        body="Spoke to the platform's trust team.",
        principal=alice,
    )
    victim = service.add_victim(
        session=session,
        keyring=police.keyring,
        case_id=case_id,
        victim=VictimCreate.model_validate(VICTIM),
        principal=alice,
    )
    service.add_perpetrator(
        session=session,
        keyring=police.keyring,
        case_id=case_id,
        principal=alice,
        perpetrator=PerpetratorCreate.model_validate(PERPETRATOR),
    )
    move(police.keyring, session, case_id, cas_Status="FollowUp")
    move(
        police.keyring,
        session,
        case_id,
        cas_Status="Closed",
        reason="Victim supported; no prosecution.",
    )
    move(
        police.keyring,
        session,
        case_id,
        cas_Status="Active",
        reason="New report about the same recruiter.",
    )
    move(
        police.keyring,
        session,
        case_id,
        cas_Status="ClosedReferred",
        cas_ReferredOrganisation="Example NGO",
        cas_ReasonForOutgoingReferral="AdditionalServicesRequired",
    )

    case = service.read_case(
        session=session, keyring=police.keyring, case_id=case_id, actor=alice.actor
    )
    assert case.status is CaseStatus.CLOSED_REFERRED
    assert case.report_ids == [report_id] and case.report_count == 1
    assert case.assignees == ["bob"]
    assert [(c.author, c.body) for c in case.comments] == [
        ("alice", "Spoke to the platform's trust team.")
    ]
    assert [(h.from_status, h.to_status) for h in case.status_history] == [
        (None, "Active"),
        ("Active", "FollowUp"),
        ("FollowUp", "Closed"),
        ("Closed", "Active"),
        ("Active", "ClosedReferred"),
    ]
    assert case.status_history[3].reason == "New report about the same recruiter."
    assert case.referred_organisation == "Example NGO" and case.referral_date is not None
    (read_victim,) = case.victims
    assert read_victim.id == victim.id
    assert read_victim.first_name == "Ana María" and str(read_victim.birthdate) == "2007-03-14"
    assert read_victim.citizenship == "PH"  # HTCDS uses ISO 3166 alpha-2, upper case
    assert read_victim.method_of_recruitment == ["ThroughOnlineSocialNetworks"]  # deduplicated
    assert sorted(read_victim.methods_of_control) == ["DebtBondage", "WithholdsDocuments"]
    (read_perpetrator,) = case.perpetrators
    assert read_perpetrator.role_details == PERPETRATOR["per_RoleDetails"]
    assert read_perpetrator.role_in_process == ["RecruiterOrIntermediary"]


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "Active"),  # already Active
        (("Closed",), "FollowUp"),
        (("Closed",), "ClosedReferred"),
        (("FollowUp", "Closed"), "Closed"),
    ],
)
def test_illegal_transitions_are_conflicts(
    police: Node, backend: str, session: Session, path: tuple[str, ...], target: str
) -> None:
    case_id = new_case(police.keyring, session)
    for status in path:
        move(police.keyring, session, case_id, cas_Status=status, reason="step")
    referral = {"cas_ReferredOrganisation": "Example NGO"} if target == "ClosedReferred" else {}
    with pytest.raises(Conflict, match=f"cannot move to {target}|already {target}"):
        move(police.keyring, session, case_id, cas_Status=target, reason="not allowed", **referral)


def test_reopening_needs_a_reason(police: Node, backend: str, session: Session) -> None:
    case_id = new_case(police.keyring, session)
    move(police.keyring, session, case_id, cas_Status="Closed")
    with pytest.raises(InvalidInput, match="reason to reopen"):
        move(police.keyring, session, case_id, cas_Status="Active")


def test_closed_case_refuses_changes_but_takes_comments(
    police: Node, backend: str, session: Session
) -> None:
    alice = principal(session, "alice")
    (report_id,) = submit_reports(police, session, 1)
    case_id = new_case(police.keyring, session)
    move(police.keyring, session, case_id, cas_Status="Closed", reason="done")
    with pytest.raises(Conflict, match="reopen it"):
        service.attach_report(
            session=session,
            keyring=police.keyring,
            case_id=case_id,
            report_id=report_id,
            principal=alice,
        )
    with pytest.raises(Conflict, match="reopen it"):
        service.add_victim(
            session=session,
            keyring=police.keyring,
            case_id=case_id,
            victim=VictimCreate.model_validate(VICTIM),
            principal=alice,
        )
    comment = service.add_comment(
        session=session,
        keyring=police.keyring,
        case_id=case_id,
        body="Closing note.",
        principal=alice,
    )
    assert comment.author == "alice"


def test_assigning_needs_an_active_investigator(
    police: Node, backend: str, session: Session
) -> None:
    alice = principal(session, "alice")
    case_id = new_case(police.keyring, session)
    with pytest.raises(InvalidInput, match="'platform' is a reporter; only active investigators"):
        service.assign(session=session, case_id=case_id, username="platform", principal=alice)
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        service.assign(session=session, case_id=case_id, username="nobody", principal=alice)
    service.assign(session=session, case_id=case_id, username="bob", principal=alice)
    with pytest.raises(Conflict, match="already assigned"):
        service.assign(session=session, case_id=case_id, username="bob", principal=alice)


def test_report_leaves_in_case_only_when_detached_from_every_case(
    police: Node, backend: str, session: Session
) -> None:
    alice = principal(session, "alice")
    (report_id,) = submit_reports(police, session, 1)
    first, second = (
        new_case(police.keyring, session, "first"),
        new_case(police.keyring, session, "second"),
    )
    for case_id in (first, second):
        service.attach_report(
            session=session,
            keyring=police.keyring,
            case_id=case_id,
            report_id=report_id,
            principal=alice,
        )
    with pytest.raises(Conflict, match="already attached"):
        service.attach_report(
            session=session,
            keyring=police.keyring,
            case_id=first,
            report_id=report_id,
            principal=alice,
        )
    report = session.get(Report, report_id)
    assert report is not None
    service.detach_report(
        session=session, keyring=police.keyring, case_id=first, report_id=report_id, principal=alice
    )
    assert report.status == "in_case"
    service.detach_report(
        session=session,
        keyring=police.keyring,
        case_id=second,
        report_id=report_id,
        principal=alice,
    )
    assert report.status == "triaged"
    with pytest.raises(NotFound, match="not attached"):
        service.detach_report(
            session=session,
            keyring=police.keyring,
            case_id=second,
            report_id=report_id,
            principal=alice,
        )
    with pytest.raises(NotFound, match="no report"):
        service.attach_report(
            session=session,
            keyring=police.keyring,
            case_id=first,
            report_id=uuid.uuid4(),
            principal=alice,
        )


def test_personal_fields_are_encrypted_and_codes_stored_plainly(police: Node, backend: str) -> None:
    with transaction(police.session_factory) as session:
        alice = principal(session, "alice")
        case_id = new_case(police.keyring, session)
        service.add_victim(
            session=session,
            keyring=police.keyring,
            case_id=case_id,
            victim=VictimCreate.model_validate(VICTIM),
            principal=alice,
        )
        service.add_comment(
            session=session,
            keyring=police.keyring,
            case_id=case_id,
            body="Ficticia was seen in Valencia.",
            principal=alice,
        )
    with police.session() as session:
        raw = session.execute(
            text(
                "SELECT name_enc, name_index, birthdate_enc, contact_enc, gender, age_broad, "
                "citizenship FROM case_persons"
            )
        ).one()
        comment = session.execute(text("SELECT body_enc FROM case_comments")).scalar_one()
        codes = session.execute(
            text("SELECT field, value FROM case_person_codes ORDER BY field, value")
        ).all()
    name_enc, name_index, birthdate_enc, contact_enc, gender, age_broad, citizenship = raw
    stored = b"".join(bytes(value) for value in (name_enc, birthdate_enc, contact_enc, comment))
    for plaintext in ("Ana", "Ficticia", "2007-03-14", "600 000 001", "Valencia"):
        assert plaintext.encode() not in stored
    assert "Ficticia" not in name_index and len(name_index) == 64
    assert (gender, age_broad, citizenship) == ("Female", "18--20", "PH")
    assert ("vic_MethodsOfControl", "DebtBondage") in [tuple(row) for row in codes]
    assert ("vic_RecruitmentWebsitesAndApps", "Instagram") in [tuple(row) for row in codes]


def test_find_person_by_blind_index(police: Node, backend: str, session: Session) -> None:
    alice = principal(session, "alice")
    first, second = (
        new_case(police.keyring, session, "first"),
        new_case(police.keyring, session, "second"),
    )
    service.add_victim(
        session=session,
        keyring=police.keyring,
        case_id=first,
        victim=VictimCreate.model_validate(VICTIM),
        principal=alice,
    )
    service.add_perpetrator(
        session=session,
        keyring=police.keyring,
        case_id=second,
        principal=alice,
        perpetrator=PerpetratorCreate.model_validate(
            {"prs_FirstName": "Ana  MARÍA", "prs_SecondName": "ficticia"}
        ),
    )
    hits = service.find_person(
        session=session, keyring=police.keyring, name="ana maría ficticia", actor=alice.actor
    )
    assert [(hit.case_id, hit.role) for hit in hits] == [(first, "victim"), (second, "perpetrator")]
    assert (
        service.find_person(
            session=session, keyring=police.keyring, name="Ana María", actor=alice.actor
        )
        == []
    )
    searches = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.person_search")
    ).all()
    assert len(searches) == 2 and all("Ana" not in event.details for event in searches)


def test_writes_and_personal_reads_are_audited(police: Node, backend: str) -> None:
    with transaction(police.session_factory) as session:
        alice = principal(session, "alice")
        case_id = new_case(police.keyring, session)
        service.add_victim(
            session=session,
            keyring=police.keyring,
            case_id=case_id,
            victim=VictimCreate.model_validate(VICTIM),
            principal=alice,
        )
        move(police.keyring, session, case_id, cas_Status="FollowUp")
        service.read_case(
            session=session, keyring=police.keyring, case_id=case_id, actor=alice.actor
        )
    with police.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(case_id)).order_by(AuditEvent.seq)
        ).all()
        assert [event.action for event in events] == [
            "case.open",
            "case.victim.add",
            "case.status",
            "case.read",
        ]
        assert all(event.actor == "user:alice" for event in events)
        assert "Ana" not in "".join(event.details for event in events)
        assert audit.verify(session=session).ok
