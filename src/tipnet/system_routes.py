"""Node-level routes: health (public), who-am-i, audit verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from tipnet import __version__
from tipnet.audit import service as audit_service
from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.deps import ReadSessionDep, Requires, get_principal

router = APIRouter(tags=["node"])


class Health(BaseModel):
    status: str
    version: str


class WhoAmI(BaseModel):
    username: str
    role: str
    organisation_id: int


@router.get("/health", response_model=Health)
def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/me", response_model=WhoAmI)
def who_am_i(principal: Annotated[Principal, Depends(get_principal)]) -> WhoAmI:
    """Any authenticated caller may ask who the token belongs to."""
    return WhoAmI(
        username=principal.username,
        role=principal.role.value,
        organisation_id=principal.organisation_id,
    )


class AuditStatus(BaseModel):
    ok: bool
    events_checked: int
    head_seq: int
    head_hash: str
    problems: list[str]
    checkpoint: str = Field(description="The head as SEQ:HASH: keep it outside this node.")
    head_mac: str | None = None
    unanchored: int = Field(
        default=0, description="Events written before the chain was keyed (no MAC to check)."
    )
    warnings: list[str] = []


@router.get("/audit/verify", response_model=AuditStatus)
def verify_audit_log(
    session: ReadSessionDep,
    _principal: Annotated[Principal, Depends(Requires(Permission.AUDIT_READ))],
    checkpoint: Annotated[
        str | None,
        Query(
            max_length=200,
            description="SEQ:HASH from an earlier verify: the log must still hold that event.",
        ),
    ] = None,
) -> AuditStatus:
    """Recompute the audit chain with its keyed MACs (administrators). Keep the `checkpoint`
    it returns outside this node: passing it later (here, or to `tipnet audit verify
    --checkpoint SEQ:HASH`) detects a log cut short or rewritten since."""
    result = audit_service.verify(session=session, checkpoint=checkpoint)
    return AuditStatus(**vars(result), checkpoint=result.checkpoint)
