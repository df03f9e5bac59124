"""The neutral shape every network export is written from: entities, links, and the networks
they belong to.

An investigator's tools disagree on almost everything (Gephi wants a graph file, i2 Analyst's
Notebook two CSV tables, MISP and OpenCTI a STIX bundle, notebooks Parquet), so the linking
code describes what it found once, in these plain records, and each format is a small writer
over them (:mod:`tipnet.interop.exports`, :mod:`tipnet.interop.stix`).

Entity ids are stable strings chosen by the producer (``item:ad-00042``, ``phone:+34612345678``)
so that an export of a grown network lines up with an earlier one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tipnet.errors import InvalidInput

AttributeValue = str | int | float | bool

# What an entity is. Items are things posted or filed; selectors are what items share.
ITEM_KINDS = frozenset({"ad", "job_offer", "profile", "message", "report"})
SELECTOR_KINDS = frozenset({"phone", "email", "handle", "url", "domain", "wallet", "image"})
ENTITY_KINDS = ITEM_KINDS | SELECTOR_KINDS


@dataclass(frozen=True)
class Entity:
    id: str
    kind: str
    label: str
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """An edge between two entities: an item using a selector, or two items found alike."""

    source: str
    target: str
    kind: str  # e.g. "uses_phone", "near_duplicate_text", "same_image"
    weight: float = 1.0


@dataclass(frozen=True)
class NetworkRecord:
    id: str
    entity_ids: Sequence[str]
    countries: Sequence[str] = ()
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    risk: float = 0.0
    transnational: bool = False
    label: str = ""


@dataclass(frozen=True)
class GraphExport:
    """Networks with every entity and link they need, checked to refer to each other."""

    networks: Sequence[NetworkRecord]
    entities: Sequence[Entity]
    links: Sequence[Link]

    def __post_init__(self) -> None:
        known = _unique_ids(self.entities)
        for link in self.links:
            for end in (link.source, link.target):
                if end not in known:
                    raise InvalidInput(f"link {link.kind} refers to unknown entity {end!r}")
        for network in self.networks:
            missing = [entity_id for entity_id in network.entity_ids if entity_id not in known]
            if missing:
                raise InvalidInput(f"network {network.id} lists unknown entities {missing[:5]}")

    def membership(self) -> dict[str, list[str]]:
        """Entity id -> ids of the networks it belongs to (a hub selector may sit in several)."""
        found: dict[str, list[str]] = {}
        for network in self.networks:
            for entity_id in network.entity_ids:
                found.setdefault(entity_id, []).append(network.id)
        return found


def _unique_ids(entities: Iterable[Entity]) -> set[str]:
    seen: set[str] = set()
    for entity in entities:
        if entity.kind not in ENTITY_KINDS:
            raise InvalidInput(
                f"entity {entity.id!r} has kind {entity.kind!r}; "
                f"use one of {', '.join(sorted(ENTITY_KINDS))}"
            )
        if entity.id in seen:
            raise InvalidInput(f"entity id {entity.id!r} appears twice")
        seen.add(entity.id)
    return seen


def iso(moment: dt.datetime | None) -> str:
    """UTC ISO 8601 with a Z, or the empty string: every tool here reads that form."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
