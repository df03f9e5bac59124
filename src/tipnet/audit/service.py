"""Writing and verifying the audit chain.

Each event's hash is SHA-256 over the previous hash and the event's canonical JSON (RFC 8785),
and its MAC is HMAC-SHA256 of ``seq:hash`` under the node's audit key (:mod:`tipnet.audit.keys`).
Appends take a row lock on the chain head, so concurrent transactions extend the chain one at a
time; call :func:`record` as the last statement of a transaction to keep that lock short.
Editing, inserting or deleting a row anywhere breaks every later link, which :func:`verify`
finds; recomputing the later hashes does not help without the key, because the MACs no longer
match. Cutting off the tail and rolling the head back to an earlier event leaves a consistent
but shorter log: that is caught by a checkpoint kept elsewhere (``seq:hash``, printed by every
``tipnet audit verify``), which must still name an event of the live log.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import rfc8785
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from tipnet.audit.keys import AuditKey, key_for
from tipnet.audit.models import AuditEvent, AuditHead
from tipnet.bulk import bulk_insert
from tipnet.db import utcnow
from tipnet.errors import InvalidInput

GENESIS_HASH = "0" * 64
HASHED_COLUMNS = (
    "seq",
    "at",
    "actor",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "remote_addr",
    "details",
)
HEAD_ROW_ID = 1
ROTATED_ACTION = "audit.key_rotated"  # appended by `tipnet admin rotate-key`
MAX_LISTED = 10  # bad MACs named one by one; more are counted
_CHECKPOINT = re.compile(r"(?:(\d{1,19}):)?([0-9a-f]{64})")


@dataclass(frozen=True)
class Actor:
    """Who acted and from where, as the audit log records it."""

    name: str  # "user:alice", "cli:root", "system:ingest"
    organisation_id: int | None = None
    remote_addr: str | None = None


@dataclass(frozen=True)
class Checkpoint:
    """An event of the chain named by ``seq:hash``; a bare hash (``seq`` None) names whichever
    event has that hash."""

    seq: int | None
    hash: str

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        match = _CHECKPOINT.fullmatch(text.strip().lower())
        if match is None:
            raise InvalidInput(
                f"not a checkpoint: {text[:80]!r} (expected SEQ:HASH as printed by "
                "`tipnet audit verify`, or a bare 64-hex-digit hash)"
            )
        return cls(int(match[1]) if match[1] else None, match[2])

    def __str__(self) -> str:
        return self.hash if self.seq is None else f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events_checked: int
    head_seq: int
    head_hash: str
    problems: list[str]
    head_mac: str | None = None
    unanchored: int = 0  # events written before the chain was keyed: no MAC to check
    retired_key: int = 0  # MACs under a key retired by a rotation anchored later in the log
    warnings: list[str] = field(default_factory=list)

    @property
    def checkpoint(self) -> str:
        """The head as a checkpoint to keep elsewhere and pass to a later verify."""
        return f"{self.head_seq}:{self.head_hash}"


@dataclass(frozen=True)
class Event:
    """One thing to write to the log."""

    actor: Actor
    action: str
    object_type: str
    object_id: str | None = None
    details: dict[str, Any] | None = None


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    record_many(session=session, events=[Event(actor, action, object_type, object_id, details)])


def record_many(*, session: Session, events: Sequence[Event], key: AuditKey | None = None) -> None:
    """Append events in order under one lock of the chain head. ``key`` defaults to the
    engine's (a key rotation anchors the log with the new key before the node has it)."""
    if not events:
        return
    key = key or key_for(session)  # before the lock: no key, no row (AuditKeyMissing)
    head = _locked_head(session)
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for event in events:
        row: dict[str, Any] = {
            "seq": head.seq + 1,
            "at": at,
            "actor": event.actor.name,
            "organisation_id": event.actor.organisation_id,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "remote_addr": event.actor.remote_addr,
            "details": json.dumps(event.details or {}, sort_keys=True, ensure_ascii=False),
            "prev_hash": head.hash,
        }
        row["hash"] = chain_hash(row)
        row["mac"] = key.mac(row["seq"], row["hash"])
        head = _Head(row["seq"], row["hash"])
        rows.append(row)
    moved = {"head_seq": head.seq, "head_hash": head.hash, "head_mac": rows[-1]["mac"]}
    bulk_insert(session, cast(Table, AuditEvent.__table__), rows, together_with=(_MOVE_HEAD, moved))


