"""Cooperation requests (Prüm's follow-up step): personal data moves between nodes only after
a person on the owning node approves a request that cites a hit's reference. Plain functions,
no HTTP.

On the requesting node an investigator files the request (purpose, legal basis, urgency, the
fields wanted); it goes to the owner through the outbox. On the owning node it waits, pending,
until an investigator there approves or refuses it; the answer, with the approved fields of
the referenced report decrypted, goes back through the outbox. Both nodes keep the request
and the released data encrypted, and both audit every step: filed, received, decided,
answered, read.

Every request shows when its answer is due (Prüm II: 48 hours from receipt) and whether it is
overdue; :mod:`tipnet.federation.deadlines` computes both.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.federation import audience, outbox, peers, sharing
from tipnet.federation.deadlines import (
    PRUM,
    ResponseWindows,
    overdue_clause,
    soonest_due_first,
    timing,
)
from tipnet.federation.inbound import SignedRequest
from tipnet.federation.models import CooperationRequest, InboxMessage, Peer
from tipnet.federation.peers import insert_ignoring_duplicate
from tipnet.federation.schemas import (
    CooperationAnswerMessage,
    CooperationCreate,
    CooperationDecision,
    CooperationRead,
    CooperationRequestMessage,
    CooperationSummary,
    Decision,
    MessageReceipt,
    Release,
    ReleasedIncident,
    ReleasedPerson,
    ReleasedSelector,
    ReleaseField,
)
from tipnet.identifiers import service as identifiers
from tipnet.reports.models import Report, ReportPerson

PURPOSE_CONTEXT = "federation.cooperation.purpose"
RELEASE_CONTEXT = "federation.cooperation.release"
# What investigators typed and who they are (usernames are personal data) are encrypted too,
# each under its own context; only this node's investigators read them, decrypted.
LEGAL_BASIS_CONTEXT = "federation.cooperation.legal_basis"
REASON_CONTEXT = "federation.cooperation.decision_reason"
REQUESTED_BY_CONTEXT = "federation.cooperation.requested_by"
DECIDED_BY_CONTEXT = "federation.cooperation.decided_by"
OUTGOING, INCOMING = "outgoing", "incoming"


def file_request(
    *,
    session: Session,
    keyring: Keyring,
    create: CooperationCreate,
    actor: Actor,
    windows: ResponseWindows = PRUM,
) -> CooperationRead:
    """Ask a peer for the data behind one of its references; sent through the outbox."""
    peer = peers.find_peer(session=session, node_id=create.peer)
    fields = list(dict.fromkeys(create.fields))
    row = CooperationRequest(
        id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        direction=OUTGOING,
        peer_id=peer.id,
        reference=create.reference,
        purpose_enc=keyring.encrypt(create.purpose, context=PURPOSE_CONTEXT),
        legal_basis_enc=keyring.encrypt(create.legal_basis, context=LEGAL_BASIS_CONTEXT),
        urgency=create.urgency.value,
        fields=",".join(fields),
        status="queued",
        requested_by_enc=keyring.encrypt(actor.name, context=REQUESTED_BY_CONTEXT),
    )
    session.add(row)
    session.flush()
    message = CooperationRequestMessage(
        message_id=uuid.uuid4(),
        request_id=row.request_id,
        reference=create.reference,
        purpose=create.purpose,
        legal_basis=create.legal_basis,
        urgency=create.urgency,
        fields=fields,
        requested_by=actor.name[:200],
    )
    outbox.enqueue(
        session=session,
        keyring=keyring,
        peer_id=peer.id,
        kind="cooperation.request",
        message_id=message.message_id,
        payload=message,
        subject_id=row.id,
    )
    _audit(session, actor, "federation.cooperation.request", row, peer, {"fields": fields})
    return _read(row, peer, keyring, windows, utcnow())


def receive_request(
    *, session: Session, keyring: Keyring, sender: SignedRequest, message: CooperationRequestMessage
) -> MessageReceipt:
    """A peer's request arrives: kept pending for an investigator here (once per message)."""
    if not _first_time(session, sender, message.message_id, "cooperation.request"):
        return MessageReceipt(message_id=message.message_id, status="duplicate")
    entry = audience.resolve_reference(
        session=session, reference=message.reference, peer_id=sender.peer_id
    )
    report_id = sharing.report_of(session=session, entry=entry) if entry is not None else None
    row = CooperationRequest(
        id=uuid.uuid4(),
        request_id=message.request_id,
        direction=INCOMING,
        peer_id=sender.peer_id,
        reference=message.reference,
        purpose_enc=keyring.encrypt(message.purpose, context=PURPOSE_CONTEXT),
        legal_basis_enc=keyring.encrypt(message.legal_basis, context=LEGAL_BASIS_CONTEXT),
        urgency=message.urgency.value,
        fields=",".join(dict.fromkeys(message.fields)),
        status="pending",
        requested_by_enc=keyring.encrypt(
            f"{message.requested_by} ({sender.node_id})"[:200], context=REQUESTED_BY_CONTEXT
        ),
        report_id=report_id,
    )
    session.add(row)
    session.flush()
    details = {"reference_known": report_id is not None, "fields": row.fields.split(",")}
    _audit(session, sender.actor, "federation.cooperation.received", row, None, details)
    return MessageReceipt(message_id=message.message_id, status="accepted")


