"""What this node shares, and with whom: distribution levels per report, the entries they
publish under opaque references, the feed peers sync, and the admission of OPRF evaluations.
Plain functions, no HTTP.

Setting a report's level withdraws what it published before and publishes anew, under fresh
references: an entry's audience never changes after a peer has seen it, so a peer's copy is
kept right by adds and removals alone. Each add and each removal takes the next number of one
counter (:class:`FeedSequence`), locked until commit, so the numbers become visible in order
and a peer that synced up to N has every change up to N.

Persons are published only once the federation secret is set (``tipnet node pprl-secret``);
reports shared before that are published with their persons when their level is set again.

What an entry holds: for a selector, its OPRF token under the kind's key (the owner computes
it; a peer can only get its own selectors' tokens, one online evaluation each); for an image,
its PDQ hash (industry shares those as they are); for a person, a CLK that is never sent,
only compared with the CLKs a peer sends.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.errors import InvalidInput
from tipnet.federation import oprf, peers
from tipnet.federation.models import (
    SEQUENCE_ID,
    Distribution,
    DistributionPeer,
    FeedSequence,
    Peer,
    SharedEntry,
)
from tipnet.federation.node import LocalIdentity
from tipnet.federation.person_records import report_person_clks
from tipnet.federation.schemas import (
    IMAGE_KIND,
    PERSON_KIND,
    DistributionRead,
    HashListRead,
    Level,
)
from tipnet.identifiers.models import Identifier
from tipnet.identifiers.service import VALUE_CONTEXT
from tipnet.reports import service as reports
from tipnet.reports.models import ReportFile

SET_BY_CONTEXT = "federation.distribution.set_by"  # who shared: a username, personal data
PDQ_BYTES = 32
MIN_PDQ_QUALITY = 50  # below this, PDQ hashes of different images collide too often
REFERENCE_BYTES = 16


def selector_input(kind: str, value: str) -> bytes:
    """The OPRF input of a normalised selector: its kind in front, so that equal text of two
    kinds never matches. Owner and querier must build it the same way."""
    return f"{kind}:{value}".encode()


def set_distribution(
    *,
    session: Session,
    keyring: Keyring,
    local: LocalIdentity,
    report_ids: Sequence[uuid.UUID],
    level: Level,
    peer_node_ids: Sequence[str],
    actor: Actor,
) -> list[DistributionRead]:
    """Set who may match each report, and publish (or withdraw) its entries accordingly. Many
    reports at once cost little more than one: tokens are computed in one batch per kind and
    rows written in one statement per table."""
    audience = _audience(session, level, peer_node_ids)
    report_ids = list(dict.fromkeys(report_ids))
    for report_id in report_ids:
        reports.require_report(session=session, report_id=report_id)
    counter = _locked_counter(session)
    _withdraw_current(session, counter, report_ids)
    published: dict[uuid.UUID, Counter[str]] = {report_id: Counter() for report_id in report_ids}
    if level is not Level.LOCAL:
        _publish(session, keyring, local, counter, report_ids, level, audience, actor, published)
    session.execute(
        update(FeedSequence).where(FeedSequence.id == SEQUENCE_ID).values(value=counter.value)
    )
    named = sorted(peer.key_id for peer in audience)
    shared = level is not Level.LOCAL
    results = [
        DistributionRead(
            report_id=report_id,
            level=level,
            peers=named,
            shared=dict(published[report_id]),
            set_by=actor.name if shared else None,
            set_at=utcnow() if shared else None,
        )
        for report_id in report_ids
    ]
    audit.record_many(
        session=session,
        events=[
            audit.Event(
                actor,
                "federation.distribution",
                "report",
                str(result.report_id),
                {"level": level.value, "peers": named, "shared": result.shared},
            )
            for result in results
        ],
    )
    return results


def share_hash_list(
    *,
    session: Session,
    keyring: Keyring,
    name: str,
    hashes: Sequence[bytes],
    level: Level,
    peer_node_ids: Sequence[str],
    actor: Actor,
) -> HashListRead:
    """Publish a named list of PDQ hashes (imported from a CSV file) to the peers that may
    have image lists, at a distribution level; sharing a name again replaces the list."""
    if not name.strip() or len(name) > 200:
        raise InvalidInput("a hash list needs a name of 1 to 200 characters")
    audience = _audience(session, level, peer_node_ids)
    counter = _locked_counter(session)
    current = session.scalars(
        select(Distribution).where(
            Distribution.hash_list == name, Distribution.withdrawn_at.is_(None)
        )
    ).all()
    _withdraw(session, counter, current)
    unique = list(dict.fromkeys(h for h in hashes if len(h) == PDQ_BYTES))
    if level is not Level.LOCAL and unique:
        distribution = Distribution(
            hash_list=name,
            level=level.value,
            set_by_enc=keyring.encrypt(actor.name, context=SET_BY_CONTEXT),
        )
        session.add(distribution)
        session.flush()
        session.add_all(
            DistributionPeer(distribution_id=distribution.id, peer_id=p.id) for p in audience
        )
        rows = [
            {
                "distribution_id": distribution.id,
                "kind": IMAGE_KIND,
                "value": value,
                "reference": secrets.token_hex(REFERENCE_BYTES),
                "source_id": row,
                "added_seq": counter.next(),
            }
            for row, value in enumerate(unique)
        ]
        session.execute(insert(SharedEntry), rows)
    session.execute(
        update(FeedSequence).where(FeedSequence.id == SEQUENCE_ID).values(value=counter.value)
    )
    result = HashListRead(
        name=name,
        level=level,
        peers=sorted(peer.key_id for peer in audience),
        hashes=len(unique) if level is not Level.LOCAL else 0,
    )
    audit.record(
        session=session,
        actor=actor,
        action="federation.hash_list",
        object_type="hash_list",
        object_id=name[:64],
        details=result.model_dump(mode="json"),
    )
    return result


def read_distribution(
    *, session: Session, keyring: Keyring, report_id: uuid.UUID
) -> DistributionRead:
    reports.require_report(session=session, report_id=report_id)
    current = _current(session, report_id)
    if current is None:
        return DistributionRead(
            report_id=report_id, level=Level.LOCAL, peers=[], shared={}, set_by=None, set_at=None
        )
    named = session.scalars(
        select(Peer.key_id)
        .join(DistributionPeer, DistributionPeer.peer_id == Peer.id)
        .where(DistributionPeer.distribution_id == current.id)
        .order_by(Peer.key_id)
    ).all()
    counts = session.execute(
        select(SharedEntry.kind, func.count())
        .where(SharedEntry.distribution_id == current.id)
        .group_by(SharedEntry.kind)
    ).all()
    return DistributionRead(
        report_id=report_id,
        level=Level(current.level),
        peers=list(named),
        shared={str(kind): int(count) for kind, count in counts},
        set_by=keyring.decrypt(current.set_by_enc, context=SET_BY_CONTEXT),
        set_at=current.set_at,
    )


def report_of(*, session: Session, entry: SharedEntry) -> uuid.UUID | None:
    distribution = session.get(Distribution, entry.distribution_id)
    return distribution.report_id if distribution is not None else None


# --- helpers ---------------------------------------------------------------------------------


class _Counter:
    def __init__(self, value: int) -> None:
        self.value = value

    def next(self) -> int:
        self.value += 1
        return self.value


def _locked_counter(session: Session) -> _Counter:
    value = session.scalar(
        select(FeedSequence.value).where(FeedSequence.id == SEQUENCE_ID).with_for_update()
    )
    return _Counter(int(value or 0))


def _audience(session: Session, level: Level, node_ids: Sequence[str]) -> list[Peer]:
    if level is not Level.PEERS:
        if node_ids:
            raise InvalidInput("name peers only with level 'peers'")
        return []
    if not node_ids:
        raise InvalidInput("level 'peers' needs at least one peer's node id")
    return [
        peers.find_peer(session=session, node_id=node_id) for node_id in dict.fromkeys(node_ids)
    ]


def _current(session: Session, report_id: uuid.UUID) -> Distribution | None:
    return session.scalar(
        select(Distribution).where(
            Distribution.report_id == report_id, Distribution.withdrawn_at.is_(None)
        )
    )


def _withdraw_current(session: Session, counter: _Counter, report_ids: Sequence[uuid.UUID]) -> None:
    """Withdraw the reports' current distributions."""
    for chunk in _chunks(report_ids):
        _withdraw(
            session,
            counter,
            session.scalars(
                select(Distribution).where(
                    Distribution.report_id.in_(chunk), Distribution.withdrawn_at.is_(None)
                )
            ).all(),
        )


