"""Peers and their sharing agreements; the replay guard and rate limit of their signed requests.
Plain functions, no HTTP.

A peer is registered from the signed descriptor its administrator handed over out of band, with
an agreement saying what it may ask of this node. Removing a peer keeps its row (the audit log
and past cooperation requests point at it) but refuses its requests from then on. A peer that
rotates its key keeps its row, agreement and history: :func:`accept_rotation` moves it to the
new key on the statement its old key signed.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.errors import Conflict, InvalidInput, NotFound, TipnetError
from tipnet.federation import health
from tipnet.federation.identity import fingerprint, parse_descriptor, parse_rotation_statement
from tipnet.federation.models import Peer, RateUsage, SeenNonce
from tipnet.federation.schemas import AGREEMENT_KINDS, MAX_PEER_TIMEOUT, PeerHealth, PeerRead

DEFAULT_KINDS = ("phone", "email", "handle", "wallet")
DEFAULT_RATE_LIMIT = 100_000  # elements per window: ten full query rounds an hour
RATE_WINDOW_SECONDS = 3600
PURGE_ONE_IN = 200  # forget expired nonces on about one accepted request in this many


class RateLimited(TipnetError):
    status_code = 429


def add_peer(
    *,
    session: Session,
    descriptor: str,
    actor: Actor,
    kinds: Sequence[str] = DEFAULT_KINDS,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    image_lists: bool = False,
    keyring: Keyring | None = None,
) -> PeerRead:
    """Register a peer from its descriptor; a removed peer registered again is reactivated.
    Here and below, ``keyring`` opens the reason of the peer's last failure for its health
    record (left out without it)."""
    parsed = parse_descriptor(descriptor)
    agreed_kinds, agreed_rate = ",".join(checked_kinds(kinds)), _checked_rate(rate_limit)
    peer = session.scalar(select(Peer).where(Peer.key_id == parsed.node_id))
    if peer is not None and peer.active:
        raise Conflict(f"peer {parsed.node_id} ({peer.name}) is already registered")
    if peer is None:
        peer = Peer(key_id=parsed.node_id, feed_cursor=0)
        session.add(peer)
    peer.country, peer.name, peer.url = parsed.country, parsed.name, parsed.url
    peer.public_key, peer.descriptor = parsed.public_key_bytes, parsed.to_json()
    peer.kinds, peer.rate_limit = agreed_kinds, agreed_rate
    peer.image_lists, peer.active, peer.removed_at = image_lists, True, None
    session.flush()
    return _audited(session, actor, "federation.peer.add", peer, keyring)


def update_agreement(
    *,
    session: Session,
    peer_id: int,
    actor: Actor,
    kinds: Sequence[str] | None = None,
    rate_limit: int | None = None,
    image_lists: bool | None = None,
    timeout_seconds: float | None = None,
    keyring: Keyring | None = None,
) -> PeerRead:
    """Change what an active peer may ask (the peer resyncs its copy of our feed), or how long
    this node waits for its answers."""
    peer = require_peer(session=session, peer_id=peer_id, active=True)
    if timeout_seconds is not None:
        if not 0 < timeout_seconds <= MAX_PEER_TIMEOUT:
            raise InvalidInput(f"the timeout is 0 to {MAX_PEER_TIMEOUT:g} seconds")
        peer.timeout_seconds = float(timeout_seconds)
    if kinds is not None:
        peer.kinds = ",".join(checked_kinds(kinds))
    if rate_limit is not None:
        peer.rate_limit = _checked_rate(rate_limit)
    if image_lists is not None:
        peer.image_lists = image_lists
    return _audited(session, actor, "federation.peer.agreement", peer, keyring)


def accept_rotation(
    *, session: Session, statement: str, actor: Actor, keyring: Keyring | None = None
) -> PeerRead:
    """Move a peer to its new key, on its rotation statement; only if the statement is signed
    by the key registered here for that peer (the old key vouches for the new one). From then
    on the old key's requests and answers are refused, and the new key's accepted."""
    parsed = parse_rotation_statement(statement)
    new = parsed.descriptor
    if peer_by_key(session=session, key_id=new.node_id) is not None:
        raise Conflict(f"the rotation to {new.node_id} was already accepted")
    peer = session.scalar(select(Peer).where(Peer.key_id == parsed.previous_node_id))
    if peer is None or not peer.active:
        raise NotFound(f"no active peer with node id {parsed.previous_node_id!r} to rotate")
    if peer.public_key != parsed.previous_public_key_bytes:
        raise InvalidInput("the statement's previous key is not the one registered: refused")
    if new.country != peer.country:
        raise InvalidInput(f"a rotation keeps the country: {peer.country}, not {new.country}")
    previous = peer.key_id
    peer.key_id, peer.public_key, peer.descriptor = new.node_id, new.public_key_bytes, new.to_json()
    peer.name, peer.url = new.name, new.url
    session.flush()
    result = read(peer, keyring)
    audit.record(
        session=session,
        actor=actor,
        action="federation.peer.rotate",
        object_type="peer",
        object_id=new.node_id,
        details={"previous_node_id": previous, "fingerprint": result.fingerprint},
    )
    return result


def remove_peer(
    *, session: Session, peer_id: int, actor: Actor, keyring: Keyring | None = None
) -> PeerRead:
    peer = require_peer(session=session, peer_id=peer_id, active=True)
    peer.active, peer.removed_at = False, utcnow()
    return _audited(session, actor, "federation.peer.remove", peer, keyring)


def list_peers(
    *, session: Session, keyring: Keyring | None = None, include_removed: bool = False
) -> list[PeerRead]:
    query = select(Peer).order_by(Peer.id)
    if not include_removed:
        query = query.where(Peer.active.is_(True))
    return [read(peer, keyring) for peer in session.scalars(query)]


def active_peers(*, session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).where(Peer.active.is_(True)).order_by(Peer.id)))


def require_peer(*, session: Session, peer_id: int, active: bool = False) -> Peer:
    peer = session.get(Peer, peer_id)
    if peer is None or (active and not peer.active):
        raise NotFound(f"no {'active ' if active else ''}peer {peer_id}")
    return peer


def find_peer(*, session: Session, node_id: str, active: bool = True) -> Peer:
    """A peer by its node id (the id in its descriptor and the keyid of its signatures)."""
    peer = session.scalar(select(Peer).where(Peer.key_id == node_id))
    if peer is None or (active and not peer.active):
        raise NotFound(f"no {'active ' if active else ''}peer with node id {node_id!r}")
    return peer


def peer_by_key(*, session: Session, key_id: str) -> Peer | None:
    """The active peer that signs with ``key_id``, or None (an unknown or removed peer)."""
    peer = session.scalar(select(Peer).where(Peer.key_id == key_id))
    return peer if peer is not None and peer.active else None


def kinds_of(peer: Peer) -> frozenset[str]:
    return frozenset(kind for kind in peer.kinds.split(",") if kind)


def checked_kinds(kinds: Iterable[str]) -> list[str]:
    chosen = sorted({str(kind).strip().lower() for kind in kinds if str(kind).strip()})
    unknown = [kind for kind in chosen if kind not in AGREEMENT_KINDS]
    if unknown:
        raise InvalidInput(
            f"unknown kinds {', '.join(unknown)}: choose among {', '.join(AGREEMENT_KINDS)}"
        )
    return chosen


def read(peer: Peer, keyring: Keyring | None = None) -> PeerRead:
    """The peer as people see it; its last failure's reason only with the ``keyring``."""
    failure = health.last_failure(peer, keyring)
    return PeerRead(
        id=peer.id,
        node_id=peer.key_id,
        country=peer.country,
        name=peer.name,
        url=peer.url,
        fingerprint=fingerprint(peer.public_key),
        kinds=sorted(kinds_of(peer)),
        rate_limit=peer.rate_limit,
        image_lists=peer.image_lists,
        active=peer.active,
        added_at=peer.added_at,
        removed_at=peer.removed_at,
        synced_at=peer.synced_at,
        timeout_seconds=peer.timeout_seconds,
        health=PeerHealth(
            summary=health.summary(peer, failure),
            last_success_at=peer.last_success_at,
            last_failure_at=peer.last_failure_at,
            last_failure=failure,
            failing_since=peer.failing_since,
            consecutive_failures=peer.consecutive_failures or 0,
        ),
    )


