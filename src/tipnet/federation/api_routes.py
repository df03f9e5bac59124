"""The federation as this node's people see it, under ``/api/v1/federation``: administrators
set up the node's identity and its peers; investigators choose what each report shares, query
peers, and send, read and decide cooperation requests. Bearer tokens, as for every /api/v1
route; what nodes say to each other is in :mod:`tipnet.federation.routes`."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response, status

from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.deps import (
    KeyringDep,
    PageLimit,
    PageOffset,
    ReadSessionDep,
    Requires,
    SessionDep,
    SettingsDep,
)
from tipnet.federation import (
    cooperation,
    hits,
    images,
    node,
    outbox,
    peers,
    persons,
    runtime,
    sharing,
)
from tipnet.federation.context import FederationContext
from tipnet.federation.deadlines import ResponseWindows
from tipnet.federation.schemas import (
    CooperationCreate,
    CooperationDecision,
    CooperationRead,
    CooperationStatus,
    CooperationSummary,
    Direction,
    DistributionRead,
    DistributionSet,
    ImageQuery,
    NodeInit,
    NodeRead,
    OutboxRead,
    PeerCreate,
    PeerRead,
    PeerUpdate,
    PersonQuery,
    QueryResult,
    SelectorQuery,
    SyncOutcome,
)

router = APIRouter(tags=["federation"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such peer."}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Already done, or the node has no identity yet."}
}
Admin = Annotated[Principal, Depends(Requires(Permission.ADMIN))]
Cooperator = Annotated[Principal, Depends(Requires(Permission.FEDERATION_COOPERATE))]
PeerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Peer id, from GET /peers.")]


async def _response_windows(settings: SettingsDep) -> ResponseWindows:
    return ResponseWindows.of(settings)


Windows = Annotated[ResponseWindows, Depends(_response_windows)]


@router.get("/federation/node", response_model=NodeRead, responses=CONFLICT)
def read_node(session: ReadSessionDep, keyring: KeyringDep, _principal: Admin) -> NodeRead:
    """This node's identity and the signed descriptor to hand to peers."""
    return _node_read(node.descriptor(session=session, keyring=keyring))


@router.post(
    "/federation/node",
    response_model=NodeRead,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT,
)
def init_node(
    init: NodeInit, session: SessionDep, keyring: KeyringDep, principal: Admin
) -> NodeRead:
    """Create this node's identity (once): an Ed25519 signing key and OPRF keys."""
    descriptor = node.init_node(
        session=session,
        keyring=keyring,
        country=init.country,
        name=init.name,
        url=init.url,
        actor=principal.actor,
    )
    return _node_read(descriptor)


@router.get("/federation/peers", response_model=list[PeerRead])
def list_peers(
    session: ReadSessionDep, keyring: KeyringDep, _principal: Admin, include_removed: bool = False
) -> Any:
    return peers.list_peers(session=session, keyring=keyring, include_removed=include_removed)


@router.post(
    "/federation/peers",
    response_model=PeerRead,
    status_code=status.HTTP_201_CREATED,
    responses=CONFLICT,
)
def add_peer(create: PeerCreate, response: Response, session: SessionDep, principal: Admin) -> Any:
    """Register a peer from its descriptor with a sharing agreement (what it may ask here)."""
    peer = peers.add_peer(
        session=session,
        descriptor=json.dumps(create.descriptor),
        actor=principal.actor,
        kinds=create.kinds if create.kinds is not None else peers.DEFAULT_KINDS,
        rate_limit=create.rate_limit or peers.DEFAULT_RATE_LIMIT,
        image_lists=bool(create.image_lists),
    )
    response.headers["Location"] = f"/api/v1/federation/peers/{peer.id}"
    return peer


@router.patch("/federation/peers/{peer_id}", response_model=PeerRead, responses=NOT_FOUND)
def update_peer(
    peer_id: PeerId, update: PeerUpdate, session: SessionDep, keyring: KeyringDep, principal: Admin
) -> Any:
    """Change a peer's agreement; fields left out stay as they are."""
    return peers.update_agreement(
        session=session,
        keyring=keyring,
        peer_id=peer_id,
        actor=principal.actor,
        kinds=update.kinds,
        rate_limit=update.rate_limit,
        image_lists=update.image_lists,
        timeout_seconds=update.timeout_seconds,
    )


