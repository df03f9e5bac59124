"""Case management for investigators: plain functions, no HTTP.

A case moves along HTCDS ``cas_Status`` by the transitions in :data:`TRANSITIONS`; every move is
kept in the status history. Writes lock the case row first (``FOR UPDATE`` on PostgreSQL; SQLite
already serialises writers with ``BEGIN IMMEDIATE``), so the checks below cannot race each other.
Every write ends with one audit record, and so does every read that decrypts personal data.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.models import User
from tipnet.auth.permissions import Role
from tipnet.auth.service import Principal
from tipnet.cases import persons
from tipnet.cases.htcds import CaseStatus
from tipnet.cases.models import (
    Case,
    CaseAssignee,
    CaseComment,
    CaseReport,
    CaseStatusChange,
)
from tipnet.cases.schemas import (
    AssigneeRead,
    CaseCreate,
    CaseRead,
    CaseReportRead,
    CaseSummary,
    CommentRead,
    PerpetratorCreate,
    PerpetratorRead,
    PersonFields,
    PersonHit,
    StatusChange,
    StatusHistoryRead,
    VictimCreate,
    VictimRead,
)
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.reports import service as reports
from tipnet.reports.models import Report

ACTIVE, FOLLOW_UP = CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP
CLOSED, CLOSED_REFERRED = CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED
OPEN = frozenset({ACTIVE, FOLLOW_UP})
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    ACTIVE: (FOLLOW_UP, CLOSED, CLOSED_REFERRED),
    FOLLOW_UP: (ACTIVE, CLOSED, CLOSED_REFERRED),
    CLOSED: (ACTIVE,),  # reopening needs a reason
    CLOSED_REFERRED: (ACTIVE,),
}
COMMENT_CONTEXT = "case.comment.body"
TITLE_CONTEXT = "case.title"
CLOSURE_REASON_CONTEXT = "case.closure_reason"
REFERRED_CONTEXT = "case.referred_organisation"
STATUS_REASON_CONTEXT = "case.status.reason"


def open_case(
    *, session: Session, keyring: Keyring, principal: Principal, case: CaseCreate
) -> CaseSummary:
    title_enc = keyring.encrypt(case.title, context=TITLE_CONTEXT)
    row = Case(id=uuid.uuid4(), title_enc=title_enc, status=ACTIVE, created_by=principal.user_id)
    session.add(row)
    session.flush()
    _record_status(session, keyring, row, None, "case opened", principal)
    details = {"title": keyring.audit_note(case.title, context=TITLE_CONTEXT)}
    return _audited(session, keyring, principal.actor, "case.open", row, details)


def list_cases(
    *,
    session: Session,
    keyring: Keyring,
    status: CaseStatus | None = None,
    assignee: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[CaseSummary]:
    """Cases, most recently changed first; no personal data, so not audited. Titles are
    encrypted, so the order and filters never look at them."""
    query = select(Case).order_by(Case.updated_at.desc(), Case.id)
    if status is not None:
        query = query.where(Case.status == status.value)
    if assignee is not None:
        assigned = select(CaseAssignee.case_id).join(User, User.id == CaseAssignee.user_id)
        query = query.where(Case.id.in_(assigned.where(User.username == assignee)))
    return _summaries(session, keyring, session.scalars(query.limit(limit).offset(offset)).all())


def read_case(*, session: Session, keyring: Keyring, case_id: uuid.UUID, actor: Actor) -> CaseRead:
    """One case in full, with its victims and perpetrators decrypted: an audited read."""
    case = _require(session, case_id)
    people = persons.of_case(session, keyring, case_id)
    result = CaseRead.model_validate(
        {
            **_summaries(session, keyring, [case])[0].model_dump(),
            "cas_ReasonForCaseClosure": keyring.decrypt_optional(
                case.closure_reason_enc, context=CLOSURE_REASON_CONTEXT
            ),
            "cas_ReferredOrganisation": keyring.decrypt_optional(
                case.referred_organisation_enc, context=REFERRED_CONTEXT
            ),
            "cas_ReasonForOutgoingReferral": case.referral_reason,
            "cas_OutgoingReferralDate": case.referral_date,
            "report_ids": session.scalars(
                select(CaseReport.report_id)
                .where(CaseReport.case_id == case_id)
                .order_by(CaseReport.attached_at)
            ).all(),
            "comments": _comments(session, keyring, case_id),
            "status_history": _history(session, keyring, case_id),
            "victims": [data for role, data in people if role == "victim"],
            "perpetrators": [data for role, data in people if role == "perpetrator"],
        }
    )
    details = {"victims": len(result.victims), "perpetrators": len(result.perpetrators)}
    _audit(session, actor, "case.read", case_id, details)
    return result


def change_status(
    *,
    session: Session,
    keyring: Keyring,
    case_id: uuid.UUID,
    change: StatusChange,
    principal: Principal,
) -> CaseSummary:
    case = _require(session, case_id, for_update=True)
    current, target = CaseStatus(case.status), change.status
    if target is current:
        raise Conflict(f"case {case_id} is already {current}")
    if target not in TRANSITIONS[current]:
        allowed = " or ".join(TRANSITIONS[current])
        raise Conflict(f"a {current} case cannot move to {target}; it can move to {allowed}")
    if current not in OPEN and change.reason is None:
        raise InvalidInput(f"give a reason to reopen a {current} case")
    _apply_status(keyring, case, change)
    _record_status(session, keyring, case, current, change.reason, principal)
    details = {
        "from": current.value,
        "to": target.value,
        "reason": keyring.audit_note(change.reason, context=STATUS_REASON_CONTEXT),
    }
    return _audited(session, keyring, principal.actor, "case.status", case, details)


def attach_report(
    *,
    session: Session,
    keyring: Keyring,
    case_id: uuid.UUID,
    report_id: uuid.UUID,
    principal: Principal,
) -> CaseReportRead:
    """Attach a report; it becomes ``in_case``. A report may belong to several cases."""
    case = _require_open(session, case_id, "attach reports")
    report = _lock_report(session, report_id)
    if session.get(CaseReport, (case_id, report_id)) is not None:
        raise Conflict(f"report {report_id} is already attached to case {case_id}")
    link = CaseReport(case_id=case_id, report_id=report_id, attached_by=principal.user_id)
    session.add(link)
    case.updated_at = utcnow()
    session.flush()
    if report.status != "in_case":
        reason = f"attached to case {case_id}"
        _set_report_status(session, keyring, report_id, "in_case", reason, principal)
    _audit(session, principal.actor, "case.report.attach", case_id, {"report_id": str(report_id)})
    return CaseReportRead(
        report_id=report_id, attached_at=link.attached_at, attached_by=principal.username
    )


def detach_report(
    *,
    session: Session,
    keyring: Keyring,
    case_id: uuid.UUID,
    report_id: uuid.UUID,
    principal: Principal,
) -> None:
    """Detach a report; once it is in no case it goes back to ``triaged`` (not ``new``: an
    investigator has looked at it)."""
    case = _require_open(session, case_id, "detach reports")
    _lock_report(session, report_id)  # so two cases letting go of one report cannot race
    link = session.get(CaseReport, (case_id, report_id))
    if link is None:
        raise NotFound(f"report {report_id} is not attached to case {case_id}")
    session.delete(link)
    case.updated_at = utcnow()
    session.flush()
    if session.scalar(select(CaseReport.case_id).where(CaseReport.report_id == report_id)) is None:
        reason = f"detached from case {case_id}"
        _set_report_status(session, keyring, report_id, "triaged", reason, principal)
    _audit(session, principal.actor, "case.report.detach", case_id, {"report_id": str(report_id)})


def assign(
    *, session: Session, case_id: uuid.UUID, username: str, principal: Principal
) -> AssigneeRead:
    case = _require_open(session, case_id, "assign investigators")
    user = auth_service.get_user_by_name(session=session, username=username)
    if user.role != Role.INVESTIGATOR.value or not user.active:
        kind = f"a {user.role}" if user.active else "deactivated"
        raise InvalidInput(
            f"user {username!r} is {kind}; only active investigators can be assigned to a case"
        )
    if session.get(CaseAssignee, (case_id, user.id)) is not None:
        raise Conflict(f"{username!r} is already assigned to case {case_id}")
    row = CaseAssignee(case_id=case_id, user_id=user.id, assigned_by=principal.user_id)
    session.add(row)
    case.updated_at = utcnow()
    session.flush()
    _audit(session, principal.actor, "case.assign", case_id, {"username": username})
    return AssigneeRead(
        username=username, assigned_at=row.assigned_at, assigned_by=principal.username
    )


def add_comment(
    *, session: Session, keyring: Keyring, case_id: uuid.UUID, body: str, principal: Principal
) -> CommentRead:
    """Comments are allowed on closed cases too: notes about a closed case still belong to it."""
    case = _require(session, case_id, for_update=True)
    body_enc = keyring.encrypt(body, context=COMMENT_CONTEXT)
    row = CaseComment(case_id=case_id, author_id=principal.user_id, body_enc=body_enc)
    session.add(row)
    case.updated_at = utcnow()
    session.flush()
    _audit(session, principal.actor, "case.comment", case_id, {"comment_id": row.id})
    return CommentRead(id=row.id, author=principal.username, created_at=row.created_at, body=body)


def add_victim(
    *,
    session: Session,
    keyring: Keyring,
    case_id: uuid.UUID,
    victim: VictimCreate,
    principal: Principal,
) -> VictimRead:
    stored = _add_person(session, keyring, principal, case_id, "victim", victim)
    return VictimRead.model_validate(stored)


def add_perpetrator(
    *,
    session: Session,
    keyring: Keyring,
    case_id: uuid.UUID,
    perpetrator: PerpetratorCreate,
    principal: Principal,
) -> PerpetratorRead:
    stored = _add_person(session, keyring, principal, case_id, "perpetrator", perpetrator)
    return PerpetratorRead.model_validate(stored)


def find_person(*, session: Session, keyring: Keyring, name: str, actor: Actor) -> list[PersonHit]:
    """Victims and perpetrators recorded under exactly this full name. Audited with the number
    of hits, never the name."""
    hits = persons.find(session=session, keyring=keyring, name=name)
    _audit(session, actor, "case.person_search", None, {"hits": len(hits)}, "case_person")
    return hits


def _add_person(
    session: Session,
    keyring: Keyring,
    principal: Principal,
    case_id: uuid.UUID,
    role: str,
    person: PersonFields,
) -> dict[str, Any]:
    case = _require_open(session, case_id, f"add a {role}")
    stored = persons.store(session, keyring, principal, case_id, role, person)
    case.updated_at = utcnow()
    _audit(session, principal.actor, f"case.{role}.add", case_id, {"person_id": stored["id"]})
    return stored


def _require(session: Session, case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    query = select(Case).where(Case.id == case_id)
    case = session.scalars(query.with_for_update() if for_update else query).one_or_none()
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def _require_open(session: Session, case_id: uuid.UUID, doing: str) -> Case:
    case = _require(session, case_id, for_update=True)
    if CaseStatus(case.status) not in OPEN:
        raise Conflict(
            f"case {case_id} is {case.status}; reopen it (cas_Status Active, with a "
            f"reason) before you {doing}"
        )
    return case


def _lock_report(session: Session, report_id: uuid.UUID) -> Report:
    query = select(Report).where(Report.id == report_id).with_for_update()
    report = session.scalars(query).one_or_none()
    if report is None:
        raise NotFound(f"no report {report_id}; attach reports by the id on their receipt")
    return report


def _set_report_status(
    session: Session,
    keyring: Keyring,
    report_id: uuid.UUID,
    status: str,
    reason: str,
    principal: Principal,
) -> None:
    reports.set_status(
        session=session,
        keyring=keyring,
        report_id=report_id,
        status=status,
        reason=reason,
        actor=principal.actor,
    )


def _apply_status(keyring: Keyring, case: Case, change: StatusChange) -> None:
    case.status, case.updated_at = change.status.value, utcnow()
    if change.status in OPEN:
        case.closure_reason_enc = None  # reopened: the closure no longer describes the case
        return
    case.closure_reason_enc = keyring.encrypt_optional(
        change.reason, context=CLOSURE_REASON_CONTEXT
    )
    if change.status is CLOSED_REFERRED:
        case.referred_organisation_enc = keyring.encrypt_optional(
            change.referred_organisation, context=REFERRED_CONTEXT
        )
        case.referral_reason = change.referral_reason
        case.referral_date = case.updated_at


def _record_status(
    session: Session,
    keyring: Keyring,
    case: Case,
    previous: str | None,
    reason: str | None,
    principal: Principal,
) -> None:
    session.add(
        CaseStatusChange(
            case_id=case.id,
            from_status=previous,
            to_status=case.status,
            reason_enc=keyring.encrypt_optional(reason, context=STATUS_REASON_CONTEXT),
            changed_by=principal.user_id,
        )
    )
    session.flush()


def _audited(
    session: Session,
    keyring: Keyring,
    actor: Actor,
    action: str,
    case: Case,
    details: dict[str, Any],
) -> CaseSummary:
    summary = _summaries(session, keyring, [case])[
        0
    ]  # read before the audit record, which comes last
    _audit(session, actor, action, case.id, details)
    return summary


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    case_id: uuid.UUID | None,
    details: dict[str, Any],
    object_type: str = "case",
) -> None:
    object_id = None if case_id is None else str(case_id)
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )


def _summaries(session: Session, keyring: Keyring, cases: Sequence[Case]) -> list[CaseSummary]:
    ids = [case.id for case in cases]
    assignees: dict[uuid.UUID, list[str]] = defaultdict(list)
    query = select(CaseAssignee.case_id, User.username).join(User, User.id == CaseAssignee.user_id)
    for case_id, username in session.execute(
        query.where(CaseAssignee.case_id.in_(ids)).order_by(CaseAssignee.assigned_at)
    ):
        assignees[case_id].append(username)
    count = select(CaseReport.case_id, func.count()).where(CaseReport.case_id.in_(ids))
    counts = dict(session.execute(count.group_by(CaseReport.case_id)).all())
    creators = _usernames(session, {case.created_by for case in cases})
    return [
        CaseSummary(
            id=case.id,
            title=keyring.decrypt(case.title_enc, context=TITLE_CONTEXT),
            cas_Status=CaseStatus(case.status),
            created_at=case.created_at,
            created_by=creators[case.created_by],
            updated_at=case.updated_at,
            assignees=assignees[case.id],
            report_count=counts.get(case.id, 0),
        )
        for case in cases
    ]


def _usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    query = select(User.id, User.username).where(User.id.in_(user_ids))
    return dict(session.execute(query).all())


def _comments(session: Session, keyring: Keyring, case_id: uuid.UUID) -> list[CommentRead]:
    query = select(CaseComment, User.username).join(User, User.id == CaseComment.author_id)
    rows = session.execute(query.where(CaseComment.case_id == case_id).order_by(CaseComment.id))
    return [
        CommentRead(
            id=row.id,
            author=user,
            created_at=row.created_at,
            body=keyring.decrypt(row.body_enc, context=COMMENT_CONTEXT),
        )
        for row, user in rows
    ]


def _history(session: Session, keyring: Keyring, case_id: uuid.UUID) -> list[StatusHistoryRead]:
    changes = CaseStatusChange
    query = select(changes, User.username).join(User, User.id == changes.changed_by)
    rows = session.execute(query.where(changes.case_id == case_id).order_by(changes.id))
    return [
        StatusHistoryRead(
            from_status=row.from_status,
            to_status=row.to_status,
            reason=keyring.decrypt_optional(row.reason_enc, context=STATUS_REASON_CONTEXT),
            changed_by=user,
            changed_at=row.changed_at,
        )
        for row, user in rows
    ]
