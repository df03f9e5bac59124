"""The feed a peer syncs: what changed in the entries it may see since its cursor, adds and
removals in sequence order (see :mod:`tipnet.federation.sharing` for why the order holds), and
the admission of OPRF evaluations against the peer's agreement and rate limit. Plain
functions, no HTTP."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.errors import InvalidInput, PermissionDenied
from tipnet.federation import peers
from tipnet.federation.audience import visible_entries
from tipnet.federation.models import SEQUENCE_ID, FeedSequence, SharedEntry
from tipnet.federation.node import LocalIdentity
from tipnet.federation.schemas import IMAGE_KIND, SELECTOR_KINDS, FeedEntry, FeedPage


def feed_epoch(local: LocalIdentity, kinds: Iterable[str], image_lists: bool) -> str:
    """Names what a peer's copy of our feed was built under; when it changes (a new agreement),
    the peer drops its copy and syncs from 0."""
    text = f"{local.node_id}|{','.join(sorted(kinds))}|{image_lists}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def feed_page(
    *,
    session: Session,
    local: LocalIdentity,
    peer_id: int,
    kinds: frozenset[str],
    image_lists: bool,
    since: int,
    limit: int,
) -> FeedPage:
    """What the peer may see that changed after ``since``: adds and removals in order."""
    upto = session.scalar(select(FeedSequence.value).where(FeedSequence.id == SEQUENCE_ID)) or 0
    if since > upto:
        raise InvalidInput(f"since={since} is ahead of this feed (at {upto}): sync from 0")
    visible_kinds = sorted(k for k in kinds if k in SELECTOR_KINDS) + (
        [IMAGE_KIND] if image_lists else []
    )
    seen = visible_entries(peer_id, visible_kinds)
    added = session.execute(
        seen.add_columns(SharedEntry.added_seq)
        .where(SharedEntry.added_seq > since, SharedEntry.added_seq <= upto)
        .order_by(SharedEntry.added_seq)
        .limit(limit)
    ).all()
    removed = session.execute(
        seen.add_columns(SharedEntry.removed_seq)
        .where(SharedEntry.removed_seq > since, SharedEntry.removed_seq <= upto)
        .order_by(SharedEntry.removed_seq)
        .limit(limit)
    ).all()
    events = sorted(
        [(row[-1], "add", row[0]) for row in added]
        + [(row[-1], "remove", row[0]) for row in removed],
        key=lambda event: event[0],
    )[:limit]
    more = len(events) == limit
    return FeedPage(
        epoch=feed_epoch(local, kinds, image_lists),
        since=since,
        next=events[-1][0] if more else upto,
        more=more,
        adds=[_feed_entry(entry) for _, op, entry in events if op == "add"],
        removes=[entry.reference for _, op, entry in events if op == "remove"],
    )


def audit_feed_read(*, session: Session, actor: Actor, page: FeedPage) -> None:
    audit.record(
        session=session,
        actor=actor,
        action="federation.feed",
        object_type="feed",
        details={
            "since": page.since,
            "next": page.next,
            "adds": len(page.adds),
            "removes": len(page.removes),
        },
    )


def admit_evaluation(
    *, session: Session, peer_id: int, kinds: frozenset[str], kind: str, count: int, actor: Actor
) -> None:
    """Let a peer have ``count`` elements evaluated under ``kind``'s key, or refuse: the kind
    must be in its agreement and the count within its hourly limit. Audited (count only)."""
    if kind not in kinds:
        raise PermissionDenied(
            f"your agreement with this node does not cover '{kind}' "
            f"(it covers: {', '.join(sorted(kinds)) or 'nothing'})"
        )
    peer = peers.require_peer(session=session, peer_id=peer_id, active=True)
    left = peers.charge(session=session, peer=peer, elements=count)
    audit.record(
        session=session,
        actor=actor,
        action="federation.oprf.evaluate",
        object_type="peer",
        object_id=peer.key_id,
        details={"kind": kind, "count": count, "left_this_hour": left},
    )


def _feed_entry(entry: SharedEntry) -> FeedEntry:
    return FeedEntry(
        kind=entry.kind, value=base64.b64encode(entry.value).decode(), reference=entry.reference
    )