@router.delete("/federation/peers/{peer_id}", response_model=PeerRead, responses=NOT_FOUND)
def remove_peer(peer_id: PeerId, session: SessionDep, keyring: KeyringDep, principal: Admin) -> Any:
    """Stop trusting a peer; its history stays."""
    return peers.remove_peer(
        session=session, keyring=keyring, peer_id=peer_id, actor=principal.actor
    )


@router.put(
    "/reports/{report_id}/distribution",
    response_model=DistributionRead,
    responses={404: {"description": "No such report or peer."}, **CONFLICT},
)
def set_distribution(
    report_id: uuid.UUID,
    change: DistributionSet,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Requires(Permission.FEDERATION_SHARE))],
) -> Any:
    """Who may match this report: only this node (`local`, the default), the named `peers`,
    or the whole `federation`. Peers only ever learn hit/no-hit and an opaque reference."""
    ctx = _context(request)
    [result] = sharing.set_distribution(
        session=session,
        keyring=ctx.keyring,
        local=ctx.local,
        report_ids=[report_id],
        level=change.level,
        peer_node_ids=change.peers,
        actor=principal.actor,
    )
    return result


@router.get(
    "/reports/{report_id}/distribution",
    response_model=DistributionRead,
    responses={404: {"description": "No such report."}},
)
def read_distribution(
    report_id: uuid.UUID,
    session: ReadSessionDep,
    keyring: KeyringDep,
    _principal: Annotated[Principal, Depends(Requires(Permission.FEDERATION_SHARE))],
) -> Any:
    return sharing.read_distribution(session=session, keyring=keyring, report_id=report_id)


@router.post("/federation/queries", response_model=QueryResult, responses=CONFLICT)
async def query_peers(
    query: SelectorQuery,
    request: Request,
    principal: Annotated[Principal, Depends(Requires(Permission.FEDERATION_QUERY))],
) -> Any:
    """Ask every peer, privately, which of these selectors it holds (up to 10,000 of one
    kind). Only blinded values leave this node; a peer learns how many were asked, nothing
    else. Hits come with the peer's opaque reference, to cite in a cooperation request. A peer
    that does not answer is listed with its status, and the result is marked `partial`."""
    return await hits.query_selectors(_context(request), query, actor=principal.actor)


@router.post("/federation/person-queries", response_model=QueryResult, responses=CONFLICT)
async def query_persons(
    query: PersonQuery,
    request: Request,
    principal: Annotated[Principal, Depends(Requires(Permission.FEDERATION_QUERY))],
) -> Any:
    """Ask every peer whether it holds these persons (up to 1,000). Names, dates of birth, sex
    and nationality leave this node only as Bloom-filter encodings under the federation
    secret; a peer answers with references for the persons that match closely enough."""
    return await persons.query_persons(_context(request), query, actor=principal.actor)


@router.post("/federation/image-matches", response_model=QueryResult, responses=CONFLICT)
async def match_images(
    query: ImageQuery,
    request: Request,
    principal: Annotated[Principal, Depends(Requires(Permission.FEDERATION_QUERY))],
) -> Any:
    """Look for PDQ hashes in the image lists peers share with this node (synced first, then
    matched here: peers do not see what is looked for). Hamming distance <= 31 by default."""
    return await images.match_images(_context(request), query, actor=principal.actor)


@router.post("/federation/sync", response_model=list[SyncOutcome], responses=CONFLICT)
async def sync_feeds(
    request: Request,
    principal: Annotated[Principal, Depends(Requires(Permission.FEDERATION_QUERY))],
) -> Any:
    """Bring this node's copies of the peers' feeds up to date now (queries also do it)."""
    return await hits.sync_all(_context(request), actor=principal.actor)


