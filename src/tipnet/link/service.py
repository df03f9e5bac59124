"""Networks as the node keeps them: storing a linking run's networks, reading them, hub
overrides, case attachments and exports.

The pipeline (:mod:`tipnet.link.engine`) is pure and works on files or records; this module is
where its results meet the database. A run's networks arrive as plain dicts (the shape of
:meth:`tipnet.link.networks.Network.as_dict`), so storing them needs nothing from the engine.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select, true
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.cases.models import Case
from tipnet.crypto import Keyring
from tipnet.db import utcnow
from tipnet.errors import Conflict, InvalidInput, NotFound
from tipnet.identifiers.service import index_value, index_values
from tipnet.interop.graph import Entity, GraphExport, Link, NetworkRecord
from tipnet.link.models import (
    CaseNetwork,
    LinkRun,
    Network,
    NetworkItem,
    NetworkSelector,
    SignalOverride,
)
from tipnet.link.schemas import (
    NetworkItemRead,
    NetworkRead,
    NetworkSelectorRead,
    NetworkSummary,
    OverrideCreate,
    OverrideRead,
    RunSummary,
    Stop,
)

SELECTOR_CONTEXT = "network.selector"
REPORT_PREFIX = "report:"  # how the node's own reports are named in networks
OVERRIDE_CONTEXT = "link.override"
OVERRIDE_REASON_CONTEXT = "link.override.reason"
RUN_PARAMETERS_CONTEXT = "link.run.parameters"
RUN_SUMMARY_CONTEXT = "link.run.summary"


def store_run(
    *,
    session: Session,
    keyring: Keyring,
    networks: Sequence[Mapping[str, Any]],
    engine: str,
    source: str,
    parameters: Mapping[str, Any],
    summary: Mapping[str, Any],
    items: int,
    actor: Actor,
    dissolve_missing_reports: bool = False,
) -> RunSummary:
    """Store a run's networks: new ones are created, grown ones updated in place (their id is
    kept by the pipeline), absorbed ones marked ``merged`` with the id they went into.

    ``dissolve_missing_reports``: the run linked all the node's reports, so an active network
    of reports it did not find again no longer holds together (an investigator dropped the
    signal that tied it, say): it is marked ``dissolved``; its record and case links stay."""
    run = LinkRun(
        id=uuid.uuid4(),
        engine=engine,
        source=source[:500],
        parameters_enc=_encrypted_json(keyring, parameters, RUN_PARAMETERS_CONTEXT),
        summary_enc=_encrypted_json(keyring, summary, RUN_SUMMARY_CONTEXT),
        items=items,
        networks=len(networks),
        started_by=actor.name,
    )
    session.add(run)
    session.flush()
    existing = set(session.scalars(select(Network.id).where(Network.id.in_(_ids(networks)))))
    merged = 0
    for found in networks:
        _store_network(session, keyring, found, run.id, is_new=found["id"] not in existing)
        merged += _mark_merged(session, found)
    dissolved = _dissolve_missing(session, _ids(networks)) if dissolve_missing_reports else 0
    run.finished_at = utcnow()
    created = len(networks) - len(existing)
    audit.record(
        session=session,
        actor=actor,
        action="link.run",
        object_type="link_run",
        object_id=str(run.id),
        details={
            "networks": len(networks), "created": created, "items": items, "dissolved": dissolved,
        },
    )  # fmt: skip
    return RunSummary(
        run_id=run.id,
        items=items,
        networks=len(networks),
        created=created,
        updated=len(existing),
        merged=merged,
        dissolved=dissolved,
    )


def read_run(*, session: Session, keyring: Keyring, run_id: uuid.UUID) -> dict[str, Any]:
    """A stored run's parameters and summary, decrypted (they name hub selectors)."""
    run = session.get(LinkRun, run_id)
    if run is None:
        raise NotFound(f"no link run {run_id}")
    return {
        "parameters": json.loads(
            keyring.decrypt(run.parameters_enc, context=RUN_PARAMETERS_CONTEXT)
        ),
        "summary": json.loads(keyring.decrypt(run.summary_enc, context=RUN_SUMMARY_CONTEXT)),
    }


def previous_assignment(*, session: Session) -> dict[str, str]:
    """Item ref -> id of the active network holding it, for an incremental run."""
    rows = session.execute(
        select(NetworkItem.item_ref, NetworkItem.network_id)
        .join(Network, Network.id == NetworkItem.network_id)
        .where(Network.status == "active")
    )
    return {str(item_ref): str(network_id) for item_ref, network_id in rows}


