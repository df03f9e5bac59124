"""Networks as a STIX 2.1 bundle, for MISP and OpenCTI.

The mapping, chosen so that both platforms import something an analyst recognises:

- a network is a ``threat-actor`` (``crime-syndicate``) inside a ``grouping``
  (``suspicious-activity``) that holds every object of the network;
- selectors are cyber observables: ``email-addr``, ``url``, ``domain-name``, ``user-account``
  (handles), ``file`` with a ``x_pdq`` hash (images); STIX has no phone number or crypto
  wallet object, so those are the custom observables ``x-tipnet-phone-number`` and
  ``x-tipnet-cryptocurrency-wallet`` (a ``value`` property, as MISP's attributes have);
- items (ads, job offers, profiles, messages, reports) are ``note`` objects referring to the
  network's actor and the selectors they use; item-to-item findings are ``related-to``
  relationships carrying the signal in their description.

Ids are deterministic (UUIDv5 from tipnet's entity and network ids; STIX's own rule for
observables), so exporting a network again updates the same objects instead of duplicating
them. Everything is marked TLP:RED: these are leads about people, for the recipient only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import stix2
from stix2.properties import StringProperty

from tipnet.interop.exports import _atomic
from tipnet.interop.graph import Entity, GraphExport, Link, NetworkRecord

NAMESPACE = uuid.UUID("6b1f6c1e-5a9e-4b8e-9a55-7d3c0b3c2f10")  # tipnet's, fixed forever
MARKING = stix2.TLP_RED


def _custom_observable(kind: str, properties: list[tuple[str, Any]]) -> Any:
    """A custom observable class whose id derives from its ``value``, as STIX's own do."""

    class Observable:
        pass

    Observable.__name__ = kind
    return stix2.CustomObservable(kind, properties, ["value"])(Observable)


PhoneNumber = _custom_observable(
    "x-tipnet-phone-number", [("value", StringProperty(required=True))]
)
CryptocurrencyWallet = _custom_observable(
    "x-tipnet-cryptocurrency-wallet",
    [("value", StringProperty(required=True)), ("currency", StringProperty())],
)


def to_bundle(export: GraphExport, producer: str = "tipnet node") -> stix2.Bundle:
    identity = stix2.Identity(
        id=_sdo_id("identity", producer), name=producer, identity_class="organization"
    )
    created = dt.datetime.now(dt.UTC)
    observables = {
        entity.id: _observable(entity)
        for entity in export.entities
        if entity.kind not in _ITEM_KINDS
    }
    actors = {network.id: _actor(network, identity, created) for network in export.networks}
    neighbours: dict[str, set[str]] = {}
    for link in export.links:
        neighbours.setdefault(link.source, set()).add(link.target)
        neighbours.setdefault(link.target, set()).add(link.source)
    membership = export.membership()
    notes = {
        entity.id: _note(
            entity,
            [
                observables[ref].id
                for ref in sorted(neighbours.get(entity.id, ()))
                if ref in observables
            ]
            + [actors[network].id for network in membership.get(entity.id, [])],
            identity,
            created,
        )
        for entity in export.entities
        if entity.kind in _ITEM_KINDS
    }
    relationships = [
        _relationship(link, notes, observables, identity, created) for link in export.links
    ]
    groupings = [
        _grouping(network, actors, notes, observables, identity, created)
        for network in export.networks
    ]
    objects: list[Any] = [
        identity,
        MARKING,
        *observables.values(),
        *actors.values(),
        *notes.values(),
        *relationships,
        *groupings,
    ]
    return stix2.Bundle(objects=objects, allow_custom=True)


def write_stix(export: GraphExport, path: Path) -> Path:
    with _atomic(path, "w") as handle:
        handle.write(to_bundle(export).serialize(pretty=True))
    return path


_ITEM_KINDS = frozenset({"ad", "job_offer", "profile", "message", "report"})


def _observable(entity: Entity) -> Any:
    value, attributes = entity.label, entity.attributes
    marking = {"object_marking_refs": [MARKING.id], "allow_custom": True}
    match entity.kind:
        case "phone":
            return PhoneNumber(value=value, **marking)
        case "email":
            return stix2.EmailAddress(value=value, **marking)
        case "url":
            return stix2.URL(value=value, **marking)
        case "domain":
            return stix2.DomainName(value=value, **marking)
        case "handle":
            platform = str(attributes.get("platform", "")) or None
            return stix2.UserAccount(account_login=value, account_type=platform, **marking)
        case "wallet":
            currency = str(attributes.get("currency", "")) or None
            return CryptocurrencyWallet(value=value, currency=currency, **marking)
        case _:  # image: its PDQ hash
            return stix2.File(name=f"image {value[:16]}", hashes={"x_pdq": value}, **marking)


def _actor(network: NetworkRecord, identity: stix2.Identity, created: dt.datetime) -> Any:
    description = (
        f"Network {network.id} found by tipnet linking: {len(network.entity_ids)} entities, "
        f"countries {', '.join(network.countries) or 'unknown'}, risk {network.risk:.2f}"
        + (", transnational" if network.transnational else "")
    )
    return stix2.ThreatActor(
        id=_sdo_id("threat-actor", network.id),
        name=network.label or f"tipnet network {network.id}",
        threat_actor_types=["crime-syndicate"],
        description=description,
        first_seen=network.first_seen,
        last_seen=network.last_seen,
        created=created,
        modified=created,
        created_by_ref=identity.id,
        object_marking_refs=[MARKING.id],
        allow_custom=True,
    )


def _note(entity: Entity, refs: list[str], identity: stix2.Identity, created: dt.datetime) -> Any:
    """An item, referring to the selectors it uses and the actors of its networks."""
    details = "\n".join(f"{key}: {value}" for key, value in sorted(entity.attributes.items()))
    return stix2.Note(
        id=_sdo_id("note", entity.id),
        abstract=f"{entity.kind} {entity.id}",
        content=f"{entity.label}\n{details}".strip(),
        object_refs=refs or [identity.id],
        created=created,
        modified=created,
        created_by_ref=identity.id,
        object_marking_refs=[MARKING.id],
        allow_custom=True,
    )


def _relationship(
    link: Link,
    notes: dict[str, Any],
    observables: dict[str, Any],
    identity: stix2.Identity,
    created: dt.datetime,
) -> Any:
    objects = {**notes, **observables}
    return stix2.Relationship(
        id=_sdo_id("relationship", f"{link.source}|{link.kind}|{link.target}"),
        relationship_type="related-to",
        source_ref=objects[link.source].id,
        target_ref=objects[link.target].id,
        description=f"{link.kind} (weight {link.weight:g})",
        created=created,
        modified=created,
        created_by_ref=identity.id,
        object_marking_refs=[MARKING.id],
        allow_custom=True,
    )


def _grouping(
    network: NetworkRecord,
    actors: dict[str, Any],
    notes: dict[str, Any],
    observables: dict[str, Any],
    identity: stix2.Identity,
    created: dt.datetime,
) -> Any:
    members = {**notes, **observables}
    refs = [actors[network.id].id] + [members[entity].id for entity in network.entity_ids]
    return stix2.Grouping(
        id=_sdo_id("grouping", network.id),
        name=network.label or f"tipnet network {network.id}",
        context="suspicious-activity",
        object_refs=refs,
        created=created,
        modified=created,
        created_by_ref=identity.id,
        object_marking_refs=[MARKING.id],
        allow_custom=True,
    )


def _sdo_id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"