def _withdraw(session: Session, counter: _Counter, current: Sequence[Distribution]) -> None:
    """Mark distributions withdrawn; each of their live entries gets a removal number."""
    if not current:
        return
    now = utcnow()
    for distribution in current:
        distribution.withdrawn_at = now
    live = session.scalars(
        select(SharedEntry.id)
        .where(
            SharedEntry.distribution_id.in_([d.id for d in current]),
            SharedEntry.removed_seq.is_(None),
        )
        .order_by(SharedEntry.id)
    ).all()
    if live:
        removals = [{"id": entry_id, "removed_seq": counter.next()} for entry_id in live]
        session.execute(update(SharedEntry), removals)


def _publish(
    session: Session,
    keyring: Keyring,
    local: LocalIdentity,
    counter: _Counter,
    report_ids: Sequence[uuid.UUID],
    level: Level,
    audience: Sequence[Peer],
    actor: Actor,
    published: dict[uuid.UUID, Counter[str]],
) -> None:
    distributions = {
        report_id: Distribution(
            report_id=report_id,
            level=level.value,
            set_by_enc=keyring.encrypt(actor.name, context=SET_BY_CONTEXT),
        )
        for report_id in report_ids
    }
    session.add_all(distributions.values())
    session.flush()
    if audience:
        session.execute(
            insert(DistributionPeer),
            [
                {"distribution_id": d.id, "peer_id": peer.id}
                for d in distributions.values()
                for peer in audience
            ],
        )
    rows = []
    for report_id, kind, value, source_id in _entries_of(session, keyring, local, report_ids):
        rows.append(
            {
                "distribution_id": distributions[report_id].id,
                "kind": kind,
                "value": value,
                "reference": secrets.token_hex(REFERENCE_BYTES),
                "source_id": source_id,
                "added_seq": counter.next(),
            }
        )
        published[report_id][kind] += 1
    if rows:
        session.execute(insert(SharedEntry), rows)


