"""Request and response models of networks, hub overrides and case attachments."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SelectorKind = Literal["phone", "email", "handle", "url", "domain", "wallet", "image"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stop(BaseModel):
    """A place on a network's route, in order of first use."""

    country: str
    city: str | None
    first_seen: str | None
    last_seen: str | None
    items: int


class NetworkSummary(BaseModel):
    id: str
    status: str = Field(
        description="active; merged (into merged_into); or dissolved (a later run over the "
        "node's reports no longer found it together)"
    )
    merged_into: str | None
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    risk: float = Field(ge=0, le=1, description="Mean of the highest item risk scores.")
    transnational: bool
    countries: list[str]
    items: int
    selectors: int
    updated_at: dt.datetime


class NetworkItemRead(BaseModel):
    item_ref: str
    kind: str
    report_id: uuid.UUID | None
    seen_at: dt.datetime | None
    country: str | None
    city: str | None
    risk: float | None


class NetworkSelectorRead(BaseModel):
    kind: str
    value: str
    items: int = Field(description="How many of the network's items carry it.")


class NetworkRead(NetworkSummary):
    route: list[Stop]
    signals: dict[str, int] = Field(description="Signals of each kind tying the network together.")
    network_items: list[NetworkItemRead]
    network_selectors: list[NetworkSelectorRead]
    cases: list[uuid.UUID]


class OverrideCreate(Strict):
    """Always drop a signal that joins unrelated items (a hotline, a stock photo), or keep one
    that looks like a hub but is not."""

    kind: SelectorKind
    value: str = Field(min_length=1, max_length=500)
    decision: Literal["keep", "drop"]
    reason: str = Field(min_length=3, max_length=2000)

    @field_validator("value", "reason")
    @classmethod
    def _no_control_nul(cls, text: str) -> str:
        if "\x00" in text:
            raise ValueError("must not contain NUL characters")
        return text


class OverrideRead(BaseModel):
    id: int
    kind: str
    value: str
    decision: str
    reason: str
    decided_by: int
    decided_at: dt.datetime


class NetworkAttach(Strict):
    network_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class RunSummary(BaseModel):
    run_id: uuid.UUID
    items: int
    networks: int
    created: int
    updated: int
    merged: int
    dissolved: int = 0