@router.post(
    "/federation/cooperation-requests",
    response_model=CooperationRead,
    status_code=status.HTTP_201_CREATED,
    responses={404: {"description": "No such peer."}},
)
def file_cooperation_request(
    create: CooperationCreate,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    keyring: KeyringDep,
    windows: Windows,
    principal: Cooperator,
) -> Any:
    """Ask a peer for the data behind a hit's reference (purpose, legal basis, urgency, the
    fields wanted). It is queued and delivered to the peer, retried until it arrives; an
    investigator there approves or refuses it, and the answer comes back the same way."""
    filed = cooperation.file_request(
        session=session, keyring=keyring, create=create, actor=principal.actor, windows=windows
    )
    background.add_task(runtime.wake, request.app)  # runs after the commit
    response.headers["Location"] = f"/api/v1/federation/cooperation-requests/{filed.id}"
    return filed


@router.get("/federation/cooperation-requests", response_model=list[CooperationSummary])
def list_cooperation_requests(
    session: ReadSessionDep,
    keyring: KeyringDep,
    windows: Windows,
    _principal: Cooperator,
    direction: Annotated[Direction | None, Query()] = None,
    status_filter: Annotated[CooperationStatus | None, Query(alias="status")] = None,
    overdue: Annotated[
        bool | None,
        Query(description="true: only requests past due without a decision; false: the others."),
    ] = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> Any:
    """Requests sent and received (without purposes or released data): first those received
    and waiting for a decision here, soonest due first, then the others newest first. Each
    shows when its answer is due (48 hours after receipt by default, as in Prüm II), whether
    it is overdue and, once decided, how many hours the answer took."""
    return cooperation.list_requests(
        session=session,
        keyring=keyring,
        direction=direction.value if direction else None,
        status=status_filter.value if status_filter else None,
        overdue=overdue,
        limit=limit,
        offset=offset,
        windows=windows,
    )


@router.get(
    "/federation/cooperation-requests/{cooperation_id}",
    response_model=CooperationRead,
    responses={404: {"description": "No such request."}},
)
def read_cooperation_request(
    cooperation_id: uuid.UUID,
    session: SessionDep,
    keyring: KeyringDep,
    windows: Windows,
    principal: Cooperator,
) -> Any:
    """One request in full, with the data released (if any), decrypted; the read is audited."""
    return cooperation.read_request(
        session=session,
        keyring=keyring,
        cooperation_id=cooperation_id,
        actor=principal.actor,
        windows=windows,
    )


@router.post(
    "/federation/cooperation-requests/{cooperation_id}/decision",
    response_model=CooperationRead,
    responses={404: {"description": "No such request."}, **CONFLICT},
)
def decide_cooperation_request(
    cooperation_id: uuid.UUID,
    decision: CooperationDecision,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    keyring: KeyringDep,
    windows: Windows,
    principal: Cooperator,
) -> Any:
    """Approve or refuse a request a peer sent. Approving releases the chosen fields of the
    referenced report (among those asked) to that peer, decrypted."""
    decided = cooperation.decide(
        session=session,
        keyring=keyring,
        cooperation_id=cooperation_id,
        decision=decision,
        actor=principal.actor,
        windows=windows,
    )
    background.add_task(runtime.wake, request.app)
    return decided


@router.get("/federation/outbox", response_model=list[OutboxRead])
def list_outbox(
    session: ReadSessionDep, keyring: KeyringDep, _principal: Admin, pending: bool = False
) -> Any:
    """Messages to peers, newest first, with their delivery state and the last error (no
    contents)."""
    return outbox.list_messages(session=session, keyring=keyring, pending_only=pending)


def _context(request: Request) -> FederationContext:
    ctx: FederationContext = request.app.state.federation
    return ctx


def _node_read(descriptor: Any) -> NodeRead:
    return NodeRead(
        node_id=descriptor.node_id,
        country=descriptor.country,
        name=descriptor.name,
        url=descriptor.url,
        fingerprint=descriptor.fingerprint,
        descriptor=json.loads(descriptor.to_json()),
    )
