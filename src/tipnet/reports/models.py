from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tipnet.db import Base, Bytes, UtcDateTime, utcnow


class Report(Base):
    """One report as received. ``body_enc`` is the whole validated body, encrypted; the other
    columns are the non-personal fields triage sorts and filters on."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("organisation_id", "reporter_report_id"),
        UniqueConstraint("organisation_id", "idempotency_key"),
        Index("ix_reports_triage", "status", "urgency_rank", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reporter_report_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    incident_type: Mapped[str] = mapped_column(String(64))
    incident_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    urgency: Mapped[str] = mapped_column(String(16))
    urgency_rank: Mapped[int] = mapped_column(SmallInteger)
    platform: Mapped[str | None] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(400), default="")
    body_sha256: Mapped[str] = mapped_column(String(64))
    body_enc: Mapped[bytes] = mapped_column(Bytes)
    status: Mapped[str] = mapped_column(String(16), default="new")
    # Seam for detection: a risk score in [0, 1] and its explanation (JSON), set after intake.
    risk_score: Mapped[float | None] = mapped_column(Float)
    risk_explanation: Mapped[str | None] = mapped_column(Text)


class ReportPerson(Base):
    """A reported person or a victim named in a report; personal fields encrypted."""

    __tablename__ = "report_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "reported" | "victim"
    name_enc: Mapped[bytes | None] = mapped_column(Bytes)
    name_index: Mapped[str | None] = mapped_column(String(64), index=True)
    date_of_birth_enc: Mapped[bytes | None] = mapped_column(Bytes)
    contact_enc: Mapped[bytes | None] = mapped_column(Bytes)
    age_estimate: Mapped[int | None] = mapped_column(SmallInteger)
    is_minor: Mapped[bool | None] = mapped_column()
    sex: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(3))


class ReportFile(Base):
    """A file the platform saw, by hash only (never content)."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    md5: Mapped[str | None] = mapped_column(String(32), index=True)
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(SmallInteger)
    media_type: Mapped[str | None] = mapped_column(String(200))


class ReportStatusChange(Base):
    """A move of a report through triage, with the investigator's reason, encrypted (the audit
    log records only that a reason was given, its length and a keyed digest)."""

    __tablename__ = "report_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason_enc: Mapped[bytes | None] = mapped_column(Bytes)
    changed_by: Mapped[str] = mapped_column(String(200))  # the audit actor's name
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
