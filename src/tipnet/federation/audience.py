"""Who can see a shared entry: the peers its distribution names, or every peer. One place, so
the feed, person matching and cooperation requests agree on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from tipnet.federation.models import Distribution, DistributionPeer, SharedEntry
from tipnet.federation.schemas import Level


def visible_entries(peer_id: int, kinds: Sequence[str]) -> Select[Any]:
    """Entries of ``kinds`` whose distribution reaches the peer."""
    named = exists().where(
        and_(
            DistributionPeer.distribution_id == Distribution.id,
            DistributionPeer.peer_id == peer_id,
        )
    )
    return (
        select(SharedEntry)
        .join(Distribution, Distribution.id == SharedEntry.distribution_id)
        .where(
            SharedEntry.kind.in_(kinds),
            or_(Distribution.level == Level.FEDERATION.value, named),
        )
    )


def resolve_reference(*, session: Session, reference: str, peer_id: int) -> SharedEntry | None:
    """The entry a peer cites, if that peer could have seen it (withdrawn ones included: the
    peer may have had a hit before the withdrawal)."""
    entry = session.scalar(select(SharedEntry).where(SharedEntry.reference == reference))
    if entry is None:
        return None
    distribution = session.get(Distribution, entry.distribution_id)
    if distribution is None:
        return None
    if distribution.level == Level.FEDERATION.value:
        return entry
    named = session.get(DistributionPeer, (distribution.id, peer_id))
    return entry if named is not None else None
