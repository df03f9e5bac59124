"""HTTP face of networks: list, read, export, attach to a case, hub overrides. Reading needs
``network:read``; overrides and attachments need ``network:write`` (investigators)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.deps import KeyringDep, PageLimit, PageOffset, ReadSessionDep, Requires, SessionDep
from tipnet.interop import exports
from tipnet.link import service
from tipnet.link.schemas import (
    NetworkAttach,
    NetworkRead,
    NetworkSummary,
    OverrideCreate,
    OverrideRead,
)

router = APIRouter(tags=["networks"])

Reader = Annotated[Principal, Depends(Requires(Permission.NETWORK_READ))]
Writer = Annotated[Principal, Depends(Requires(Permission.NETWORK_WRITE))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such network or case."}}
MEDIA_TYPES = {
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
    "stix": ("application/stix+json;version=2.1", "json"),
}


@router.get("/networks", response_model=list[NetworkSummary])
def list_networks(
    session: ReadSessionDep,
    principal: Reader,
    limit: PageLimit = 100,
    offset: PageOffset = 0,
    transnational: Annotated[
        bool | None, Query(description="Only networks spanning several countries.")
    ] = None,
    min_risk: Annotated[float, Query(ge=0, le=1)] = 0.0,
    country: Annotated[str | None, Query(pattern="^[A-Za-z]{3}$")] = None,
) -> list[NetworkSummary]:
    """Active networks, riskiest first; transnational ones are the candidates for cross-border
    queries."""
    return service.list_networks(
        session=session,
        transnational=transnational,
        min_risk=min_risk,
        country=country,
        limit=limit,
        offset=offset,
    )


@router.get("/networks/{network_id}", response_model=NetworkRead, responses=NOT_FOUND)
def read_network(
    network_id: str, session: SessionDep, keyring: KeyringDep, principal: Reader
) -> NetworkRead:
    """A network with its items, selectors, route and cases. The read is audited."""
    return service.read_network(
        session=session, keyring=keyring, network_id=network_id, actor=principal.actor
    )


@router.get(
    "/networks/{network_id}/export",
    responses={
        **NOT_FOUND,
        200: {"content": {media: {} for media, _suffix in MEDIA_TYPES.values()}},
    },
)
def export_network(
    network_id: str,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Reader,
    format: Annotated[Literal["graphml", "gexf", "stix"], Query()] = "graphml",  # noqa: A002
) -> Response:
    """The network as GraphML or GEXF (Gephi) or a STIX 2.1 bundle (MISP, OpenCTI). CSV tables
    for i2 and Parquet come from `tipnet link export`."""
    graph = service.export_network(
        session=session, keyring=keyring, network_ids=[network_id], actor=principal.actor
    )
    media_type, suffix = MEDIA_TYPES[format]
    with tempfile.TemporaryDirectory() as directory:
        (path,) = exports.write(graph, format, Path(directory) / f"{network_id}.{suffix}")
        content = path.read_bytes()
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{network_id}.{suffix}"'},
    )


@router.post(
    "/cases/{case_id}/networks",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, 409: {"description": "Already attached."}},
)
def attach_network(
    case_id: uuid.UUID, attach: NetworkAttach, session: SessionDep, principal: Writer
) -> Response:
    service.attach_to_case(
        session=session,
        case_id=case_id,
        network_id=attach.network_id,
        user_id=principal.user_id,
        actor=principal.actor,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/cases/{case_id}/networks", response_model=list[NetworkSummary])
def case_networks(
    case_id: uuid.UUID, session: ReadSessionDep, principal: Reader
) -> list[NetworkSummary]:
    return service.case_networks(session=session, case_id=case_id)


@router.get("/link/overrides", response_model=list[OverrideRead])
def list_overrides(
    session: ReadSessionDep, keyring: KeyringDep, principal: Writer
) -> list[OverrideRead]:
    """Signals an investigator has decided about (always drop, or keep despite looking like a
    hub)."""
    return service.list_overrides(session=session, keyring=keyring)


@router.put("/link/overrides", response_model=OverrideRead)
def set_override(
    override: OverrideCreate, session: SessionDep, keyring: KeyringDep, principal: Writer
) -> OverrideRead:
    """Record or change the decision about one signal; the next `tipnet link run` obeys it."""
    return service.set_override(
        session=session,
        keyring=keyring,
        override=override,
        user_id=principal.user_id,
        actor=principal.actor,
    )
