"""Cases and what hangs off them: reports, assignees, comments, status history, and the victims
and perpetrators recorded with HTCDS fields.

Personal data and free text (names, dates of birth, contact details, free text about a person,
comments, titles, reasons, the organisation a case was referred to) are stored encrypted; the
coded HTCDS fields are stored plainly so that statistics can count them.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tipnet.db import Base, Bytes, UtcDateTime, utcnow


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title_enc: Mapped[bytes] = mapped_column(Bytes)
    status: Mapped[str] = mapped_column(String(16), index=True)  # HTCDS cas_Status
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The latest closure and outgoing referral (cas_ReasonForCaseClosure,
    # cas_ReferredOrganisation, cas_ReasonForOutgoingReferral, cas_OutgoingReferralDate).
    closure_reason_enc: Mapped[bytes | None] = mapped_column(Bytes)
    referred_organisation_enc: Mapped[bytes | None] = mapped_column(Bytes)
    referral_reason: Mapped[str | None] = mapped_column(String(64))
    referral_date: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class CaseReport(Base):
    """A report attached to a case; a report may belong to several cases."""

    __tablename__ = "case_reports"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id"), primary_key=True, index=True
    )
    attached_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    attached_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CaseAssignee(Base):
    __tablename__ = "case_assignees"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CaseComment(Base):
    """Append-only: there is no route or service function that edits or deletes one."""

    __tablename__ = "case_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    body_enc: Mapped[bytes] = mapped_column(Bytes)


class CaseStatusChange(Base):
    __tablename__ = "case_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))  # None when the case opened
    to_status: Mapped[str] = mapped_column(String(16))
    reason_enc: Mapped[bytes | None] = mapped_column(Bytes)
    changed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class CasePerson(Base):
    """A victim or a perpetrator in a case. ``name_index`` is the keyed blind index of the full
    name, for exact lookup across cases without decrypting every row."""

    __tablename__ = "case_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "victim" | "perpetrator"
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name_enc: Mapped[bytes | None] = mapped_column(Bytes)
    name_index: Mapped[str | None] = mapped_column(String(64), index=True)
    birthdate_enc: Mapped[bytes | None] = mapped_column(Bytes)
    contact_enc: Mapped[bytes | None] = mapped_column(Bytes)
    details_enc: Mapped[bytes | None] = mapped_column(Bytes)
    gender: Mapped[str | None] = mapped_column(String(32))
    age_broad: Mapped[str | None] = mapped_column(String(16))
    citizenship: Mapped[str | None] = mapped_column(String(2))


class CasePersonCode(Base):
    """One value of a multi-select HTCDS field of a person, e.g. (``vic_MethodsOfControl``,
    ``DebtBondage``): one row per value so statistics count with a plain GROUP BY."""

    __tablename__ = "case_person_codes"
    __table_args__ = (Index("ix_case_person_codes_field_value", "field", "value"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("case_persons.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
