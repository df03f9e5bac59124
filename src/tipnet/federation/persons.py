"""Person hit/no-hit between nodes: names, dates of birth, sex and nationality travel only as
Bloom-filter encodings (CLKs) under the federation's shared secret
(:mod:`tipnet.federation.pprl`), compared by Dice similarity on the owning node.

The owner keeps a CLK of every person of every shared report (published with the report's
distribution, never sent); a querier encodes the persons it asks about and sends the CLKs; the
owner answers, for each, the references of the persons its distribution lets that peer match
whose similarity reaches :data:`pprl.QUERY_THRESHOLD`. Both sides must hold the same secret:
the request names its scheme fingerprint, and a mismatch is refused rather than answered with
meaningless misses. Rate-limited per peer (persons compared) and audited (counts only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.errors import Conflict, InvalidInput, PermissionDenied, TipnetError
from tipnet.federation import peers, pprl
from tipnet.federation.audience import visible_entries
from tipnet.federation.client import FederationClient, PeerAddress, PeerError
from tipnet.federation.context import FederationContext
from tipnet.federation.hits import active_peers, audit_query, outcome_of
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.models import Peer, SharedEntry
from tipnet.federation.person_records import record_of
from tipnet.federation.schemas import (
    PERSON_KIND,
    Hit,
    PeerOutcome,
    PersonHit,
    PersonMatchRequest,
    PersonMatchResponse,
    PersonQuery,
    QueryResult,
)

# --- the owner ---------------------------------------------------------------------------------


def admit_person_match(
    *,
    session: Session,
    peer_id: int,
    kinds: frozenset[str],
    secret: bytes | None,
    request: PersonMatchRequest,
    actor: Actor,
) -> bytes:
    """Check the agreement, the shared secret and the rate limit; audit the count. Returns
    the secret to compare under."""
    if PERSON_KIND not in kinds:
        raise PermissionDenied("your agreement with this node does not cover persons")
    if secret is None:
        raise Conflict("this node has no federation secret for persons yet; ask its operator")
    if request.scheme != pprl.scheme_of(secret).hex():
        raise InvalidInput(
            "your person encodings were made under another federation secret or schema "
            f"(scheme {request.scheme}); ask the federation for the current secret"
        )
    peer = peers.require_peer(session=session, peer_id=peer_id, active=True)
    left = peers.charge(session=session, peer=peer, elements=len(request.encodings))
    audit.record(
        session=session,
        actor=actor,
        action="federation.person.match",
        object_type="peer",
        object_id=peer.key_id,
        details={"count": len(request.encodings), "left_this_hour": left},
    )
    return secret


def match_persons(
    *, session: Session, secret: bytes, peer_id: int, request: PersonMatchRequest
) -> PersonMatchResponse:
    """For each encoding asked, the references of the persons shared with the peer it matches."""
    scheme = pprl.scheme_of(secret)
    length = pprl.DEFAULT.length
    if any(len(encoding) * 8 != length for encoding in request.encodings):
        raise InvalidInput(f"every person encoding must be {length // 8} bytes ({length} bits)")
    bank_rows = session.execute(
        visible_entries(peer_id, [PERSON_KIND])
        .where(SharedEntry.removed_seq.is_(None))
        .with_only_columns(SharedEntry.value, SharedEntry.reference)
    ).all()
    if not bank_rows:
        return PersonMatchResponse(hits=[])
    query = _encodings([bytes(e) for e in request.encodings], length, scheme)
    bank = _encodings([bytes(row[0]) for row in bank_rows], length, scheme)
    found = pprl.candidates(query, bank, pprl.QUERY_THRESHOLD)
    return PersonMatchResponse(
        hits=[
            PersonHit(index=index, references=[bank_rows[m.b_index][1] for m in matches])
            for index, matches in enumerate(found)
            if matches
        ]
    )


# --- the querier -------------------------------------------------------------------------------


async def query_persons(ctx: FederationContext, query: PersonQuery, *, actor: Actor) -> QueryResult:
    """Ask every peer whether it holds these persons; only their CLKs leave this node."""
    secret = ctx.local.pprl_secret
    if secret is None:
        raise Conflict("set the federation secret first (`tipnet node pprl-secret`)")
    records = [
        record_of(
            p.name,
            p.date_of_birth.isoformat() if p.date_of_birth else None,
            p.sex,
            p.nationality,
        )
        for p in query.persons
    ]
    encoded = await asyncio.to_thread(pprl.encode, [r for r in records if r is not None], secret)
    message = PersonMatchRequest(
        scheme=encoded.scheme.hex(), encodings=[row.tobytes() for row in encoded.bits]
    )
    names = [p.name for p in query.persons]
    active = await asyncio.to_thread(active_peers, ctx)
    async with ctx.client() as client:
        outcomes = await asyncio.gather(*(_ask(client, peer, message, names) for peer in active))
    result = QueryResult(
        kind=PERSON_KIND,
        asked=len(names),
        rejected=[],
        partial=any(outcome.status != "ok" for outcome in outcomes),
        peers=list(outcomes),
    )
    await asyncio.to_thread(audit_query, ctx, actor, result)
    return result


async def _ask(
    client: FederationClient, peer: Peer, message: PersonMatchRequest, names: Sequence[str]
) -> PeerOutcome:
    try:
        answer = await client.call(
            PeerAddress.of(peer),
            "POST",
            f"{SIGNED_PREFIX}/persons/match",
            PersonMatchResponse,
            body=message,
        )
        hits = _hits(answer, names)
    except PeerError as error:
        return outcome_of(peer, error.outcome, error.message)
    except TipnetError as error:
        return outcome_of(peer, "error", f"{peer.name}'s answer is unusable: {error.message}")
    return outcome_of(peer, "ok", None, hits)


def _hits(answer: PersonMatchResponse, names: Sequence[str]) -> list[Hit]:
    hits = []
    for hit in answer.hits:
        if not 0 <= hit.index < len(names):
            raise InvalidInput(f"the answer names person {hit.index} of {len(names)}")
        hits += [Hit(value=names[hit.index], reference=ref) for ref in hit.references]
    return hits


def _encodings(rows: Sequence[bytes], length: int, scheme: bytes) -> pprl.Encodings:
    packed = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), length // 8)
    return pprl.Encodings(packed.copy(), length, scheme)