def decide(
    *,
    session: Session,
    keyring: Keyring,
    cooperation_id: uuid.UUID,
    decision: CooperationDecision,
    actor: Actor,
    windows: ResponseWindows = PRUM,
) -> CooperationRead:
    """Approve (releasing the agreed fields) or refuse a pending incoming request; the answer
    goes to the requester through the outbox."""
    row = _require(session, cooperation_id, for_update=True)
    if row.direction != INCOMING:
        raise Conflict("only requests received from a peer can be decided here")
    if row.status != "pending":
        raise Conflict(f"this request is already {row.status}")
    asked = [ReleaseField(name) for name in row.fields.split(",") if name]
    fields = list(dict.fromkeys(decision.fields)) if decision.fields is not None else asked
    release = None
    if decision.decision is Decision.APPROVE:
        not_asked = [field.value for field in fields if field not in asked]
        if not_asked or not fields:
            raise InvalidInput(f"release only fields that were asked for ({row.fields})")
        if row.report_id is None:
            raise Conflict("the reference does not name a record shared with this peer: refuse")
        release = build_release(
            session=session, keyring=keyring, report_id=row.report_id, fields=fields
        )
        row.release_enc = keyring.encrypt(release.model_dump_json(), context=RELEASE_CONTEXT)
        row.released_fields = ",".join(fields)
    row.status = "approved" if release is not None else "refused"
    _record_decision(row, keyring, actor.name, decision.reason)
    answer = CooperationAnswerMessage(
        message_id=uuid.uuid4(),
        request_id=row.request_id,
        decision=decision.decision,
        reason=decision.reason,
        fields=fields if release is not None else [],
        release=release,
        decided_by=actor.name[:200],
    )
    outbox.enqueue(
        session=session,
        keyring=keyring,
        peer_id=row.peer_id,
        kind="cooperation.answer",
        message_id=answer.message_id,
        payload=answer,
        subject_id=row.id,
    )
    peer = session.get(Peer, row.peer_id)
    details = {"decision": decision.decision.value, "fields": answer.fields, **_counts(release)}
    _audit(session, actor, "federation.cooperation.decision", row, peer, details)
    return _read(row, peer, keyring, windows, utcnow())


