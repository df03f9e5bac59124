from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tipnet.db import Base, Bytes


class Identifier(Base):
    """A normalised selector seen in a report. The value is encrypted; ``value_index`` is its
    keyed blind index, so that reports sharing a phone or an email can be joined without
    decrypting anything. ``detail_enc`` holds the extraction's facts (a URL's host, a phone's
    region, where in the text it was found) as encrypted JSON, None when there are none."""

    __tablename__ = "identifiers"
    __table_args__ = (Index("ix_identifiers_kind_value", "kind", "value_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value_index: Mapped[str] = mapped_column(String(64))
    value_enc: Mapped[bytes] = mapped_column(Bytes)
    source: Mapped[str] = mapped_column(String(200))
    detail_enc: Mapped[bytes | None] = mapped_column(Bytes)
