"""Report intake and reading: plain functions, no HTTP.

Intake is idempotent: the reporter's own report id and the ``Idempotency-Key`` are each unique
per organisation in the database, and the insert uses ``ON CONFLICT DO NOTHING``, so concurrent
retries of one report leave exactly one row and every retry gets the same receipt.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import Select, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.identifiers import service as identifiers
from tipnet.reports.models import Report, ReportFile, ReportPerson
from tipnet.reports.schemas import (
    URGENCY_RANK,
    Receipt,
    ReportCreate,
    ReportRead,
    ReportSummary,
    SelectorRead,
)

BODY_CONTEXT = "report.body"
REPORT_STATUSES = ("new", "triaged", "in_case", "dismissed")


@dataclass(frozen=True)
class Submitter:
    user_id: int
    organisation_id: int
    actor: Actor


def canonical_sha256(raw_body: Any) -> str:
    """SHA-256 of the RFC 8785 canonical JSON of what the reporter sent."""
    try:
        return hashlib.sha256(rfc8785.dumps(raw_body)).hexdigest()
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise InvalidInput(f"the body cannot be canonicalised as JSON: {error}") from error


def submit_report(
    *,
    session: Session,
    keyring: Keyring,
    submitter: Submitter,
    report: ReportCreate,
    raw_body: Any,
    idempotency_key: str | None = None,
) -> Receipt:
    body_sha256 = canonical_sha256(raw_body)
    existing = _find_existing(session, submitter.organisation_id, report, idempotency_key)
    if existing is not None:
        return _duplicate_receipt(existing, body_sha256, session=session)
    extraction = identifiers.extract_from_report(report)
    report_id = uuid.uuid4()
    received_at = utcnow()
    inserted = session.execute(
        _insert_ignoring_conflicts(session)
        .values(
            id=report_id,
            organisation_id=submitter.organisation_id,
            submitted_by=submitter.user_id,
            reporter_report_id=report.reporter.report_id,
            idempotency_key=idempotency_key,
            received_at=received_at,
            incident_type=report.incident.type.value,
            incident_time=report.incident.time,
            urgency=report.incident.urgency.value,
            urgency_rank=URGENCY_RANK[report.incident.urgency],
            platform=report.internet.platform,
            jurisdiction=",".join(report.jurisdiction),
            body_sha256=body_sha256,
            body_enc=keyring.encrypt(report.model_dump_json(), context=BODY_CONTEXT),
            status="new",
        )
        .returning(Report.id)
    ).scalar_one_or_none()
    if inserted is None:  # a concurrent retry of the same report won the race
        winner = _find_existing(session, submitter.organisation_id, report, idempotency_key)
        if winner is None:
            raise Conflict("this report collided with a concurrent submission; retry it")
        return _duplicate_receipt(winner, body_sha256, session=session)
    _insert_persons(session, keyring, report_id, report)
    _insert_files(session, report_id, report)
    count = identifiers.store(
        session=session, keyring=keyring, report_id=report_id, selectors=extraction.selectors
    )
    audit.record(
        session=session,
        actor=submitter.actor,
        action="report.submit",
        object_type="report",
        object_id=str(report_id),
        details={"body_sha256": body_sha256, "reporter_report_id": report.reporter.report_id},
    )
    return Receipt(
        report_id=report_id,
        received_at=received_at,
        body_sha256=body_sha256,
        duplicate=False,
        selectors=count,
        warnings=extraction.warnings,
    )


def get_receipt(*, session: Session, report_id: uuid.UUID, organisation_id: int | None) -> Receipt:
    """A reporter's receipt; ``organisation_id`` limits it to the reporter's own reports."""
    report = session.get(Report, report_id)
    if report is None or (
        organisation_id is not None and report.organisation_id != organisation_id
    ):
        raise NotFound(f"no report {report_id} from your organisation")
    return Receipt(
        report_id=report.id,
        received_at=report.received_at,
        body_sha256=report.body_sha256,
        duplicate=False,
        selectors=identifiers.count_for_report(session=session, report_id=report.id),
    )


def list_reports(
    *, session: Session, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[ReportSummary]:
    query = select(Report).order_by(Report.received_at.desc(), Report.id)
    if status is not None:
        query = query.where(Report.status == _checked_status(status))
    rows = session.scalars(query.limit(limit).offset(offset)).all()
    return [summarise(report) for report in rows]


def triage_queue(*, session: Session, limit: int = 50, offset: int = 0) -> list[ReportSummary]:
    rows = session.scalars(triage_order(select(Report).where(Report.status == "new")))
    return [summarise(report) for report in rows.all()[offset : offset + limit]]


def triage_order(query: Select[Report]) -> Select[Report]:
    """The order of the triage queue: the most urgent first, then the highest risk score (once
    detection sets one; unscored reports after scored ones of the same urgency), oldest first."""
    return query.order_by(
        Report.urgency_rank,
        Report.risk_score.desc().nulls_last(),
        Report.received_at,
        Report.id,
    )


def read_report(
    *, session: Session, keyring: Keyring, report_id: uuid.UUID, actor: Actor
) -> ReportRead:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    body = ReportCreate.model_validate_json(keyring.decrypt(report.body_enc, context=BODY_CONTEXT))
    selectors = [
        SelectorRead(kind=kind, value=value, source=source)
        for kind, value, source in identifiers.read_for_report(
            session=session, keyring=keyring, report_id=report.id
        )
    ]
    audit.record(
        session=session,
        actor=actor,
        action="report.read",
        object_type="report",
        object_id=str(report_id),
    )
    return ReportRead(
        **summarise(report).model_dump(),
        body_sha256=report.body_sha256,
        reporter_report_id=report.reporter_report_id,
        body=body,
        selectors=selectors,
    )


def set_status(
    *, session: Session, report_id: uuid.UUID, status: str, reason: str | None, actor: Actor
) -> ReportSummary:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    previous, report.status = report.status, _checked_status(status)
    audit.record(
        session=session,
        actor=actor,
        action="report.status",
        object_type="report",
        object_id=str(report_id),
        details={"from": previous, "to": report.status, "reason": reason},
    )
    return summarise(report)


def require_report(*, session: Session, report_id: uuid.UUID) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    return report


def summarise(report: Report) -> ReportSummary:
    return ReportSummary(
        id=report.id,
        received_at=report.received_at,
        organisation_id=report.organisation_id,
        incident_type=report.incident_type,
        incident_time=report.incident_time,
        urgency=report.urgency,
        platform=report.platform,
        jurisdiction=[code for code in report.jurisdiction.split(",") if code],
        status=report.status,
        risk_score=report.risk_score,
    )


def _checked_status(status: str) -> str:
    if status not in REPORT_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(REPORT_STATUSES)}, not {status!r}")
    return status


def _find_existing(
    session: Session, organisation_id: int, report: ReportCreate, idempotency_key: str | None
) -> Report | None:
    keys = []
    if report.reporter.report_id is not None:
        keys.append(Report.reporter_report_id == report.reporter.report_id)
    if idempotency_key is not None:
        keys.append(Report.idempotency_key == idempotency_key)
    if not keys:
        return None
    return session.scalars(
        select(Report).where(Report.organisation_id == organisation_id, or_(*keys)).limit(1)
    ).first()


def _duplicate_receipt(existing: Report, body_sha256: str, *, session: Session) -> Receipt:
    if existing.body_sha256 != body_sha256:
        raise Conflict(
            f"report {existing.id} was already received under this reporter report id or "
            f"Idempotency-Key with a different body (sha256 {existing.body_sha256}); "
            "send new information as a new report with its own id"
        )
    return Receipt(
        report_id=existing.id,
        received_at=existing.received_at,
        body_sha256=existing.body_sha256,
        duplicate=True,
        selectors=identifiers.count_for_report(session=session, report_id=existing.id),
    )


def _insert_ignoring_conflicts(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(Report).on_conflict_do_nothing()
    return sqlite.insert(Report).on_conflict_do_nothing()


def _insert_persons(
    session: Session, keyring: Keyring, report_id: uuid.UUID, report: ReportCreate
) -> None:
    rows: list[dict[str, Any]] = []
    for person in report.reported_persons:
        contact = {
            "phones": person.phones,
            "emails": person.emails,
            "accounts": [account.model_dump(exclude_none=True) for account in person.accounts],
        }
        rows.append(
            {
                "report_id": report_id,
                "role": "reported",
                "name_enc": keyring.encrypt_optional(person.name, context="person.name"),
                "name_index": _name_index(keyring, person.name),
                "date_of_birth_enc": keyring.encrypt_optional(
                    person.date_of_birth.isoformat() if person.date_of_birth else None,
                    context="person.date_of_birth",
                ),
                "contact_enc": keyring.encrypt(json.dumps(contact), context="person.contact"),
                "age_estimate": person.age_estimate,
                "is_minor": None,
                "sex": person.sex,
                "country": person.nationality,
            }
        )
    for victim in report.victims:
        rows.append(
            {
                "report_id": report_id,
                "role": "victim",
                "name_enc": keyring.encrypt_optional(victim.name, context="person.name"),
                "name_index": _name_index(keyring, victim.name),
                "date_of_birth_enc": None,
                "contact_enc": None,
                "age_estimate": victim.age_estimate,
                "is_minor": victim.is_minor,
                "sex": victim.sex,
                "country": victim.country,
            }
        )
    if rows:
        session.execute(insert(ReportPerson), rows)


def _name_index(keyring: Keyring, name: str | None) -> str | None:
    return None if name is None else keyring.blind_index(name, context="person.name")


def _insert_files(session: Session, report_id: uuid.UUID, report: ReportCreate) -> None:
    rows = [
        {
            "report_id": report_id,
            **file.model_dump(include={"sha256", "md5", "pdq", "pdq_quality", "media_type"}),
        }
        for file in report.files
    ]
    if rows:
        session.execute(insert(ReportFile), rows)
