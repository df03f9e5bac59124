"""The querier's side of private hit/no-hit: keeping copies of peers' feeds, and asking every
peer at once whether it holds some selectors, without telling any of them which.

A query normalises the selectors here, blinds them (RFC 9497), syncs each peer's feed, sends
the blinded elements to each peer that shares that kind at all, unblinds the answers into
tokens and looks them up in that peer's feed: a hit is a token the peer published, with its
opaque reference. Peers are asked concurrently; one that fails is reported with its outcome
and the result is marked partial. Only blinded elements and feed requests leave this node.

The selectors are blinded once per query, and the same blinded elements go to every peer:
they are uniformly random points either way, so peers that compare notes learn only that they
were asked the same number of things at the same time, which they could see anyway.

Database work runs in threads (``asyncio.to_thread``) so the event loop keeps serving; each
step is its own short transaction, never held open across a network call.
"""

from __future__ import annotations

import asyncio
import base64
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tipnet.audit import service as audit
from tipnet.audit.service import Actor, Event
from tipnet.db import transaction
from tipnet.errors import TipnetError
from tipnet.federation import oprf, peers
from tipnet.federation.client import FederationClient, PeerAddress, PeerError
from tipnet.federation.context import FederationContext
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.models import Peer, PeerEntry
from tipnet.federation.schemas import (
    IMAGE_KIND,
    MAX_BATCH,
    MAX_FEED_PAGE,
    PERSON_KIND,
    EvaluateRequest,
    EvaluateResponse,
    FeedPage,
    Hit,
    PeerOutcome,
    QueryResult,
    Rejected,
    SelectorQuery,
    SyncOutcome,
)
from tipnet.federation.sharing import selector_input
from tipnet.identifiers import service as identifiers
from tipnet.identifiers.selectors import SelectorKind, SelectorRejected

MAX_FEED_PAGES = 1_000  # pages read in one sync before the rest is left for the next one
LOOKUP_CHUNK = 500  # tokens per IN (...) lookup


async def sync_all(ctx: FederationContext, *, actor: Actor) -> list[SyncOutcome]:
    """Bring our copy of every active peer's feed up to date, concurrently."""
    active = await asyncio.to_thread(active_peers, ctx)
    async with ctx.client() as client:
        outcomes = await asyncio.gather(*(sync_labelled(ctx, client, peer) for peer in active))
    await asyncio.to_thread(_audit_sync, ctx, actor, outcomes)
    return list(outcomes)


async def sync_peer(ctx: FederationContext, client: FederationClient, peer: Peer) -> SyncOutcome:
    """Read the peer's feed from our cursor and apply it; raises PeerError if it fails."""
    added = removed = 0
    for _ in range(MAX_FEED_PAGES):
        cursor, epoch = await asyncio.to_thread(_cursor_of, ctx, peer.id)
        page = await client.call(
            PeerAddress.of(peer),
            "GET",
            f"{SIGNED_PREFIX}/feed",
            FeedPage,
            params={"since": cursor if epoch is not None else 0, "limit": MAX_FEED_PAGE},
        )
        if epoch is not None and page.epoch != epoch:
            await asyncio.to_thread(_restart, ctx, peer.id)  # a new agreement: start again
            continue
        counts = await asyncio.to_thread(_apply, ctx, peer.id, (cursor, epoch), page)
        added, removed = added + counts[0], removed + counts[1]
        if not page.more:
            break
    entries = await asyncio.to_thread(entry_count, ctx, peer.id, None)
    return SyncOutcome(
        node_id=peer.key_id, status="ok", added=added, removed=removed, entries=entries
    )


async def query_selectors(
    ctx: FederationContext, query: SelectorQuery, *, actor: Actor
) -> QueryResult:
    """Ask every active peer which of the selectors it holds; see the module docstring."""
    kind = query.kind.value
    normalised, rejected = _normalise(query)
    active = await asyncio.to_thread(active_peers, ctx)
    outcomes: list[PeerOutcome] = []
    if normalised and active:
        inputs = [selector_input(kind, value) for value in normalised]
        state, blinded = await asyncio.to_thread(oprf.blind_batch, inputs)
        async with ctx.client() as client:
            outcomes = list(
                await asyncio.gather(
                    *(_ask(ctx, client, peer, kind, normalised, state, blinded) for peer in active)
                )
            )
    else:
        outcomes = [outcome_of(peer, "ok", "nothing to ask") for peer in active]
    result = QueryResult(
        kind=kind,
        asked=len(normalised),
        rejected=rejected,
        partial=any(outcome.status != "ok" for outcome in outcomes),
        peers=outcomes,
    )
    await asyncio.to_thread(audit_query, ctx, actor, result)
    return result


