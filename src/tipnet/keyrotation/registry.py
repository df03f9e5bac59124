"""Every value stored under the node's master key, and how to rebuild it under a new one.

A rotation re-encrypts each :class:`Sealed` column (decrypt with whichever key wrote it, encrypt
with the new key, same context) and recomputes each :class:`Derived` column (blind indexes,
JSON holding blind indexes) from the decrypted row. ``tests/test_key_rotation_registry.py``
fails when a model gains an ``*_enc`` column, a ``Bytes`` column or a ``*_index`` column that
is not listed here (or in :data:`NOT_KEYED` with the reason), so no new column is forgotten.

Not rewritten, by design: the audit log (append-only; a rotation anchors it instead, see
:mod:`tipnet.audit.service`) including the keyed digests and blind indexes its details quote;
OPRF tokens and person encodings shared with peers (derived from the OPRF seed and the
federation's PPRL secret, which are re-encrypted but unchanged, so peers' copies stay valid).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tipnet.cases import persons as case_persons
from tipnet.cases import service as cases
from tipnet.crypto import Keyring
from tipnet.federation import cooperation, health, node, outbox, sharing
from tipnet.identifiers import service as identifiers
from tipnet.link import service as link
from tipnet.link.models import NetworkSelector
from tipnet.reports import intake
from tipnet.reports import service as reports

Row = Mapping[Any, Any]  # a dict or a SQLAlchemy RowMapping


@dataclass(frozen=True)
class Step:
    """What a :class:`Derived` column may use besides the row: the Keyring holding both keys,
    and the session (a value may depend on rows of another table, rotated earlier)."""

    keyring: Keyring
    session: Session


@dataclass(frozen=True)
class Sealed:
    """An encrypted column; ``context`` is fixed, or computed from the row (plain columns)."""

    column: str
    context: str | Callable[[Row], str]

    def context_for(self, row: Row) -> str:
        return self.context if isinstance(self.context, str) else self.context(row)


@dataclass(frozen=True)
class Derived:
    """A column computed from the row's plaintext with a key (a blind index...)."""

    column: str
    compute: Callable[[Step, Row], Any]


@dataclass(frozen=True)
class Table:
    """One table's keyed columns. Rows are walked in batches by ``page`` (the primary key, or
    a column that groups rows whose primary key includes a derived column); ``key`` names a
    row for its update; ``reads`` are plain columns that contexts and derived values need."""

    name: str
    key: tuple[str, ...]
    sealed: tuple[Sealed, ...]
    derived: tuple[Derived, ...] = ()
    reads: tuple[str, ...] = ()
    page: str = "id"


def _selector_index(step: Step, row: Row) -> str:
    return identifiers.index_value(step.keyring, row["kind"], row["value_enc"])


def _report_person_index(step: Step, row: Row) -> str | None:
    name = row["name_enc"]
    return None if name is None else step.keyring.blind_index(name, context="person.name")


def _case_person_index(step: Step, row: Row) -> str | None:
    # as cases.persons.store: the full name is the name parts joined, in their stored order
    if row["name_enc"] is None:
        return None
    names = json.loads(row["name_enc"])
    full = " ".join(names.values())
    return step.keyring.blind_index(full, context=case_persons.NAME_INDEX_CONTEXT)


def _network_edges(step: Step, row: Row) -> str:
    """Edges name selectors as ``kind:blind_index``: map each index of the network's selectors
    under the previous key to the current one (the selectors were rotated first)."""
    previous = step.keyring.previous_keyring()
    if previous is None:
        return str(row["edges"])
    moved: dict[str, str] = {}
    query = select(NetworkSelector.kind, NetworkSelector.value_enc).where(
        NetworkSelector.network_id == row["id"]
    )
    for kind, sealed in step.session.execute(query):
        value = step.keyring.decrypt(sealed, context=link.SELECTOR_CONTEXT)
        old = identifiers.index_value(previous, kind, value)
        moved[f"{kind}:{old}"] = f"{kind}:{identifiers.index_value(step.keyring, kind, value)}"
    edges = json.loads(row["edges"])
    if not any(edge[1] in moved for edge in edges):
        return str(row["edges"])
    return json.dumps([[source, moved.get(target, target), kind] for source, target, kind in edges])


def _case_person(field: str) -> Sealed:
    return Sealed(f"{field}_enc", lambda row: f"case.{row['role']}.{field}")