def charge(*, session: Session, peer: Peer, elements: int, now: float | None = None) -> int:
    """Count ``elements`` against the peer's hourly allowance, or raise RateLimited (nothing
    counted). Returns what is left in the window."""
    moment = int(time.time() if now is None else now)
    window = moment - moment % RATE_WINDOW_SECONDS
    insert_ignoring_duplicate(session, RateUsage, {"peer_id": peer.id, "window_start": window})
    usage = session.scalars(
        select(RateUsage)
        .where(RateUsage.peer_id == peer.id, RateUsage.window_start == window)
        .with_for_update()
    ).one()
    if usage.elements + elements > peer.rate_limit:
        retry = window + RATE_WINDOW_SECONDS - moment
        raise RateLimited(
            f"rate limit: {peer.rate_limit} elements an hour, {usage.elements} used; "
            f"{elements} asked. Retry in {retry} s or ask for a higher limit."
        )
    usage.elements += elements
    session.execute(
        delete(RateUsage).where(
            RateUsage.peer_id == peer.id, RateUsage.window_start < window - RATE_WINDOW_SECONDS
        )
    )
    return peer.rate_limit - usage.elements


class DatabaseReplayGuard:
    """The httpsig ReplayGuard over the ``federation_nonces`` table, shared by every worker.

    Each check is its own short transaction, committed before the request is handled: a replay
    racing the original in another worker waits on the primary key and then sees it.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def seen(self, key_id: str, nonce: str, *, now: int, keep_until: int) -> bool:
        row = {"key_id": key_id[:128], "nonce": nonce[:128], "keep_until": keep_until}
        with self._session_factory() as session, session.begin():
            inserted = insert_ignoring_duplicate(session, SeenNonce, row)
            if inserted and random.randrange(PURGE_ONE_IN) == 0:
                session.execute(delete(SeenNonce).where(SeenNonce.keep_until < now))
        return not inserted


def mark_synced(*, session: Session, peer_id: int, cursor: int, epoch: str | None) -> None:
    session.execute(
        update(Peer)
        .where(Peer.id == peer_id)
        .values(feed_cursor=cursor, feed_epoch=epoch, synced_at=utcnow())
    )


def insert_ignoring_duplicate(session: Session, model: Any, row: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was new."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__
    statement = insert(table).values(**row).on_conflict_do_nothing()
    first_key = next(iter(table.primary_key.columns))
    return session.connection().execute(statement.returning(first_key)).first() is not None


def _checked_rate(rate_limit: int) -> int:
    if not isinstance(rate_limit, int) or not 1 <= rate_limit <= 100_000_000:
        raise InvalidInput("the rate limit is a number of elements an hour, 1 to 100,000,000")
    return rate_limit


def _audited(
    session: Session, actor: Actor, action: str, peer: Peer, keyring: Keyring | None
) -> PeerRead:
    session.flush()
    result = read(peer, keyring)
    details = json.loads(result.model_dump_json(include={"country", "name", "url", "kinds"}))
    details |= {"rate_limit": peer.rate_limit, "image_lists": peer.image_lists}
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object_type="peer",
        object_id=peer.key_id,
        details=details,
    )
    return result