# --- one peer ---------------------------------------------------------------------------------


async def _ask(
    ctx: FederationContext,
    client: FederationClient,
    peer: Peer,
    kind: str,
    normalised: Sequence[str],
    state: oprf.BlindState,
    blinded: Sequence[bytes],
) -> PeerOutcome:
    try:
        await sync_peer(ctx, client, peer)
        if not await asyncio.to_thread(entry_count, ctx, peer.id, kind):
            return outcome_of(peer, "ok", f"shares no {kind}: not asked")
        evaluated: list[bytes] = []
        for start in range(0, len(blinded), MAX_BATCH):
            chunk = list(blinded[start : start + MAX_BATCH])
            answer = await client.call(
                PeerAddress.of(peer),
                "POST",
                f"{SIGNED_PREFIX}/oprf/evaluate",
                EvaluateResponse,
                body=EvaluateRequest(kind=SelectorKind(kind), elements=chunk),
            )
            evaluated += answer.elements
        outputs = await asyncio.to_thread(oprf.finalize_batch, state, evaluated)
    except PeerError as error:
        return outcome_of(peer, error.outcome, error.message)
    except TipnetError as error:  # a wrong count or invalid points: the peer's fault, not ours
        reason = f"{peer.name}'s answer is unusable: {error.message}"
        await asyncio.to_thread(
            ctx.health.failure, peer.id, peer.name, peer.key_id, "error", reason
        )
        return outcome_of(peer, "error", reason)
    tokens = [oprf.to_token(output) for output in outputs]
    found = await asyncio.to_thread(_lookup, ctx, peer.id, kind, tokens)
    hits = [
        Hit(value=value, reference=reference)
        for value, token in zip(normalised, tokens, strict=True)
        for reference in found.get(token, [])
    ]
    return outcome_of(peer, "ok", None, hits)


async def sync_labelled(
    ctx: FederationContext, client: FederationClient, peer: Peer
) -> SyncOutcome:
    try:
        return await sync_peer(ctx, client, peer)
    except PeerError as error:
        return SyncOutcome(node_id=peer.key_id, status=error.outcome, detail=error.message)


def outcome_of(
    peer: Peer, status: str, detail: str | None, hits: list[Hit] | None = None
) -> PeerOutcome:
    return PeerOutcome(
        node_id=peer.key_id,
        name=peer.name,
        country=peer.country,
        status=status,
        detail=detail,
        hits=hits or [],
    )


def _normalise(query: SelectorQuery) -> tuple[list[str], list[Rejected]]:
    """Canonical values, once each, in the order asked; values that cannot be read, and why."""
    normalised: dict[str, None] = {}
    rejected: list[Rejected] = []
    for value in query.values:
        try:
            found = identifiers.normalise_one(
                kind=query.kind.value, value=value, country=query.country, platform=query.platform
            )
        except SelectorRejected as error:
            rejected.append(Rejected(value=value, message=error.message))
            continue
        if not found:
            rejected.append(Rejected(value=value, message=f"no {query.kind.value} found in it"))
        normalised.update((selector.value, None) for selector in found)
    return list(normalised), rejected


# --- database steps (each in its own short transaction) ---------------------------------------


def active_peers(ctx: FederationContext) -> list[Peer]:
    with ctx.session_factory() as session:
        return peers.active_peers(session=session)


def _cursor_of(ctx: FederationContext, peer_id: int) -> tuple[int, str | None]:
    with ctx.session_factory() as session:
        peer = peers.require_peer(session=session, peer_id=peer_id)
        return peer.feed_cursor, peer.feed_epoch


