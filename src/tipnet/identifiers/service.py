"""Storing and reading the selectors extracted from a report.

Extraction itself is pure (:mod:`tipnet.identifiers.extract`); this module feeds it a report's
fields and writes the result, encrypted, with a blind index for exact joins.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tipnet.crypto import Keyring
from tipnet.identifiers.extract import extract_selectors
from tipnet.identifiers.models import Identifier
from tipnet.identifiers.selectors import Selector, SelectorKind, SelectorRejected
from tipnet.reports.schemas import Account, ReportCreate, SelectorWarning

VALUE_CONTEXT = "identifier.value"
DETAIL_CONTEXT = "identifier.detail"


@dataclass
class ReportExtraction:
    selectors: list[Selector] = field(default_factory=list)
    warnings: list[SelectorWarning] = field(default_factory=list)


def extract_from_report(report: ReportCreate) -> ReportExtraction:
    """Every selector a report carries, from its structured fields and its free text."""
    internet = report.internet
    fields: dict[str, list[tuple[str, str]]] = {
        "phone": [(f"internet.phones[{i}]", v) for i, v in enumerate(internet.phones)],
        "email": [(f"internet.emails[{i}]", v) for i, v in enumerate(internet.emails)],
        "url": [(f"internet.urls[{i}]", v) for i, v in enumerate(internet.urls)],
        "wallet": [(f"internet.wallets[{i}]", w.address) for i, w in enumerate(internet.wallets)],
    }
    handles: list[tuple[str, str, str | None]] = []
    for i, account in enumerate(internet.accounts):
        _add_account(handles, fields, f"internet.accounts[{i}]", account, internet.platform)
    for p, person in enumerate(report.reported_persons):
        base = f"reported_persons[{p}]"
        fields["phone"] += [(f"{base}.phones[{i}]", v) for i, v in enumerate(person.phones)]
        fields["email"] += [(f"{base}.emails[{i}]", v) for i, v in enumerate(person.emails)]
        for i, account in enumerate(person.accounts):
            _add_account(handles, fields, f"{base}.accounts[{i}]", account, internet.platform)
    result = extract_selectors(
        fields=fields,
        handles=handles,
        texts={"incident.summary": report.incident.summary},
        region_hints=report.jurisdiction,
        platform=internet.platform,
    )
    warnings = [
        SelectorWarning(source=problem.source, value=problem.raw, message=problem.message)
        for problem in result.problems
    ]
    return ReportExtraction(list(result.selectors), warnings)


def rows_for(
    *, keyring: Keyring, report_id: uuid.UUID, selectors: Sequence[Selector]
) -> list[dict[str, Any]]:
    """Identifier rows for a report, values encrypted, ready for a multi-row insert."""
    return [
        {
            "report_id": report_id,
            "kind": selector.kind.value,
            "value_index": index_value(keyring, selector.kind.value, selector.value),
            "value_enc": keyring.encrypt(selector.value, context=VALUE_CONTEXT),
            "source": selector.source[:200],
            "detail_enc": _encrypted_detail(keyring, selector.detail),
        }
        for selector in selectors
    ]


def index_value(keyring: Keyring, kind: str, value: str) -> str:
    return keyring.blind_index(value, context=f"selector.{kind}")


def index_values(keyring: Keyring, kind: str, value: str) -> list[str]:
    """What to look up: the index under the current key and, mid-rotation, the previous one."""
    return keyring.blind_indexes(value, context=f"selector.{kind}")


def normalise_one(
    *, kind: str, value: str, country: str | None, platform: str | None
) -> list[Selector]:
    """The canonical selectors for one value as an investigator typed it; a value that cannot
    be read raises :class:`SelectorRejected` with the reason."""
    fields = {} if kind == "handle" else {kind: [("query", value)]}
    handles = [("query", value, platform)] if kind == "handle" else []
    result = extract_selectors(
        fields=fields,
        handles=handles,
        region_hints=[country] if country else [],
        platform=platform,
    )
    if result.problems:
        problem = result.problems[0]
        raise SelectorRejected(problem.kind or SelectorKind(kind), problem.raw, problem.message)
    return [selector for selector in result.selectors if selector.kind.value == kind]


def count_for_report(*, session: Session, report_id: uuid.UUID) -> int:
    count = session.scalar(
        select(func.count()).select_from(Identifier).where(Identifier.report_id == report_id)
    )
    return int(count or 0)


def read_for_report(
    *, session: Session, keyring: Keyring, report_id: uuid.UUID
) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(Identifier).where(Identifier.report_id == report_id).order_by(Identifier.id)
    ).all()
    return [
        (row.kind, keyring.decrypt(row.value_enc, context=VALUE_CONTEXT), row.source)
        for row in rows
    ]


def reports_with_selector(
    *, session: Session, keyring: Keyring, kind: str, value: str
) -> list[uuid.UUID]:
    """Reports that carry exactly this (already normalised) selector."""
    found = session.scalars(
        select(Identifier.report_id)
        .where(
            Identifier.kind == kind, Identifier.value_index.in_(index_values(keyring, kind, value))
        )
        .distinct()
    )
    return list(found.all())


def read_details(
    *, session: Session, keyring: Keyring, report_id: uuid.UUID
) -> list[dict[str, str]]:
    """The extraction facts of each selector of a report, in the order of
    :func:`read_for_report`."""
    rows = session.scalars(
        select(Identifier.detail_enc)
        .where(Identifier.report_id == report_id)
        .order_by(Identifier.id)
    ).all()
    return [
        {} if row is None else dict(json.loads(keyring.decrypt(row, context=DETAIL_CONTEXT)))
        for row in rows
    ]


def _encrypted_detail(keyring: Keyring, detail: dict[str, str]) -> bytes | None:
    # A URL's host is the URL itself in all but name, so the detail is encrypted as a whole;
    # most selectors have none, which costs nothing.
    if not detail:
        return None
    return keyring.encrypt(json.dumps(dict(detail), sort_keys=True), context=DETAIL_CONTEXT)


def _add_account(
    handles: list[tuple[str, str, str | None]],
    fields: dict[str, list[tuple[str, str]]],
    source: str,
    account: Account,
    default_platform: str | None,
) -> None:
    platform = account.platform or default_platform
    if account.handle:
        handles.append((f"{source}.handle", account.handle, platform))
    if account.profile_url:
        fields["url"].append((f"{source}.profile_url", account.profile_url))
