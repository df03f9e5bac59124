"""Victims and perpetrators of cases: personal fields encrypted, HTCDS codes stored plainly
(one row per value of a multi-valued field) so that statistics can count them."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tipnet.auth.service import Principal
from tipnet.cases.models import Case, CasePerson, CasePersonCode
from tipnet.cases.schemas import PersonFields, PersonHit
from tipnet.crypto import Keyring

# One index context for victims and perpetrators, so one lookup finds a name in either role.
NAME_INDEX_CONTEXT = "case.person.name"


def find(*, session: Session, keyring: Keyring, name: str) -> list[PersonHit]:
    """Victims and perpetrators recorded under exactly this full name (case and spacing
    folded), found by blind index."""
    indexes = keyring.blind_indexes(name, context=NAME_INDEX_CONTEXT)  # both keys mid-rotation
    query = select(CasePerson.case_id, CasePerson.id, CasePerson.role, Case.status).join(Case)
    rows = session.execute(query.where(CasePerson.name_index.in_(indexes)).order_by(CasePerson.id))
    return [
        PersonHit(case_id=case_id, person_id=person_id, role=role, case_status=status)
        for case_id, person_id, role, status in rows
    ]


def store(
    session: Session,
    keyring: Keyring,
    principal: Principal,
    case_id: uuid.UUID,
    role: str,
    person: PersonFields,
) -> dict[str, Any]:
    """Store a victim or perpetrator of an open case; return it as HTCDS JSON with its id."""
    context, names = f"case.{role}", person.name_parts()
    full_name = " ".join(names.values())
    birthdate = person.birthdate.isoformat() if person.birthdate else None
    row = CasePerson(
        case_id=case_id,
        role=role,
        created_by=principal.user_id,
        name_enc=_encrypt_json(keyring, names, f"{context}.name"),
        name_index=keyring.blind_index(full_name, context=NAME_INDEX_CONTEXT) if names else None,
        birthdate_enc=keyring.encrypt_optional(birthdate, context=f"{context}.birthdate"),
        contact_enc=_encrypt_json(keyring, person.contact(), f"{context}.contact"),
        details_enc=keyring.encrypt_optional(
            person.private_details(), context=f"{context}.details"
        ),
        gender=person.gender,
        age_broad=person.age_broad,
        citizenship=person.citizenship,
    )
    session.add(row)
    session.flush()
    codes = [
        {"person_id": row.id, "field": field, "value": value}
        for field, values in person.codes().items()
        for value in values
    ]
    if codes:
        session.execute(insert(CasePersonCode), codes)
    return {**person.model_dump(), "id": row.id, "created_at": row.created_at}


def of_case(
    session: Session, keyring: Keyring, case_id: uuid.UUID
) -> list[tuple[str, dict[str, Any]]]:
    """(role, HTCDS JSON) of each victim and perpetrator of a case, decrypted."""
    query = select(CasePerson).where(CasePerson.case_id == case_id).order_by(CasePerson.id)
    persons = session.scalars(query).all()
    codes: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for person_id, field, value in session.execute(
        select(CasePersonCode.person_id, CasePersonCode.field, CasePersonCode.value)
        .where(CasePersonCode.person_id.in_([person.id for person in persons]))
        .order_by(CasePersonCode.value)
    ):
        codes[person_id][field].append(value)
    return [(person.role, _decrypted(keyring, person, codes[person.id])) for person in persons]


def _decrypted(keyring: Keyring, person: CasePerson, codes: dict[str, list[str]]) -> dict[str, Any]:
    context = f"case.{person.role}"
    prefix = "vic_" if person.role == "victim" else "per_"
    data: dict[str, Any] = {
        "id": person.id,
        "created_at": person.created_at,
        **codes,
        **_decrypt_json(keyring, person.name_enc, f"{context}.name"),
        **_decrypt_json(keyring, person.contact_enc, f"{context}.contact"),
        "prs_Birthdate": keyring.decrypt_optional(
            person.birthdate_enc, context=f"{context}.birthdate"
        ),
        f"{prefix}Gender": person.gender,
        f"{prefix}AgeBroad": person.age_broad,
        f"{prefix}Citizenship": person.citizenship,
    }
    if person.role == "perpetrator":
        details = keyring.decrypt_optional(person.details_enc, context=f"{context}.details")
        data["per_RoleDetails"] = details
    return data


def _encrypt_json(keyring: Keyring, value: dict[str, Any], context: str) -> bytes | None:
    return keyring.encrypt(json.dumps(value), context=context) if value else None


def _decrypt_json(keyring: Keyring, value: bytes | None, context: str) -> dict[str, Any]:
    plain = keyring.decrypt_optional(value, context=context)
    return {} if plain is None else dict(json.loads(plain))