def _entries_of(
    session: Session, keyring: Keyring, local: LocalIdentity, report_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, bytes, int]]:
    """(report, kind, value, source row id) of everything the reports can share, once each
    per report; each distinct selector's token is computed once."""
    selectors: dict[str, dict[tuple[uuid.UUID, str], int]] = defaultdict(dict)
    images: dict[tuple[uuid.UUID, bytes], int] = {}
    for chunk in _chunks(report_ids):
        for row in session.scalars(
            select(Identifier).where(Identifier.report_id.in_(chunk)).order_by(Identifier.id)
        ):
            value = keyring.decrypt(row.value_enc, context=VALUE_CONTEXT)
            selectors[row.kind].setdefault((row.report_id, value), row.id)
        for file in session.scalars(
            select(ReportFile).where(ReportFile.report_id.in_(chunk)).order_by(ReportFile.id)
        ):
            if file.pdq and (file.pdq_quality or 0) >= MIN_PDQ_QUALITY:
                images.setdefault((file.report_id, bytes.fromhex(file.pdq)), file.id)
    entries: list[tuple[uuid.UUID, str, bytes, int]] = []
    for kind, found in selectors.items():
        values = list(dict.fromkeys(value for _, value in found))
        tokens = oprf.owner_tokens(
            local.oprf_key(kind), [selector_input(kind, value) for value in values]
        )
        token_of = dict(zip(values, tokens, strict=True))
        entries += [(r, kind, token_of[value], source) for (r, value), source in found.items()]
    entries += [(r, IMAGE_KIND, pdq, source) for (r, pdq), source in images.items()]
    if local.pprl_secret is not None:
        clks = report_person_clks(
            session=session, keyring=keyring, secret=local.pprl_secret, report_ids=report_ids
        )
        entries += [(r, PERSON_KIND, clk, source) for r, clk, source in clks]
    return entries


def _chunks(report_ids: Sequence[uuid.UUID], size: int = 500) -> list[Sequence[uuid.UUID]]:
    return [report_ids[start : start + size] for start in range(0, len(report_ids), size)]