def receive_answer(
    *, session: Session, keyring: Keyring, sender: SignedRequest, message: CooperationAnswerMessage
) -> MessageReceipt:
    """The owner's answer to one of our requests arrives (once per message)."""
    row = session.scalar(
        select(CooperationRequest)
        .where(
            CooperationRequest.direction == OUTGOING,
            CooperationRequest.peer_id == sender.peer_id,
            CooperationRequest.request_id == message.request_id,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"no request {message.request_id} was sent to you from this node")
    if not _first_time(session, sender, message.message_id, "cooperation.answer"):
        return MessageReceipt(message_id=message.message_id, status="duplicate")
    approved = message.decision is Decision.APPROVE and message.release is not None
    row.status = "approved" if approved else "refused"
    _record_decision(row, keyring, f"{message.decided_by} ({sender.node_id})"[:200], message.reason)
    if approved and message.release is not None:
        row.released_fields = ",".join(message.fields)
        row.release_enc = keyring.encrypt(
            message.release.model_dump_json(), context=RELEASE_CONTEXT
        )
    details = {"decision": message.decision.value, **_counts(message.release)}
    _audit(session, sender.actor, "federation.cooperation.answered", row, None, details)
    return MessageReceipt(message_id=message.message_id, status="accepted")


def list_requests(
    *,
    session: Session,
    keyring: Keyring,
    direction: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    windows: ResponseWindows = PRUM,
    now: dt.datetime | None = None,
) -> list[CooperationSummary]:
    """Requests without purposes or released data (so not audited), their legal bases and
    officers' names decrypted for this node's investigators: first the incoming ones
    still waiting for a decision here, soonest due first, then the others newest first.
    ``overdue`` keeps only those past due without a decision (True) or the others (False)."""
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    query = (
        select(CooperationRequest, Peer)
        .join(Peer, Peer.id == CooperationRequest.peer_id)
        .order_by(*soonest_due_first(windows, dialect))
    )
    if direction is not None:
        query = query.where(CooperationRequest.direction == direction)
    if status is not None:
        query = query.where(CooperationRequest.status == status)
    if overdue is not None:
        late = overdue_clause(windows, now)
        query = query.where(late if overdue else ~late)
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [
        CooperationSummary.model_validate(_summary(row, peer, keyring, windows, now))
        for row, peer in rows
    ]


def read_request(
    *,
    session: Session,
    keyring: Keyring,
    cooperation_id: uuid.UUID,
    actor: Actor,
    windows: ResponseWindows = PRUM,
    now: dt.datetime | None = None,
) -> CooperationRead:
    """One request with its purpose and released data decrypted: an audited read."""
    row = _require(session, cooperation_id)
    peer = session.get(Peer, row.peer_id)
    _audit(session, actor, "federation.cooperation.read", row, peer, {})
    return _read(row, peer, keyring, windows, now or utcnow())


def build_release(
    *, session: Session, keyring: Keyring, report_id: uuid.UUID, fields: Sequence[ReleaseField]
) -> Release:
    """The approved fields of a report, decrypted, to send to the requester."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"no report {report_id}")
    release = Release()
    if ReleaseField.INCIDENT in fields:
        release.incident = ReleasedIncident(
            type=report.incident_type,
            time=report.incident_time,
            urgency=report.urgency,
            platform=report.platform,
            jurisdiction=[code for code in report.jurisdiction.split(",") if code],
        )
    if ReleaseField.SELECTORS in fields:
        found = identifiers.read_for_report(session=session, keyring=keyring, report_id=report_id)
        unique = dict.fromkeys((kind, value) for kind, value, _ in found)
        release.selectors = [ReleasedSelector(kind=k, value=v) for k, v in unique]
    if ReleaseField.PERSONS in fields:
        release.persons = [_person(keyring, person) for person in _persons(session, report_id)]
    return release


# --- helpers ---------------------------------------------------------------------------------


def _first_time(session: Session, sender: SignedRequest, message_id: uuid.UUID, kind: str) -> bool:
    row = {
        "peer_id": sender.peer_id,
        "message_id": message_id,
        "kind": kind,
        "received_at": utcnow(),
    }
    return insert_ignoring_duplicate(session, InboxMessage, row)


def _require(
    session: Session, cooperation_id: uuid.UUID, *, for_update: bool = False
) -> CooperationRequest:
    query = select(CooperationRequest).where(CooperationRequest.id == cooperation_id)
    row = session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise NotFound(f"no cooperation request {cooperation_id}")
    return row


def _persons(session: Session, report_id: uuid.UUID) -> Sequence[ReportPerson]:
    return session.scalars(
        select(ReportPerson).where(ReportPerson.report_id == report_id).order_by(ReportPerson.id)
    ).all()


def _person(keyring: Keyring, person: ReportPerson) -> ReleasedPerson:
    return ReleasedPerson(
        role=person.role,
        name=keyring.decrypt_optional(person.name_enc, context="person.name"),
        date_of_birth=keyring.decrypt_optional(
            person.date_of_birth_enc, context="person.date_of_birth"
        ),
        sex=person.sex,
        country=person.country,
    )


def _counts(release: Release | None) -> dict[str, int]:
    if release is None:
        return {}
    return {
        "selectors": len(release.selectors or []),
        "persons": len(release.persons or []),
        "incident": int(release.incident is not None),
    }


def _record_decision(
    row: CooperationRequest, keyring: Keyring, decided_by: str, reason: str | None
) -> None:
    row.decided_at = utcnow()
    row.decided_by_enc = keyring.encrypt(decided_by, context=DECIDED_BY_CONTEXT)
    row.decision_reason_enc = keyring.encrypt_optional(reason, context=REASON_CONTEXT)


def _summary(
    row: CooperationRequest,
    peer: Peer | None,
    keyring: Keyring,
    windows: ResponseWindows,
    now: dt.datetime,
) -> dict[str, object]:
    return timing(row, windows, now) | {
        "id": row.id,
        "request_id": row.request_id,
        "direction": row.direction,
        "peer": peer.key_id if peer else "",
        "peer_name": peer.name if peer else "",
        "reference": row.reference,
        "legal_basis": keyring.decrypt(row.legal_basis_enc, context=LEGAL_BASIS_CONTEXT),
        "urgency": row.urgency,
        "fields": [name for name in row.fields.split(",") if name],
        "status": row.status,
        "requested_by": keyring.decrypt(row.requested_by_enc, context=REQUESTED_BY_CONTEXT),
        "created_at": row.created_at,
        "report_id": row.report_id,
        "decided_by": keyring.decrypt_optional(row.decided_by_enc, context=DECIDED_BY_CONTEXT),
        "decided_at": row.decided_at,
        "released_fields": row.released_fields.split(",") if row.released_fields else None,
    }


def _read(
    row: CooperationRequest,
    peer: Peer | None,
    keyring: Keyring,
    windows: ResponseWindows,
    now: dt.datetime,
) -> CooperationRead:
    release = keyring.decrypt_optional(row.release_enc, context=RELEASE_CONTEXT)
    return CooperationRead.model_validate(
        _summary(row, peer, keyring, windows, now)
        | {
            "purpose": keyring.decrypt(row.purpose_enc, context=PURPOSE_CONTEXT),
            "decision_reason": keyring.decrypt_optional(
                row.decision_reason_enc, context=REASON_CONTEXT
            ),
            "release": Release.model_validate_json(release) if release else None,
        }
    )


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    row: CooperationRequest,
    peer: Peer | None,
    details: Mapping[str, object],
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object_type="cooperation_request",
        object_id=str(row.request_id),
        details={
            "direction": row.direction,
            "peer": peer.key_id if peer else None,
            "reference": row.reference,
            "status": row.status,
            **details,
        },
    )
