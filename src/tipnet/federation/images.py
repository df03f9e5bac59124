"""Image hash lists between nodes: a peer whose agreement allows image lists receives, in its
feed, the PDQ hashes of every image of the reports shared with it (quality >= 50), each under
an opaque reference; it matches its own images against its copies locally, so the owner never
learns which images were looked for. A match is a Hamming distance of at most 31 of 256 bits
(the threshold NCMEC and industry lists use).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select

from tipnet.audit.service import Actor
from tipnet.federation.context import FederationContext
from tipnet.federation.hits import active_peers, audit_query, outcome_of, sync_labelled
from tipnet.federation.models import Peer, PeerEntry
from tipnet.federation.schemas import IMAGE_KIND, Hit, ImageQuery, PeerOutcome, QueryResult
from tipnet.link.pdq_index import PDQIndex

PDQ_BYTES = 32


async def match_images(ctx: FederationContext, query: ImageQuery, *, actor: Actor) -> QueryResult:
    """Sync every peer's feed, then look for the hashes in each peer's image list here."""
    asked = [bytes.fromhex(value) for value in query.pdq]
    active = await asyncio.to_thread(active_peers, ctx)
    async with ctx.client() as client:
        synced = await asyncio.gather(*(sync_labelled(ctx, client, peer) for peer in active))
    outcomes: list[PeerOutcome] = []
    for peer, sync in zip(active, synced, strict=True):
        found = await asyncio.to_thread(_match_copy, ctx, peer, asked, query.max_distance)
        hits = [
            Hit(value=query.pdq[index].lower(), reference=reference, score=float(distance))
            for index, reference, distance in found
        ]
        detail = None if sync.status == "ok" else f"matched the copy synced before: {sync.detail}"
        outcomes.append(outcome_of(peer, sync.status, detail, hits))
    result = QueryResult(
        kind=IMAGE_KIND,
        asked=len(asked),
        rejected=[],
        partial=any(outcome.status != "ok" for outcome in outcomes),
        peers=outcomes,
    )
    await asyncio.to_thread(audit_query, ctx, actor, result)
    return result


def hamming_pairs(
    asked: Sequence[bytes], listed: Sequence[bytes], max_distance: int
) -> list[tuple[int, int, int]]:
    """(asked index, listed index, distance) of every pair within ``max_distance`` bits, by
    the exact multi-index search of :mod:`tipnet.link.pdq_index`."""
    if not asked or not listed:
        return []
    rows, ids, distances = PDQIndex.build(_matrix(listed)).search(_matrix(asked), max_distance)
    found = zip(rows.tolist(), ids.tolist(), distances.tolist(), strict=True)
    return sorted((int(i), int(j), int(d)) for i, j, d in found)


def _match_copy(
    ctx: FederationContext, peer: Peer, asked: Sequence[bytes], max_distance: int
) -> list[tuple[int, str, int]]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(PeerEntry.value, PeerEntry.reference).where(
                PeerEntry.peer_id == peer.id, PeerEntry.kind == IMAGE_KIND
            )
        ).all()
    listed = [bytes(value) for value, _ in rows]
    return [
        (i, rows[j][1], distance)
        for i, j, distance in hamming_pairs(asked, listed, max_distance)
        if len(listed[j]) == PDQ_BYTES
    ]


def _matrix(hashes: Sequence[bytes]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    usable = [value if len(value) == PDQ_BYTES else bytes(PDQ_BYTES) for value in hashes]
    return np.frombuffer(b"".join(usable), dtype=np.uint8).reshape(len(usable), PDQ_BYTES)
