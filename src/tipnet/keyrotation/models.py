"""Progress of key rotations, so an interrupted one resumes where it stopped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tipnet.db import Base, UtcDateTime, utcnow


class KeyRotation(Base):
    """One rotation from key ``from_key_id`` to ``to_key_id`` (the 8-hex-digit key ids that
    ciphertexts carry, never the keys). ``table_name`` and ``cursor`` say how far it got: each
    batch moves them in the transaction that rewrites its rows. ``finished_at`` is set with
    the audit event that anchors the log under the new key."""

    __tablename__ = "key_rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_key_id: Mapped[str] = mapped_column(String(16))
    to_key_id: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_by: Mapped[str] = mapped_column(String(200))
    table_name: Mapped[str | None] = mapped_column(String(64))
    cursor: Mapped[str | None] = mapped_column(Text)
    rows_rewritten: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
