"""Signed checkpoints: the chain's head signed with the node's Ed25519 identity.

A checkpoint ``seq:hash`` kept outside the node is what catches a log cut short (see
:mod:`tipnet.audit.service`). A signed one can also be kept inside: the signature says this
node, holding its private key (stored encrypted under ``TIPNET_SECRET_KEY``), saw that event as
its head at that time; verify checks each stored checkpoint against the live log, and the
printed signature lets anyone with the node's public descriptor check a copy kept elsewhere.
Someone who can write the database can still delete checkpoint rows, so the copies elsewhere
remain the defence against truncation; the rows add a signed history of heads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from tipnet.audit import service
from tipnet.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from tipnet.db import utcnow
from tipnet.errors import Conflict

SIGNED_LABEL = b"tipnet audit checkpoint v1\x00"


@dataclass(frozen=True)
class SignedCheckpoint:
    seq: int
    hash: str
    at: dt.datetime
    node_id: str
    signature: bytes

    @property
    def checkpoint(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class CheckpointsResult:
    checked: int
    latest_seq: int | None
    problems: list[str]


def sign_head(
    *, session: Session, private_key: Ed25519PrivateKey, node_id: str, actor: service.Actor
) -> SignedCheckpoint:
    """Verify the log, then sign its head and store the checkpoint (audited). A broken log is
    refused: signing it would vouch for the damage."""
    result = service.verify(session=session)
    if not result.ok:
        raise Conflict(
            "the audit log does not verify, so its head is not signed: "
            + "; ".join(result.problems[:3])
        )
    head = session.get(AuditHead, service.HEAD_ROW_ID)
    seq, head_hash = (head.seq, head.hash) if head else (0, service.GENESIS_HASH)
    at = utcnow().replace(microsecond=0)
    signature = private_key.sign(_message(node_id, seq, head_hash, at))
    signed = SignedCheckpoint(seq, head_hash, at, node_id, signature)
    session.add(
        AuditCheckpoint(seq=seq, hash=head_hash, at=at, node_id=node_id, signature=signature)
    )
    session.flush()
    service.record(
        session=session,
        actor=actor,
        action="audit.checkpoint",
        object_type="audit_log",
        object_id=str(seq),
        details={"checkpoint": signed.checkpoint, "node_id": node_id},
    )
    return signed


def verify_signed(
    *, session: Session, public_key: Ed25519PublicKey, node_id: str
) -> CheckpointsResult:
    """Each stored checkpoint must carry this node's valid signature and name an event the log
    still holds with the same hash."""
    problems: list[str] = []
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()
    for row in rows:
        label = f"signed checkpoint {row.id} ({row.seq}:{row.hash[:12]}…)"
        if row.node_id != node_id or not _valid(public_key, row):
            problems.append(f"{label}: signature is not this node's (forged or edited)")
            continue
        held = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == row.seq))
        if row.seq > 0 and held is None:
            problems.append(f"{label}: the log no longer has event {row.seq} (truncated)")
        elif row.seq > 0 and held != row.hash:
            problems.append(f"{label}: event {row.seq} has changed since (rewritten)")
    latest = max((row.seq for row in rows), default=None)
    return CheckpointsResult(len(rows), latest, problems)


def verify_copy(signed: SignedCheckpoint, public_key: Ed25519PublicKey) -> bool:
    """Whether a checkpoint kept elsewhere carries the signature of the key given."""
    message = _message(signed.node_id, signed.seq, signed.hash, signed.at)
    try:
        public_key.verify(signed.signature, message)
    except InvalidSignature:
        return False
    return True


def _valid(public_key: Ed25519PublicKey, row: AuditCheckpoint) -> bool:
    signed = SignedCheckpoint(row.seq, row.hash, row.at, row.node_id, row.signature)
    return verify_copy(signed, public_key)


def _message(node_id: str, seq: int, head_hash: str, at: dt.datetime) -> bytes:
    stamp = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SIGNED_LABEL + f"{node_id}\x00{seq}:{head_hash}\x00{stamp}".encode()
