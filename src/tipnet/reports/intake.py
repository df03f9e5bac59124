"""Report intake in two steps, so that many reports can share one transaction.

:func:`prepare` does the CPU work of one submission without touching the database: canonical
hash, selector extraction, encryption of the body and of personal fields. :func:`write` stores a
batch of prepared submissions in the caller's transaction with one multi-row statement per
table and one audit-chain append, which is what lets a node take reports faster than one
commit at a time (see :mod:`tipnet.reports.writer`).

Idempotency holds inside a batch, across batches and across processes: the reporter's own
report id and the ``Idempotency-Key`` are unique per organisation in the database, the insert
skips conflicting rows (``ON CONFLICT DO NOTHING``), and a skipped submission is answered with
the receipt of the report that won.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import rfc8785
from sqlalchemy import ARRAY, String, Table, and_, any_, bindparam, or_, select
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.bulk import Children, insert_new
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.detect.scoring import score_report
from tipnet.errors import Conflict, InvalidInput, TipnetError
from tipnet.identifiers import service as identifiers
from tipnet.identifiers.models import Identifier
from tipnet.reports.models import Report, ReportFile, ReportPerson
from tipnet.reports.schemas import URGENCY_RANK, Receipt, ReportCreate, SelectorWarning

BODY_CONTEXT = "report.body"


@dataclass(frozen=True)
class Submitter:
    user_id: int
    organisation_id: int
    actor: Actor
    token_id: int | None = None  # checked again when the report is stored (reports.writer)


@dataclass
class Prepared:
    """One submission, ready to write."""

    submitter: Submitter
    report_row: dict[str, Any]
    person_rows: list[dict[str, Any]]
    file_rows: list[dict[str, Any]]
    identifier_rows: list[dict[str, Any]]
    warnings: list[SelectorWarning] = field(default_factory=list)

    @property
    def report_id(self) -> uuid.UUID:
        report_id: uuid.UUID = self.report_row["id"]
        return report_id

    @property
    def keys(self) -> list[tuple[int, str, str]]:
        """(organisation, key kind, key) pairs that make this submission the same report."""
        row, organisation = self.report_row, self.submitter.organisation_id
        found = []
        if row["reporter_report_id"] is not None:
            found.append((organisation, "reporter_report_id", row["reporter_report_id"]))
        if row["idempotency_key"] is not None:
            found.append((organisation, "idempotency_key", row["idempotency_key"]))
        return found


def canonical_sha256(raw_body: Any) -> str:
    """SHA-256 of the RFC 8785 canonical JSON of what the reporter sent."""
    try:
        return hashlib.sha256(rfc8785.dumps(raw_body)).hexdigest()
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise InvalidInput(f"the body cannot be canonicalised as JSON: {error}") from error


def prepare(
    *,
    keyring: Keyring,
    submitter: Submitter,
    report: ReportCreate,
    raw_body: Any,
    idempotency_key: str | None = None,
) -> Prepared:
    extraction = identifiers.extract_from_report(report)
    report_id = uuid.uuid4()
    report_row = {
        "id": report_id,
        "organisation_id": submitter.organisation_id,
        "submitted_by": submitter.user_id,
        "reporter_report_id": report.reporter.report_id,
        "idempotency_key": idempotency_key,
        "incident_type": report.incident.type.value,
        "incident_time": report.incident.time,
        "urgency": report.incident.urgency.value,
        "urgency_rank": URGENCY_RANK[report.incident.urgency],
        "platform": report.internet.platform,
        "jurisdiction": ",".join(report.jurisdiction),
        "body_sha256": canonical_sha256(raw_body),
        "body_enc": keyring.encrypt(report.model_dump_json(), context=BODY_CONTEXT),
        "status": "new",
        **_risk_columns(report),
    }
    return Prepared(
        submitter=submitter,
        report_row=report_row,
        person_rows=_person_rows(keyring, report_id, report),
        file_rows=_file_rows(report_id, report),
        identifier_rows=identifiers.rows_for(
            keyring=keyring, report_id=report_id, selectors=extraction.selectors
        ),
        warnings=extraction.warnings,
    )


def _risk_columns(report: ReportCreate) -> dict[str, Any]:
    """The detection score and its explanation, stored beside the report for the triage queue.

    Spans keep only their offsets: the matched text is part of the summary, which is stored
    encrypted, and a span (an obscured phone number, say) must not sit beside it in clear.
    """
    assessment = score_report(report)
    explanation = dict(assessment.explanation)
    explanation["indicators"] = [
        {**found, "spans": [[start, end] for start, end, _text in found["spans"]]}
        for found in explanation["indicators"]
    ]
    return {
        "risk_score": assessment.score,
        "risk_explanation": json.dumps(explanation, separators=(",", ":")),
    }


def write(*, session: Session, batch: Sequence[Prepared]) -> list[Receipt | TipnetError]:
    """Store a batch in the session's transaction; one result per submission, in order.

    Reports and their rows go in with one statement (on PostgreSQL); a submission whose report
    already exists is then answered with that report's receipt, or a conflict if its body
    differs. Submissions repeated inside the batch are answered like the first of them.
    """
    received_at = utcnow()
    results: list[Receipt | TipnetError | None] = [None] * len(batch)
    same_as: dict[int, int] = {}  # a later submission of a report first seen in this batch
    first_in_batch: dict[tuple[int, str, str], int] = {}
    fresh: list[int] = []
    for position, prepared in enumerate(batch):
        repeated = next((first_in_batch[k] for k in prepared.keys if k in first_in_batch), None)
        if repeated is not None:
            same_as[position] = repeated
            continue
        prepared.report_row["received_at"] = received_at
        first_in_batch.update((key, position) for key in prepared.keys)
        fresh.append(position)
    inserted = _insert_reports(session, [batch[position] for position in fresh])
    _answer_existing(
        session, batch, [p for p in fresh if batch[p].report_id not in inserted], results
    )
    stored = [batch[position] for position in fresh if batch[position].report_id in inserted]
    _audit(session, stored)
    for position in fresh:
        prepared = batch[position]
        if prepared.report_id in inserted:
            results[position] = Receipt(
                report_id=prepared.report_id,
                received_at=received_at,
                body_sha256=prepared.report_row["body_sha256"],
                duplicate=False,
                selectors=len(prepared.identifier_rows),
                warnings=prepared.warnings,
            )
    for position, first in same_as.items():
        results[position] = _repeat_of(results[first], batch[position])
    return [result for result in results if result is not None]


def _answer_existing(
    session: Session,
    batch: Sequence[Prepared],
    not_inserted: list[int],
    results: list[Receipt | TipnetError | None],
) -> None:
    """Submissions of reports stored before, by an earlier request or a concurrent one."""
    if not not_inserted:
        return
    winners = _existing_by_key(session, [batch[position] for position in not_inserted])
    for position in not_inserted:
        winner = next((winners[k] for k in batch[position].keys if k in winners), None)
        results[position] = (
            _duplicate(winner, batch[position])
            if winner
            else Conflict("this report collided with a concurrent submission; retry it")
        )


def _repeat_of(first: Receipt | TipnetError | None, prepared: Prepared) -> Receipt | TipnetError:
    if not isinstance(first, Receipt):
        return first or Conflict("this report collided with a concurrent submission; retry it")
    return _duplicate(_Known(first.report_id, first.received_at, first.body_sha256), prepared)


@dataclass(frozen=True)
class _Known:
    report_id: uuid.UUID
    received_at: Any
    body_sha256: str


def _duplicate(earlier: _Known, prepared: Prepared) -> Receipt | TipnetError:
    if earlier.body_sha256 != prepared.report_row["body_sha256"]:
        return Conflict(
            f"report {earlier.report_id} was already received under this reporter report id or "
            f"Idempotency-Key with a different body (sha256 {earlier.body_sha256}); "
            "send new information as a new report with its own id"
        )
    return Receipt(
        report_id=earlier.report_id,
        received_at=earlier.received_at,
        body_sha256=earlier.body_sha256,
        duplicate=True,
        selectors=len(prepared.identifier_rows),
    )


def _existing_by_key(
    session: Session, batch: Sequence[Prepared]
) -> dict[tuple[int, str, str], _Known]:
    wanted = {key for prepared in batch for key in prepared.keys}
    if not wanted:
        return {}
    conditions = []
    for organisation in {org for org, _kind, _key in wanted}:
        for kind, column in (
            ("reporter_report_id", Report.reporter_report_id),
            ("idempotency_key", Report.idempotency_key),
        ):
            values = [key for org, k, key in wanted if org == organisation and k == kind]
            if values:
                conditions.append(
                    and_(Report.organisation_id == organisation, _one_of(session, column, values))
                )
    rows = session.execute(
        select(
            Report.id,
            Report.received_at,
            Report.body_sha256,
            Report.organisation_id,
            Report.reporter_report_id,
            Report.idempotency_key,
        ).where(or_(*conditions))
    ).all()
    found: dict[tuple[int, str, str], _Known] = {}
    for report_id, received_at, body_sha256, org, reporter_id, idempotency_key in rows:
        known = _Known(report_id, received_at, body_sha256)
        if reporter_id is not None:
            found[(org, "reporter_report_id", reporter_id)] = known
        if idempotency_key is not None:
            found[(org, "idempotency_key", idempotency_key)] = known
    return {key: value for key, value in found.items() if key in wanted}


def _one_of(session: Session, column: Any, values: list[str]) -> Any:
    # One array parameter on PostgreSQL instead of one parameter per value keeps the statement
    # small, which matters for a batch of hundreds.
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)


def _insert_reports(session: Session, batch: Sequence[Prepared]) -> set[uuid.UUID]:
    children = [
        Children(
            _table(ReportPerson), [row for item in batch for row in item.person_rows], "report_id"
        ),
        Children(
            _table(ReportFile), [row for item in batch for row in item.file_rows], "report_id"
        ),
        Children(
            _table(Identifier), [row for item in batch for row in item.identifier_rows], "report_id"
        ),
    ]
    rows = [item.report_row for item in batch]
    return insert_new(session, _table(Report), rows, key="id", children=children)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _audit(session: Session, stored: Sequence[Prepared]) -> None:
    audit.record_many(
        session=session,
        events=[
            audit.Event(
                actor=prepared.submitter.actor,
                action="report.submit",
                object_type="report",
                object_id=str(prepared.report_id),
                details={
                    "body_sha256": prepared.report_row["body_sha256"],
                    "reporter_report_id": prepared.report_row["reporter_report_id"],
                },
            )
            for prepared in stored
        ],
    )


def _person_rows(
    keyring: Keyring, report_id: uuid.UUID, report: ReportCreate
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for person in report.reported_persons:
        contact = {
            "phones": person.phones,
            "emails": person.emails,
            "accounts": [account.model_dump(exclude_none=True) for account in person.accounts],
        }
        birth = person.date_of_birth.isoformat() if person.date_of_birth else None
        rows.append(
            _person_row(
                keyring,
                report_id,
                "reported",
                person.name,
                {
                    "date_of_birth_enc": keyring.encrypt_optional(
                        birth, context="person.date_of_birth"
                    ),
                    "contact_enc": keyring.encrypt(json.dumps(contact), context="person.contact"),
                    "age_estimate": person.age_estimate,
                    "is_minor": None,
                    "sex": person.sex,
                    "country": person.nationality,
                },
            )
        )
    for victim in report.victims:
        rows.append(
            _person_row(
                keyring,
                report_id,
                "victim",
                victim.name,
                {
                    "date_of_birth_enc": None,
                    "contact_enc": None,
                    "age_estimate": victim.age_estimate,
                    "is_minor": victim.is_minor,
                    "sex": victim.sex,
                    "country": victim.country,
                },
            )
        )
    return rows


def _person_row(
    keyring: Keyring, report_id: uuid.UUID, role: str, name: str | None, fields: dict[str, Any]
) -> dict[str, Any]:
    return {
        "report_id": report_id,
        "role": role,
        "name_enc": keyring.encrypt_optional(name, context="person.name"),
        "name_index": None if name is None else keyring.blind_index(name, context="person.name"),
        **fields,
    }


def _file_rows(report_id: uuid.UUID, report: ReportCreate) -> list[dict[str, Any]]:
    return [
        {
            "report_id": report_id,
            **file.model_dump(include={"sha256", "md5", "pdq", "pdq_quality", "media_type"}),
        }
        for file in report.files
    ]
