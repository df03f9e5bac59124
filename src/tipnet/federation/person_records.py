"""Persons of this node's reports as records of the federation's person schema
(:data:`tipnet.federation.pprl.DEFAULT`), and their encodings (CLKs) under the federation
secret. The name is split into given and family names (one key group, so an inverted order
still matches); "unknown" sex says nothing and is left out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipnet.crypto import Keyring
from tipnet.federation import pprl
from tipnet.reports.models import ReportPerson

SEXES = {"female": "female", "male": "male", "other": "other"}  # "unknown" says nothing


def record_of(
    name: str | None, date_of_birth: str | None, sex: str | None, nationality: str | None
) -> dict[str, str | None] | None:
    """A person in the fields of :data:`pprl.DEFAULT`; None when there is no name (a date of
    birth alone would match half a town)."""
    parts = (name or "").split()
    if not parts:
        return None
    return {
        "given_name": " ".join(parts[:-1]) or None,
        "family_name": parts[-1],
        "date_of_birth": date_of_birth,
        "sex": SEXES.get(sex or ""),
        "nationality": nationality,
    }


def report_person_clks(
    *, session: Session, keyring: Keyring, secret: bytes, report_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, bytes, int]]:
    """(report, CLK, report person id) of every named person of the reports."""
    records, sources = [], []
    for start in range(0, len(report_ids), 500):
        for person in session.scalars(
            select(ReportPerson)
            .where(ReportPerson.report_id.in_(report_ids[start : start + 500]))
            .order_by(ReportPerson.id)
        ):
            record = record_of(
                keyring.decrypt_optional(person.name_enc, context="person.name"),
                keyring.decrypt_optional(person.date_of_birth_enc, context="person.date_of_birth"),
                person.sex,
                person.country,
            )
            if record is not None:
                records.append(record)
                sources.append((person.report_id, person.id))
    if not records:
        return []
    encoded = pprl.encode(records, secret)
    return [
        (report_id, row.tobytes(), person_id)
        for row, (report_id, person_id) in zip(encoded.bits, sources, strict=True)
    ]