# In order: a table's derived values may read tables listed before it (networks' edges read
# their selectors).
TABLES: tuple[Table, ...] = (
    Table("reports", ("id",), (Sealed("body_enc", intake.BODY_CONTEXT),)),
    Table(
        "report_persons",
        ("id",),
        (
            Sealed("name_enc", "person.name"),
            Sealed("date_of_birth_enc", "person.date_of_birth"),
            Sealed("contact_enc", "person.contact"),
        ),
        (Derived("name_index", _report_person_index),),
    ),
    Table("report_status_changes", ("id",), (Sealed("reason_enc", reports.STATUS_REASON_CONTEXT),)),
    Table(
        "identifiers",
        ("id",),
        (
            Sealed("value_enc", identifiers.VALUE_CONTEXT),
            Sealed("detail_enc", identifiers.DETAIL_CONTEXT),
        ),
        (Derived("value_index", _selector_index),),
        reads=("kind",),
    ),
    Table(
        "cases",
        ("id",),
        (
            Sealed("title_enc", cases.TITLE_CONTEXT),
            Sealed("closure_reason_enc", cases.CLOSURE_REASON_CONTEXT),
            Sealed("referred_organisation_enc", cases.REFERRED_CONTEXT),
        ),
    ),
    Table("case_comments", ("id",), (Sealed("body_enc", cases.COMMENT_CONTEXT),)),
    Table("case_status_changes", ("id",), (Sealed("reason_enc", cases.STATUS_REASON_CONTEXT),)),
    Table(
        "case_persons",
        ("id",),
        tuple(_case_person(field) for field in ("name", "birthdate", "contact", "details")),
        (Derived("name_index", _case_person_index),),
        reads=("role",),
    ),
    Table(
        "link_runs",
        ("id",),
        (
            Sealed("parameters_enc", link.RUN_PARAMETERS_CONTEXT),
            Sealed("summary_enc", link.RUN_SUMMARY_CONTEXT),
        ),
    ),
    Table(
        "network_selectors",
        ("network_id", "kind", "value_index"),
        (Sealed("value_enc", link.SELECTOR_CONTEXT),),
        (Derived("value_index", _selector_index),),
        reads=("kind",),
        page="network_id",
    ),
    Table("networks", ("id",), (), (Derived("edges", _network_edges),), reads=("edges",)),
    Table(
        "link_signal_overrides",
        ("id",),
        (
            Sealed("value_enc", link.OVERRIDE_CONTEXT),
            Sealed("reason_enc", link.OVERRIDE_REASON_CONTEXT),
        ),
        (Derived("value_index", _selector_index),),
        reads=("kind",),
    ),
    Table(
        "federation_node",
        ("id",),
        (
            Sealed("signing_key_enc", node.SIGNING_KEY_CONTEXT),
            Sealed("oprf_seed_enc", node.OPRF_SEED_CONTEXT),
            Sealed("pprl_secret_enc", node.PPRL_SECRET_CONTEXT),
        ),
    ),
    Table(
        "federation_cooperation_requests",
        ("id",),
        (
            Sealed("purpose_enc", cooperation.PURPOSE_CONTEXT),
            Sealed("release_enc", cooperation.RELEASE_CONTEXT),
            Sealed("legal_basis_enc", cooperation.LEGAL_BASIS_CONTEXT),
            Sealed("decision_reason_enc", cooperation.REASON_CONTEXT),
            Sealed("requested_by_enc", cooperation.REQUESTED_BY_CONTEXT),
            Sealed("decided_by_enc", cooperation.DECIDED_BY_CONTEXT),
        ),
    ),
    Table(
        "federation_outbox",
        ("id",),
        (
            Sealed("payload_enc", outbox.PAYLOAD_CONTEXT),
            Sealed("last_error_enc", outbox.ERROR_CONTEXT),
        ),
    ),
    Table("federation_distributions", ("id",), (Sealed("set_by_enc", sharing.SET_BY_CONTEXT),)),
    Table("federation_peers", ("id",), (Sealed("last_failure_enc", health.FAILURE_CONTEXT),)),
)

# Columns that look keyed (Bytes, or named like an index) but are not derived from the master
# key, so a rotation leaves them as they are: "table.column" -> why.
NOT_KEYED: dict[str, str] = {
    "federation_peers.public_key": "a peer's public Ed25519 key, public by nature",
    "federation_shared.value": "OPRF tokens and PDQ hashes: from the OPRF seed, unchanged",
    "federation_peer_entries.value": "peers' tokens, under their keys, not ours",
    "audit_checkpoints.signature": "Ed25519 signatures by the node identity, which is kept",
}