def _restart(ctx: FederationContext, peer_id: int) -> None:
    with transaction(ctx.session_factory) as session:
        session.execute(delete(PeerEntry).where(PeerEntry.peer_id == peer_id))
        peers.mark_synced(session=session, peer_id=peer_id, cursor=0, epoch=None)


def _apply(
    ctx: FederationContext, peer_id: int, based_on: tuple[int, str | None], page: FeedPage
) -> tuple[int, int]:
    """Apply one page read at ``based_on`` (cursor, epoch), unless another sync has moved the
    cursor meanwhile: then it applied this page already."""
    with transaction(ctx.session_factory) as session:
        peer = session.scalars(select(Peer).where(Peer.id == peer_id).with_for_update()).one()
        if (peer.feed_cursor, peer.feed_epoch) != based_on:
            return 0, 0
        if based_on[1] is None:
            session.execute(delete(PeerEntry).where(PeerEntry.peer_id == peer_id))
        rows = [
            {
                "peer_id": peer_id,
                "kind": entry.kind,
                "value": base64.b64decode(entry.value),
                "reference": entry.reference,
            }
            for entry in page.adds
        ]
        if rows:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            session.execute(insert(PeerEntry).values(rows).on_conflict_do_nothing())
        if page.removes:
            session.execute(
                delete(PeerEntry).where(
                    PeerEntry.peer_id == peer_id, PeerEntry.reference.in_(page.removes)
                )
            )
        peers.mark_synced(session=session, peer_id=peer_id, cursor=page.next, epoch=page.epoch)
        return len(rows), len(page.removes)


def entry_count(ctx: FederationContext, peer_id: int, kind: str | None) -> int:
    with ctx.session_factory() as session:
        query = select(func.count()).select_from(PeerEntry).where(PeerEntry.peer_id == peer_id)
        if kind is not None:
            query = query.where(PeerEntry.kind == kind)
        return int(session.scalar(query) or 0)


def _lookup(
    ctx: FederationContext, peer_id: int, kind: str, tokens: Sequence[bytes]
) -> dict[bytes, list[str]]:
    found: dict[bytes, list[str]] = defaultdict(list)
    with ctx.session_factory() as session:
        for start in range(0, len(tokens), LOOKUP_CHUNK):
            chunk = list(set(tokens[start : start + LOOKUP_CHUNK]))
            rows = session.execute(
                select(PeerEntry.value, PeerEntry.reference).where(
                    PeerEntry.peer_id == peer_id, PeerEntry.kind == kind, PeerEntry.value.in_(chunk)
                )
            )
            for value, reference in rows:
                found[bytes(value)].append(reference)
    return found


def audit_query(ctx: FederationContext, actor: Actor, result: QueryResult) -> None:
    """One event for the query (how many were asked, each peer's outcome), one per hit (peer,
    reference, and a blind index of what was asked, never the plaintext: for selectors and
    names the same keyed index local records carry, so the hit can be traced to them)."""
    events = [
        Event(
            actor,
            "federation.query",
            "query",
            None,
            {
                "kind": result.kind,
                "asked": result.asked,
                "partial": result.partial,
                "peers": {o.node_id: [o.status, len(o.hits)] for o in result.peers},
            },
        )
    ]
    for outcome in result.peers:
        for hit in outcome.hits:
            index = _index_of(ctx, result.kind, hit.value)
            details = {"peer": outcome.node_id, "kind": result.kind, "index": index}
            events.append(Event(actor, "federation.hit", "reference", hit.reference, details))
    with transaction(ctx.session_factory) as session:
        audit.record_many(session=session, events=events)


def _index_of(ctx: FederationContext, kind: str, value: str) -> str:
    if kind == PERSON_KIND:
        return ctx.keyring.blind_index(value, context="person.name")
    if kind == IMAGE_KIND:
        return value  # a PDQ hash: what hash lists carry anyway
    return identifiers.index_value(ctx.keyring, kind, value)


def _audit_sync(ctx: FederationContext, actor: Actor, outcomes: Sequence[SyncOutcome]) -> None:
    details = {o.node_id: [o.status, o.added, o.removed] for o in outcomes}
    with transaction(ctx.session_factory) as session:
        audit.record(
            session=session,
            actor=actor,
            action="federation.sync",
            object_type="feed",
            details={"peers": details},
        )
