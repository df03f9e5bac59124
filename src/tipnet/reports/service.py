"""Reports: filing one (see :mod:`tipnet.reports.intake` for the batch path), reading,
triage and status. Plain functions, no HTTP."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.errors import InvalidInput, NotFound, TipnetError
from tipnet.identifiers import service as identifiers
from tipnet.reports import intake
from tipnet.reports.intake import BODY_CONTEXT, Submitter, canonical_sha256
from tipnet.reports.models import Report, ReportStatusChange
from tipnet.reports.schemas import (
    Receipt,
    ReportCreate,
    ReportRead,
    ReportSummary,
    RiskIndicator,
    RiskRead,
    RiskSpan,
    SelectorRead,
    SelectorSearch,
    SelectorSearchResult,
    StatusHistoryRead,
)

__all__ = ["Submitter", "canonical_sha256", "submit_report"]

REPORT_STATUSES = ("new", "triaged", "in_case", "dismissed")
STATUS_REASON_CONTEXT = "report.status.reason"


def submit_report(
    *,
    session: Session,
    keyring: Keyring,
    submitter: Submitter,
    report: ReportCreate,
    raw_body: Any,
    idempotency_key: str | None = None,
) -> Receipt:
    """File one report in the session's transaction (the batch path, with a batch of one)."""
    prepared = intake.prepare(
        keyring=keyring,
        submitter=submitter,
        report=report,
        raw_body=raw_body,
        idempotency_key=idempotency_key,
    )
    [result] = intake.write(session=session, batch=[prepared])
    if isinstance(result, TipnetError):
        raise result
    return result


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
    query = triage_order(select(Report).where(Report.status == "new"))
    return [summarise(report) for report in session.scalars(query.limit(limit).offset(offset))]


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
        risk=_risk_read(report, body),
        status_history=_history(session, keyring, report.id),
    )


def _risk_read(report: Report, body: ReportCreate) -> RiskRead | None:
    """The stored explanation with each span's text taken back from the decrypted summary."""
    if report.risk_score is None or report.risk_explanation is None:
        return None
    explanation = json.loads(report.risk_explanation)
    texts = {"incident.summary": body.incident.summary}
    indicators = [
        RiskIndicator(
            id=found["id"],
            name=found["name"],
            weight=found["weight"],
            field=found["field"],
            spans=[
                RiskSpan(start=start, end=end, text=texts.get(found["field"], "")[start:end])
                for start, end in found["spans"]
            ],
        )
        for found in explanation["indicators"]
    ]
    return RiskRead(
        score=report.risk_score,
        method=explanation["method"],
        catalogue_version=explanation["catalogue_version"],
        indicators=indicators,
    )


def search_by_selector(
    *, session: Session, keyring: Keyring, query: SelectorSearch, actor: Actor, limit: int = 200
) -> SelectorSearchResult:
    """Reports that carry the selector, found through its blind index (nothing decrypted)."""
    found = identifiers.normalise_one(
        kind=query.kind, value=query.value, country=query.country, platform=query.platform
    )
    if not found:
        raise InvalidInput(f"no {query.kind} could be read from {query.value!r}")
    selector = found[0]
    report_ids = identifiers.reports_with_selector(
        session=session, keyring=keyring, kind=selector.kind.value, value=selector.value
    )
    rows = (
        session.scalars(
            select(Report)
            .where(Report.id.in_(report_ids))
            .order_by(Report.received_at)
            .limit(limit)
        ).all()
        if report_ids
        else []
    )
    audit.record(
        session=session,
        actor=actor,
        action="report.search",
        object_type="selector",
        details={
            "kind": selector.kind.value,
            "hits": len(report_ids),
            "index": identifiers.index_value(keyring, selector.kind.value, selector.value),
        },
    )
    return SelectorSearchResult(
        kind=selector.kind.value,
        normalised=selector.value,
        reports=[summarise(report) for report in rows],
    )


def set_status(
    *,
    session: Session,
    report_id: uuid.UUID,
    status: str,
    reason: str | None,
    actor: Actor,
    keyring: Keyring,
) -> ReportSummary:
    """Move a report; the reason is kept encrypted in its status history, and the audit log
    notes only its length and keyed digest."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    previous, report.status = report.status, _checked_status(status)
    session.add(
        ReportStatusChange(
            report_id=report_id,
            from_status=previous,
            to_status=report.status,
            reason_enc=keyring.encrypt_optional(reason, context=STATUS_REASON_CONTEXT),
            changed_by=actor.name,
        )
    )
    note = None if keyring is None else keyring.audit_note(reason, context=STATUS_REASON_CONTEXT)
    audit.record(
        session=session,
        actor=actor,
        action="report.status",
        object_type="report",
        object_id=str(report_id),
        details={"from": previous, "to": report.status, "reason": note},
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


def _history(session: Session, keyring: Keyring, report_id: uuid.UUID) -> list[StatusHistoryRead]:
    changes = session.scalars(
        select(ReportStatusChange)
        .where(ReportStatusChange.report_id == report_id)
        .order_by(ReportStatusChange.id)
    )
    return [
        StatusHistoryRead(
            from_status=change.from_status,
            to_status=change.to_status,
            reason=keyring.decrypt_optional(change.reason_enc, context=STATUS_REASON_CONTEXT),
            changed_by=change.changed_by,
            changed_at=change.changed_at,
        )
        for change in changes
    ]


def _checked_status(status: str) -> str:
    if status not in REPORT_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(REPORT_STATUSES)}, not {status!r}")
    return status
