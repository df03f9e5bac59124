"""Node-level routes: health (public) and who-am-i."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from tipnet import __version__
from tipnet.auth.service import Principal
from tipnet.deps import get_principal

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
        username=principal.username, role=principal.role.value,
        organisation_id=principal.organisation_id,
    )
