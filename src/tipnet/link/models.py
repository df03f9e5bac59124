"""Networks found by linking, as a node keeps them: what they hold, where and when they acted,
the investigator's decisions about hub signals, and the cases they are attached to.

Selector values (phones, emails, handles, wallets) are personal data: stored encrypted, found
through the same keyed blind index as the identifiers of reports. Network ids never change once
given: a network that grows keeps its id; one absorbed by another is kept with ``merged_into``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tipnet.db import Base, Bytes, UtcDateTime, utcnow


class LinkRun(Base):
    """One run of the linking pipeline: its engine, parameters and what it skipped and why.

    Parameters (with the overridden signals' values) and the summary (with the hubs' values and
    examples of skipped items) are JSON, encrypted: they name selectors."""

    __tablename__ = "link_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    engine: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(500))
    parameters_enc: Mapped[bytes] = mapped_column(Bytes)  # JSON
    summary_enc: Mapped[bytes] = mapped_column(Bytes)  # JSON: counts, skipped, hubs
    items: Mapped[int] = mapped_column(Integer, default=0)
    networks: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(200))


class Network(Base):
    __tablename__ = "networks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # active, merged
    merged_into: Mapped[str | None] = mapped_column(String(32))
    first_seen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    risk: Mapped[float] = mapped_column(Float, default=0.0)
    transnational: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    countries: Mapped[str] = mapped_column(String(400), default="")  # ISO alpha-3, ","-joined
    route: Mapped[str] = mapped_column(Text, default="[]")  # JSON: places in order of first use
    # JSON: [item_ref, item_ref or "kind:value_index", signal kind], for graph exports; selector
    # ends are blind indexes, never values
    edges: Mapped[str] = mapped_column(Text, default="[]")
    signals: Mapped[str] = mapped_column(Text, default="{}")  # JSON: signal kind -> count
    items: Mapped[int] = mapped_column(Integer, default=0)
    selectors: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("link_runs.id"))


class NetworkItem(Base):
    """An item in a network: a report filed here, or an ad, offer, profile or message."""

    __tablename__ = "network_items"

    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    item_ref: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"), index=True)
    seen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    country: Mapped[str | None] = mapped_column(String(3))
    city: Mapped[str | None] = mapped_column(String(100))
    risk: Mapped[float | None] = mapped_column(Float)


class NetworkSelector(Base):
    __tablename__ = "network_selectors"

    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value_index: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    value_enc: Mapped[bytes] = mapped_column(Bytes)
    items: Mapped[int] = mapped_column(Integer, default=0)


class SignalOverride(Base):
    """An investigator's decision about a signal: always ``drop`` it (a hotline, a stock photo)
    or ``keep`` it even though it looks like a hub. Later runs obey it. The value and the
    investigator's reason are encrypted."""

    __tablename__ = "link_signal_overrides"
    __table_args__ = (UniqueConstraint("kind", "value_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value_index: Mapped[str] = mapped_column(String(64))
    value_enc: Mapped[bytes] = mapped_column(Bytes)
    decision: Mapped[str] = mapped_column(String(8))
    reason_enc: Mapped[bytes] = mapped_column(Bytes)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseNetwork(Base):
    __tablename__ = "case_networks"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), primary_key=True, index=True)
    attached_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    attached_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
