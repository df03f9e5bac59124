"""The durable outbox: messages to peers are written in the transaction that decides to send
them, and delivered afterwards, as many times as it takes, by a loop in each server process
(started in the app's lifespan) or by ``tipnet federation deliver``.

Exactly once in effect: a message keeps its ``message_id`` across attempts and the receiving
node records every id it has applied (its inbox), so a redelivery after a lost answer, a crash
or a restart changes nothing there. At most one deliverer works on a message at a time: it
claims the row with a lease (a conditional UPDATE), which lapses if that process dies.

A peer that is down or answers 5xx is retried with exponential backoff (capped); one that
refuses the message for good (400, 403, 404, 422) ends it as failed, audited, and the
cooperation request it carried is marked failed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.db import transaction, utcnow
from tipnet.federation.client import FederationClient, PeerAddress, PeerError, PeerRefused
from tipnet.federation.context import FederationContext
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.models import CooperationRequest, OutboxMessage, Peer
from tipnet.federation.schemas import MessageReceipt, OutboxRead

PAYLOAD_CONTEXT = "federation.outbox.payload"
# A peer's error answer may quote what it refuses (a 422 quotes the request's fields): it is
# stored encrypted, and the audit log notes it by length and keyed digest only.
ERROR_CONTEXT = "federation.outbox.last_error"
MAX_ERROR_CHARS = 500
PATHS = {
    "cooperation.request": f"{SIGNED_PREFIX}/cooperation/requests",
    "cooperation.answer": f"{SIGNED_PREFIX}/cooperation/answers",
}
LEASE = dt.timedelta(seconds=60)
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
MAX_ATTEMPTS = 200  # about three hours of retries at the cap
FINAL_REFUSALS = frozenset({400, 403, 404, 405, 413, 422})
CLAIM_BATCH = 20
SYSTEM_ACTOR = Actor("system:outbox")
log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def enqueue(
    *,
    session: Session,
    keyring: Keyring,
    peer_id: int,
    kind: str,
    message_id: uuid.UUID,
    payload: BaseModel,
    subject_id: uuid.UUID | None = None,
) -> None:
    """Store a message for delivery, in the caller's transaction (so it is sent if and only
    if what it reports is committed). The payload may hold personal data: it is encrypted."""
    if kind not in PATHS:
        raise ValueError(f"unknown outbox message kind {kind!r}")
    session.add(
        OutboxMessage(
            message_id=message_id,
            peer_id=peer_id,
            kind=kind,
            subject_id=subject_id,
            payload_enc=keyring.encrypt(payload.model_dump_json(), context=PAYLOAD_CONTEXT),
            attempts=0,
            next_attempt_at=utcnow(),
        )
    )


async def deliver_due(ctx: FederationContext, *, now_all: bool = False) -> DeliveryReport:
    """Deliver every message that is due (every pending one with ``now_all``), concurrently
    per message; returns what happened."""
    claimed = await asyncio.to_thread(_claim, ctx, now_all)
    report = DeliveryReport()
    if not claimed:
        return report
    async with ctx.client() as client:
        results = await asyncio.gather(*(_deliver(ctx, client, item) for item in claimed))
    for result in results:
        setattr(report, result, getattr(report, result) + 1)
    return report


async def run(ctx: FederationContext, wake: asyncio.Event, interval: float) -> None:
    """Deliver due messages until cancelled: every ``interval`` seconds, or at once when
    ``wake`` is set (a route just queued something)."""
    while True:
        try:
            await deliver_due(ctx)
        except Exception:  # a database hiccup must not end the loop; the next round retries
            log.exception("outbox delivery round failed")
        try:
            await asyncio.wait_for(wake.wait(), interval)
        except TimeoutError:
            pass
        wake.clear()


def list_messages(
    *, session: Session, keyring: Keyring, pending_only: bool = False, limit: int = 100
) -> list[OutboxRead]:
    query = (
        select(OutboxMessage, Peer.key_id)
        .join(Peer, Peer.id == OutboxMessage.peer_id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    if pending_only:
        query = query.where(OutboxMessage.delivered_at.is_(None), OutboxMessage.failed_at.is_(None))
    return [
        OutboxRead(
            message_id=row.message_id,
            peer=node_id,
            kind=row.kind,
            created_at=row.created_at,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            failed_at=row.failed_at,
            last_error=keyring.decrypt_optional(row.last_error_enc, context=ERROR_CONTEXT),
        )
        for row, node_id in session.execute(query)
    ]


# --- one message ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: uuid.UUID
    kind: str
    attempts: int
    peer: PeerAddress
    payload: bytes


async def _deliver(ctx: FederationContext, client: FederationClient, item: _Claimed) -> str:
    try:
        await client.call(item.peer, "POST", PATHS[item.kind], MessageReceipt, body=item.payload)
    except PeerRefused as error:
        if error.peer_status in FINAL_REFUSALS or item.attempts + 1 >= MAX_ATTEMPTS:
            await asyncio.to_thread(_finish, ctx, item, error)
            return "failed"
        await asyncio.to_thread(_retry_later, ctx, item, error.message)
        return "retrying"
    except PeerError as error:
        if item.attempts + 1 >= MAX_ATTEMPTS:
            await asyncio.to_thread(_finish, ctx, item, error)
            return "failed"
        await asyncio.to_thread(_retry_later, ctx, item, error.message)
        return "retrying"
    await asyncio.to_thread(_finish, ctx, item, None)
    return "delivered"


def _claim(ctx: FederationContext, now_all: bool) -> list[_Claimed]:
    """Take a lease on up to CLAIM_BATCH due messages; another deliverer skips them."""
    now = utcnow()
    claimed: list[_Claimed] = []
    with transaction(ctx.session_factory) as session:
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(CLAIM_BATCH)
        )
        if not now_all:
            due = due.where(OutboxMessage.next_attempt_at <= now)
        for message_id in session.scalars(due).all():
            taken = session.connection().execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                )
                .values(locked_until=now + LEASE)
            )
            if taken.rowcount != 1:
                continue
            row = session.get(OutboxMessage, message_id)
            peer = session.get(Peer, row.peer_id) if row is not None else None
            if row is None or peer is None:
                continue
            payload = ctx.keyring.decrypt(row.payload_enc, context=PAYLOAD_CONTEXT).encode()
            claimed.append(
                _Claimed(
                    row.id, row.message_id, row.kind, row.attempts, PeerAddress.of(peer), payload
                )
            )
    return claimed


def _retry_later(ctx: FederationContext, item: _Claimed, error: str) -> None:
    delay = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2**item.attempts)
    with transaction(ctx.session_factory) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == item.id)
            .values(
                attempts=item.attempts + 1,
                next_attempt_at=utcnow() + dt.timedelta(seconds=delay * random.uniform(0.8, 1.2)),
                locked_until=None,
                last_error_enc=_sealed_error(ctx.keyring, error),
            )
        )


def _finish(ctx: FederationContext, item: _Claimed, error: PeerError | None) -> None:
    """Mark the message delivered (``error`` None) or failed for good; move its cooperation
    request along; audit either way (the error by its outcome, length and keyed digest)."""
    now = utcnow()
    with transaction(ctx.session_factory) as session:
        row = session.get(OutboxMessage, item.id)
        if row is None:
            return
        row.attempts, row.locked_until = item.attempts + 1, None
        row.last_error_enc = _sealed_error(ctx.keyring, error.message) if error else None
        if error is None:
            row.delivered_at = now
        else:
            row.failed_at = now
        if row.subject_id is not None and row.kind == "cooperation.request":
            session.execute(
                update(CooperationRequest)
                .where(
                    CooperationRequest.id == row.subject_id, CooperationRequest.status == "queued"
                )
                .values(status="sent" if error is None else "failed")
            )
        audit.record(
            session=session,
            actor=SYSTEM_ACTOR,
            action="federation.outbox." + ("delivered" if error is None else "failed"),
            object_type="message",
            object_id=str(item.message_id),
            details={
                "kind": item.kind,
                "peer": item.peer.node_id,
                "attempts": row.attempts,
                "error": _error_note(ctx.keyring, error),
            },
        )


def _sealed_error(keyring: Keyring, message: str) -> bytes:
    return keyring.encrypt(message[:MAX_ERROR_CHARS], context=ERROR_CONTEXT)


def _error_note(keyring: Keyring, error: PeerError | None) -> dict[str, object] | None:
    if error is None:
        return None
    message = error.message[:MAX_ERROR_CHARS]
    note = {"outcome": error.outcome, **(keyring.audit_note(message, context=ERROR_CONTEXT) or {})}
    if isinstance(error, PeerRefused):
        note["peer_status"] = error.peer_status
    return note
