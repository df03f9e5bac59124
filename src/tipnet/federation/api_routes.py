"""The federation as this node's people see it, under ``/api/v1/federation``: administrators
set up the node's identity and its peers; investigators choose what each report shares, query
peers, and send, read and decide cooperation requests. Bearer tokens, as for every /api/v1
route; what nodes say to each other is in :mod:`tipnet.federation.routes`."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.deps import KeyringDep, Requires, SessionDep
from tipnet.federation import node, peers
from tipnet.federation.schemas import NodeInit, NodeRead, PeerCreate, PeerRead, PeerUpdate

router = APIRouter(prefix="/federation", tags=["federation"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such peer."}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Already done, or the node has no identity yet."}
}
Admin = Annotated[Principal, Depends(Requires(Permission.ADMIN))]
PeerId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Peer id, from GET /peers.")]


@router.get("/node", response_model=NodeRead, responses=CONFLICT)
def read_node(session: SessionDep, keyring: KeyringDep, _principal: Admin) -> NodeRead:
    """This node's identity and the signed descriptor to hand to peers."""
    return _node_read(node.descriptor(session=session, keyring=keyring))


@router.post(
    "/node", response_model=NodeRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT
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


@router.get("/peers", response_model=list[PeerRead])
def list_peers(session: SessionDep, _principal: Admin, include_removed: bool = False) -> Any:
    return peers.list_peers(session=session, include_removed=include_removed)


@router.post(
    "/peers", response_model=PeerRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT
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


@router.patch("/peers/{peer_id}", response_model=PeerRead, responses=NOT_FOUND)
def update_peer(peer_id: PeerId, update: PeerUpdate, session: SessionDep, principal: Admin) -> Any:
    """Change a peer's agreement; fields left out stay as they are."""
    return peers.update_agreement(
        session=session,
        peer_id=peer_id,
        actor=principal.actor,
        kinds=update.kinds,
        rate_limit=update.rate_limit,
        image_lists=update.image_lists,
    )


@router.delete("/peers/{peer_id}", response_model=PeerRead, responses=NOT_FOUND)
def remove_peer(peer_id: PeerId, session: SessionDep, principal: Admin) -> Any:
    """Stop trusting a peer; its history stays."""
    return peers.remove_peer(session=session, peer_id=peer_id, actor=principal.actor)


def _node_read(descriptor: Any) -> NodeRead:
    return NodeRead(
        node_id=descriptor.node_id,
        country=descriptor.country,
        name=descriptor.name,
        url=descriptor.url,
        fingerprint=descriptor.fingerprint,
        descriptor=json.loads(descriptor.to_json()),
    )