def list_networks(
    *,
    session: Session,
    transnational: bool | None = None,
    min_risk: float = 0.0,
    country: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[NetworkSummary]:
    """Active networks, riskiest first."""
    query = select(Network).where(Network.status == "active", Network.risk >= min_risk)
    if transnational is not None:
        query = query.where(Network.transnational == transnational)
    if country is not None:
        query = query.where(Network.countries.contains(country.upper()))
    query = query.order_by(Network.risk.desc(), Network.items.desc(), Network.id)
    return [_summary(network) for network in session.scalars(query.limit(limit).offset(offset))]


def read_network(
    *, session: Session, keyring: Keyring, network_id: str, actor: Actor
) -> NetworkRead:
    """A network with its items and (decrypted) selectors; the read is audited."""
    network = _require(session, network_id)
    items = session.scalars(
        select(NetworkItem)
        .where(NetworkItem.network_id == network_id)
        .order_by(NetworkItem.seen_at, NetworkItem.item_ref)
    ).all()
    selectors = session.scalars(
        select(NetworkSelector).where(NetworkSelector.network_id == network_id)
    ).all()
    cases = session.scalars(
        select(CaseNetwork.case_id).where(CaseNetwork.network_id == network_id)
    ).all()
    audit.record(
        session=session, actor=actor, action="network.read", object_type="network",
        object_id=network_id,
    )  # fmt: skip
    return NetworkRead(
        **_summary(network).model_dump(),
        route=[Stop(**stop) for stop in json.loads(network.route)],
        signals=json.loads(network.signals),
        network_items=[
            NetworkItemRead.model_validate(item, from_attributes=True) for item in items
        ],
        network_selectors=sorted(
            (
                NetworkSelectorRead(
                    kind=selector.kind,
                    value=keyring.decrypt(selector.value_enc, context=SELECTOR_CONTEXT),
                    items=selector.items,
                )
                for selector in selectors
            ),
            key=lambda s: (-s.items, s.kind, s.value),
        ),
        cases=list(cases),
    )


def export_network(
    *, session: Session, keyring: Keyring, network_ids: Sequence[str], actor: Actor
) -> GraphExport:
    """The networks as a :class:`GraphExport`, ready for any format of :mod:`tipnet.interop`."""
    records: list[NetworkRecord] = []
    entities: dict[str, Entity] = {}
    links: list[Link] = []
    for network_id in network_ids:
        network = read_network(session=session, keyring=keyring, network_id=network_id, actor=actor)
        selector_ids = _selector_entities(session, keyring, network, entities)
        for item in network.network_items:
            entity_id = f"item:{item.item_ref}"
            kind = item.kind if item.kind in _ITEM_KINDS else "ad"
            attributes = {"country": item.country or "", "city": item.city or ""}
            if item.risk is not None:
                attributes["risk"] = f"{item.risk:.3f}"
            entities[entity_id] = Entity(
                entity_id, kind, item.item_ref, item.seen_at, item.seen_at, attributes
            )
        stored = _require(session, network_id)
        links.extend(_links(json.loads(stored.edges), selector_ids, entities))
        records.append(
            NetworkRecord(
                id=network.id,
                entity_ids=[f"item:{item.item_ref}" for item in network.network_items]
                + sorted(set(selector_ids.values())),
                countries=network.countries,
                first_seen=network.first_seen,
                last_seen=network.last_seen,
                risk=network.risk,
                transnational=network.transnational,
            )
        )
    return GraphExport(records, list(entities.values()), links)


def attach_to_case(
    *, session: Session, case_id: uuid.UUID, network_id: str, user_id: int, actor: Actor
) -> None:
    if session.get(Case, case_id) is None:
        raise NotFound(f"no case {case_id}")
    _require(session, network_id)
    if session.get(CaseNetwork, (case_id, network_id)) is not None:
        raise Conflict(f"network {network_id} is already attached to case {case_id}")
    session.add(CaseNetwork(case_id=case_id, network_id=network_id, attached_by=user_id))
    audit.record(
        session=session, actor=actor, action="case.network_attached", object_type="case",
        object_id=str(case_id), details={"network_id": network_id},
    )  # fmt: skip


def case_networks(*, session: Session, case_id: uuid.UUID) -> list[NetworkSummary]:
    query = (
        select(Network)
        .join(CaseNetwork, CaseNetwork.network_id == Network.id)
        .where(CaseNetwork.case_id == case_id)
        .order_by(Network.id)
    )
    return [_summary(network) for network in session.scalars(query)]


def set_override(
    *, session: Session, keyring: Keyring, override: OverrideCreate, user_id: int, actor: Actor
) -> OverrideRead:
    """Record (or change) the decision about one signal; the next run obeys it."""
    value_index = index_value(keyring, override.kind, override.value)
    row = session.scalar(
        select(SignalOverride).where(
            SignalOverride.kind == override.kind,
            SignalOverride.value_index.in_(index_values(keyring, override.kind, override.value)),
        )
    )
    if row is None:
        row = SignalOverride(kind=override.kind, value_index=value_index)
        session.add(row)
    row.value_index = value_index  # mid key rotation, a row found by its old index moves on
    row.value_enc = keyring.encrypt(override.value, context=OVERRIDE_CONTEXT)
    row.decision = override.decision
    row.reason_enc = keyring.encrypt(override.reason, context=OVERRIDE_REASON_CONTEXT)
    row.decided_by, row.decided_at = user_id, utcnow()
    session.flush()
    audit.record(
        session=session, actor=actor, action="link.override", object_type="signal_override",
        object_id=str(row.id), details={"kind": override.kind, "decision": override.decision},
    )  # fmt: skip
    return _override_read(keyring, row)


def list_overrides(*, session: Session, keyring: Keyring) -> list[OverrideRead]:
    rows = session.scalars(select(SignalOverride).order_by(SignalOverride.id))
    return [_override_read(keyring, row) for row in rows]


def overrides_for_run(*, session: Session, keyring: Keyring) -> tuple[set[str], set[str]]:
    """``kind:value`` labels the pipeline must keep, and those it must drop."""
    keep: set[str] = set()
    drop: set[str] = set()
    for row in list_overrides(session=session, keyring=keyring):
        (keep if row.decision == "keep" else drop).add(f"{row.kind}:{row.value}")
    return keep, drop


def network_count(*, session: Session) -> int:
    query = select(func.count()).select_from(Network).where(Network.status == "active")
    return int(session.scalar(query) or 0)


_ITEM_KINDS = frozenset({"ad", "job_offer", "profile", "message", "report"})


def _ids(networks: Iterable[Mapping[str, Any]]) -> list[str]:
    ids = [str(found.get("id", "")) for found in networks]
    bad = [network_id for network_id in ids if not 0 < len(network_id) <= 32]
    if bad:
        raise InvalidInput(f"network ids must be 1-32 characters; got {bad[:3]}")
    return ids


def _store_network(
    session: Session, keyring: Keyring, found: Mapping[str, Any], run_id: uuid.UUID, is_new: bool
) -> None:
    network_id = str(found["id"])
    if not is_new:  # a grown network: its content is replaced by this run's view of it
        session.execute(delete(NetworkItem).where(NetworkItem.network_id == network_id))
        session.execute(delete(NetworkSelector).where(NetworkSelector.network_id == network_id))
    network = session.get(Network, network_id) or Network(id=network_id)
    network.status, network.merged_into = "active", None
    network.first_seen = _time(found.get("first_seen"))
    network.last_seen = _time(found.get("last_seen"))
    network.risk = float(found.get("risk", 0.0))
    network.transnational = bool(found.get("transnational", False))
    network.countries = ",".join(found.get("countries", []))[:400]
    network.route = json.dumps(found.get("route", []))
    network.signals = json.dumps(found.get("signals", {}))
    network.items = len(found.get("items", []))
    network.selectors = len(found.get("selectors", []))
    network.updated_at, network.last_run_id = utcnow(), run_id
    network.edges = json.dumps(_index_edges(keyring, found.get("edges", [])))
    session.add(network)
    session.flush()
    session.add_all(_item_rows(network_id, found.get("items", [])))
    session.add_all(_selector_rows(keyring, network_id, found.get("selectors", [])))


def _mark_merged(session: Session, found: Mapping[str, Any]) -> int:
    absorbed = [str(other) for other in found.get("merged_from", []) if other != found["id"]]
    for other_id in absorbed:
        other = session.get(Network, other_id)
        if other is not None and other.status == "active":
            session.execute(delete(NetworkItem).where(NetworkItem.network_id == other_id))
            other.status, other.merged_into, other.updated_at = "merged", found["id"], utcnow()
    return len(absorbed)


def _dissolve_missing(session: Session, found_ids: Sequence[str]) -> int:
    holding_reports = select(NetworkItem.network_id).where(
        NetworkItem.item_ref.startswith(REPORT_PREFIX)
    )
    gone = session.scalars(
        select(Network).where(
            Network.status == "active",
            Network.id.in_(holding_reports),
            Network.id.not_in(found_ids) if found_ids else true(),
        )
    ).all()
    for network in gone:
        session.execute(delete(NetworkItem).where(NetworkItem.network_id == network.id))
        network.status, network.updated_at = "dissolved", utcnow()
    return len(gone)


def _item_rows(network_id: str, items: Sequence[Mapping[str, Any]]) -> list[NetworkItem]:
    rows = []
    for item in items:
        item_ref = str(item["item_id"])[:200]
        report_id = None
        if item_ref.startswith(REPORT_PREFIX):
            try:
                report_id = uuid.UUID(item_ref.removeprefix("report:"))
            except ValueError:
                report_id = None
        rows.append(
            NetworkItem(
                network_id=network_id,
                item_ref=item_ref,
                kind=str(item.get("kind", "other"))[:16],
                report_id=report_id,
                seen_at=_time(item.get("time")),
                country=item.get("country"),
                city=(item.get("city") or None) and str(item["city"])[:100],
                risk=item.get("risk"),
            )
        )
    return rows


def _selector_rows(
    keyring: Keyring, network_id: str, selectors: Sequence[Mapping[str, Any]]
) -> list[NetworkSelector]:
    unique: dict[tuple[str, str], NetworkSelector] = {}
    for selector in selectors:
        kind, value = str(selector["kind"])[:16], str(selector["value"])
        value_index = index_value(keyring, kind, value)
        unique[(kind, value_index)] = NetworkSelector(
            network_id=network_id,
            kind=kind,
            value_index=value_index,
            value_enc=keyring.encrypt(value, context=SELECTOR_CONTEXT),
            items=int(selector.get("items", 0)),
        )
    return list(unique.values())


def _index_edges(keyring: Keyring, edges: Sequence[Sequence[str]]) -> list[list[str]]:
    """Item-to-selector edges keep the selector's blind index, never its value."""
    stored = []
    for source, target, kind in edges:
        if ":" in target and not target.startswith("item:"):
            selector_kind, value = target.split(":", 1)
            target = f"{selector_kind}:{index_value(keyring, selector_kind, value)}"
        stored.append([source, target, kind])
    return stored


def _selector_entities(
    session: Session, keyring: Keyring, network: NetworkRead, entities: dict[str, Entity]
) -> dict[str, str]:
    """Adds the network's selectors as entities; returns ``kind:value_index`` -> entity id."""
    by_index: dict[str, str] = {}
    for selector in network.network_selectors:
        entity_id = f"{selector.kind}:{selector.value}"
        kind = selector.kind if selector.kind != "domain" else "domain"
        entities[entity_id] = Entity(entity_id, kind, selector.value)
        by_index[f"{selector.kind}:{index_value(keyring, selector.kind, selector.value)}"] = (
            entity_id
        )
    return by_index


def _links(
    edges: Sequence[Sequence[str]], selector_ids: Mapping[str, str], entities: Mapping[str, Entity]
) -> list[Link]:
    found = []
    for source, target, kind in edges:
        source_id = f"item:{source}"
        target_id = selector_ids.get(target, f"item:{target.removeprefix('item:')}")
        if source_id in entities and target_id in entities:
            found.append(Link(source_id, target_id, kind))
    return found


def _summary(network: Network) -> NetworkSummary:
    return NetworkSummary(
        id=network.id,
        status=network.status,
        merged_into=network.merged_into,
        first_seen=network.first_seen,
        last_seen=network.last_seen,
        risk=network.risk,
        transnational=network.transnational,
        countries=[code for code in network.countries.split(",") if code],
        items=network.items,
        selectors=network.selectors,
        updated_at=network.updated_at,
    )


def _override_read(keyring: Keyring, row: SignalOverride) -> OverrideRead:
    return OverrideRead(
        id=row.id,
        kind=row.kind,
        value=keyring.decrypt(row.value_enc, context=OVERRIDE_CONTEXT),
        decision=row.decision,
        reason=keyring.decrypt(row.reason_enc, context=OVERRIDE_REASON_CONTEXT),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def _encrypted_json(keyring: Keyring, value: Mapping[str, Any], context: str) -> bytes:
    return keyring.encrypt(json.dumps(value, sort_keys=True, default=str), context=context)


def _require(session: Session, network_id: str) -> Network:
    if "\x00" in network_id or len(network_id) > 32:  # PostgreSQL refuses NUL in text
        raise NotFound(f"no network {network_id!r}")
    network = session.get(Network, network_id)
    if network is None:
        raise NotFound(f"no network {network_id}")
    return network


def _time(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidInput(f"not an ISO 8601 time: {value!r}") from error