def verify(
    *,
    session: Session,
    checkpoint: str | Checkpoint | None = None,
    expect_head: str | None = None,
    key: AuditKey | None = None,
    batch: int = 5000,
) -> VerifyResult:
    """Check every link, hash and MAC, the head, and that the log still holds ``checkpoint``
    (an event kept from an earlier verify: the log may have grown since, not shrunk or changed).
    ``expect_head`` is the older name of ``checkpoint``. ``key`` defaults to the engine's."""
    wanted = _as_checkpoint(checkpoint if checkpoint is not None else expect_head)
    key = key or key_for(session)
    scan = _Scan(key, wanted, _rotations(session, key))
    for event in _events_in_order(session, batch):
        scan.check(event)
    head = session.get(AuditHead, HEAD_ROW_ID)
    head_seq, head_hash, head_mac = (
        (head.seq, head.hash, head.mac) if head else (0, GENESIS_HASH, None)
    )
    problems = scan.problems() + _head_problems(scan, head_seq, head_hash, head_mac)
    return VerifyResult(
        ok=not problems,
        events_checked=scan.checked,
        head_seq=head_seq,
        head_hash=head_hash,
        problems=problems,
        head_mac=head_mac,
        unanchored=scan.unanchored,
        retired_key=scan.retired,
        warnings=scan.warnings(),
    )


def chain_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the event's content as RFC 8785 JSON."""
    content = {name: row[name] for name in HASHED_COLUMNS}
    content["at"] = row["at"].isoformat()
    digest = hashlib.sha256(bytes.fromhex(row["prev_hash"]))
    digest.update(rfc8785.dumps(content))
    return digest.hexdigest()


class _Scan:
    """What one pass over the events in order has found so far."""

    def __init__(self, key: AuditKey, wanted: Checkpoint | None, rotations: _Rotations) -> None:
        self.key = key
        self.wanted = wanted
        self.rotations = rotations
        self.retired = 0
        # The empty log's head ("0:000..0", from a verify before the first event) is in every log.
        self.found_checkpoint = (
            wanted is not None and wanted.seq in (0, None) and wanted.hash == GENESIS_HASH
        )
        self.previous_hash, self.previous_mac = GENESIS_HASH, cast(str | None, None)
        self.expected_seq, self.checked, self.unanchored, self.keyed = 1, 0, 0, 0
        self.bad_macs: list[int] = []
        self.found: list[str] = []

    def check(self, event: AuditEvent) -> None:
        if event.seq != self.expected_seq:
            self.found.append(f"events {self.expected_seq}..{event.seq - 1} are missing")
        if event.prev_hash != self.previous_hash:
            self.found.append(f"event {event.seq}: link to the previous event is broken")
        if chain_hash(_columns(event)) != event.hash:
            self.found.append(f"event {event.seq}: content does not match its hash (edited)")
        self._check_mac(event)
        self._check_checkpoint(event)
        self.previous_hash, self.previous_mac = event.hash, event.mac
        self.expected_seq, self.checked = event.seq + 1, self.checked + 1

    def _check_mac(self, event: AuditEvent) -> None:
        if event.mac is None:
            if self.keyed:  # keying never stops once started: a missing MAC was removed
                self.found.append(f"event {event.seq}: MAC missing after keyed events (removed)")
            else:
                self.unanchored += 1
            return
        self.keyed += 1
        if self.key.checks(event.seq, event.hash, event.mac):
            return
        if event.seq < self.rotations.anchor:
            # under the retired key: covered by the chain up to the anchor, MACed with ours
            self.retired += 1
        else:
            self.bad_macs.append(event.seq)

    def _check_checkpoint(self, event: AuditEvent) -> None:
        wanted = self.wanted
        if wanted is None or self.found_checkpoint:
            return
        if wanted.seq is None and event.hash == wanted.hash:
            self.found_checkpoint = True
        elif wanted.seq == event.seq:
            self.found_checkpoint = True
            if event.hash != wanted.hash:
                self.found.append(
                    f"event {event.seq} is not the one in checkpoint {wanted} "
                    "(the log was rewritten since)"
                )

    def problems(self) -> list[str]:
        problems = list(self.found)
        if self.bad_macs and self.rotations.elsewhere:
            problems.append(self.rotations.elsewhere)
        if self.bad_macs and len(self.bad_macs) == self.keyed - self.retired:
            problems.append(
                f"no event's MAC matches ({self.keyed} keyed events): TIPNET_SECRET_KEY is not "
                "the key this log was written with, or the log was rewritten without it"
            )
        elif self.bad_macs:
            listed = ", ".join(map(str, self.bad_macs[:MAX_LISTED]))
            more = len(self.bad_macs) - MAX_LISTED
            problems.append(
                f"events with a MAC that does not match (rewritten without the node's key): "
                f"{listed}" + (f" and {more} more" if more > 0 else "")
            )
        if self.wanted is not None and not self.found_checkpoint:
            problems.append(_missing_checkpoint(self.wanted))
        return problems

    def warnings(self) -> list[str]:
        warnings = []
        if self.retired:
            warnings.append(
                f"{self.retired} event(s) carry MACs under a retired key: they are covered by the "
                f"hash chain up to the key rotation at event {self.rotations.anchor}, whose MAC "
                "is under the current key"
            )
        if not self.unanchored:
            return warnings
        return warnings + [
            f"{self.unanchored} event(s) from before the chain was keyed have no MAC: they "
            "are covered by the hashes of later keyed events, but a log with no keyed event "
            "after them could have been rewritten; check against a checkpoint kept elsewhere"
        ]


@dataclass(frozen=True)
class _Rotations:
    """Where the log was re-anchored under the current key (``anchor``: the seq of the latest
    rotation event whose MAC is ours, 0 if none), and, if the log was rotated to a key other
    than the one verifying (or a rotation event to this key was rewritten), what to say."""

    anchor: int
    elsewhere: str | None


def _rotations(session: Session, key: AuditKey) -> _Rotations:
    anchor, elsewhere = 0, None
    query = select(AuditEvent.seq, AuditEvent.hash, AuditEvent.mac, AuditEvent.object_id)
    for seq, event_hash, mac, to_key in session.execute(
        query.where(AuditEvent.action == ROTATED_ACTION).order_by(AuditEvent.seq)
    ):
        if mac is not None and key.checks(seq, event_hash, mac):
            anchor, elsewhere = seq, None
        elif key.key_id is not None and to_key == key.key_id:
            elsewhere = (
                f"event {seq} records the rotation to this very key {to_key} but its MAC does "
                "not match: it, or an event before it, was rewritten"
            )
        elif key.key_id is not None:
            elsewhere = (
                f"the node's key was rotated to key {to_key} at event {seq}, and this check ran "
                f"with key {key.key_id}: set TIPNET_SECRET_KEY to the new key"
            )
    return _Rotations(anchor, elsewhere)


def _head_problems(scan: _Scan, seq: int, head_hash: str, mac: str | None) -> list[str]:
    last_seq = scan.expected_seq - 1
    if seq != last_seq or head_hash != scan.previous_hash:
        return [f"chain head says event {seq} but the log ends at event {last_seq}"]
    if mac != scan.previous_mac:
        return [f"chain head's MAC is not that of event {seq} (head rewritten)"]
    return []


def _missing_checkpoint(wanted: Checkpoint) -> str:
    if wanted.seq is None:
        return f"no event has hash {wanted.hash}: the log was truncated or rewritten since"
    return f"the log has no event {wanted.seq} of checkpoint {wanted}: it was truncated since"


def _as_checkpoint(value: str | Checkpoint | None) -> Checkpoint | None:
    if value is None or isinstance(value, Checkpoint):
        return value
    return Checkpoint.parse(value)


def _columns(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in (*HASHED_COLUMNS, "prev_hash")}


_MOVE_HEAD = (
    update(AuditHead)
    .where(AuditHead.id == HEAD_ROW_ID)
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"), mac=bindparam("head_mac"))
)


@dataclass(frozen=True)
class _Head:
    seq: int
    hash: str


def _locked_head(session: Session) -> _Head:
    # The row exists from the first migration on; the lock makes appends take turns.
    seq, head_hash = (
        session.connection()
        .execute(
            select(AuditHead.seq, AuditHead.hash)
            .where(AuditHead.id == HEAD_ROW_ID)
            .with_for_update()
        )
        .one()
    )
    return _Head(seq, head_hash)


def _events_in_order(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq
        session.expunge_all()
