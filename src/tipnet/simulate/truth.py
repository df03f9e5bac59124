"""``truth.json``: what really happened in a scenario, for grading detection, linking and trainees.

Per-item truth (group, network, phones as written, obfuscation, indicators) is in
``truth_items``; per-image lineage in ``truth_images``. This file holds the networks (their items,
route, countries, phones, accounts, victims), the benign groups that are hard negatives, the
shared numbers, and which profiles are fraudulent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from tipnet.simulate.actors import ACTOR_NAMES, HARD_NEGATIVES, Network, group_name
from tipnet.simulate.glotip import FORMS
from tipnet.simulate.plan import ID_PREFIX, Kind, Plan
from tipnet.simulate.style import shared_numbers
from tipnet.simulate.world import countries

FORMAT = "tipnet-scenario-truth/1"


def owner_names(plan: Plan) -> Callable[[int], str]:
    return lambda actor: group_name(plan.actors, actor)


def scenario_truth(plan: Plan, counts: dict[str, int]) -> dict[str, Any]:
    params = plan.params
    width = max(7, len(str(params.scale)))
    epoch = params.start.timestamp()

    def stamp(seconds: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch + seconds))

    def item_id(position: int) -> str:
        return f"{ID_PREFIX[int(plan.kind[position])]}-{int(plan.number[position]):0{width}d}"

    order = np.argsort(plan.actor, kind="stable")
    bounds = np.searchsorted(plan.actor[order], np.arange(len(plan.actors) + 1))
    networks = []
    fraudulent: list[str] = []
    for net in plan.actors.networks:
        positions = order[bounds[net.actor] : bounds[net.actor + 1]]
        profiles = [item_id(p) for p in positions if plan.kind[p] == Kind.PROFILE]
        fraudulent.extend(profiles)
        report_ids = [
            f"sim{params.seed}-rep-{int(plan.report[p]):07d}" for p in positions if plan.report[p]
        ]
        networks.append(_network(net, stamp, [item_id(p) for p in positions], profiles, report_ids))
    bad = int(sum(net.size for net in plan.actors.networks))
    groups = []
    for actor in np.flatnonzero(np.isin(plan.actors.type, list(HARD_NEGATIVES))):
        size = int(plan.actors.size[actor])
        if size >= 2:
            groups.append(
                {
                    "id": group_name(plan.actors, int(actor)),
                    "kind": ACTOR_NAMES[int(plan.actors.type[actor])],
                    "items": size,
                    "country": countries()[int(plan.actors.country[actor])].iso3,
                }
            )
    return {
        "format": FORMAT,
        "parameters": params.as_dict(),
        "counts": {
            **counts,
            "trafficking_items": bad,
            "benign_items": len(plan) - bad,
            "networks": len(networks),
            "transnational_networks": sum(1 for n in networks if n["transnational"]),
            "fraudulent_profiles": len(fraudulent),
        },
        "networks": networks,
        "fraudulent_profiles": sorted(fraudulent),
        "hard_negative_groups": groups,
        "shared_phones": shared_numbers(plan),
        "notes": {
            "networks[].items": "every item the network posted, reports about them included; "
            "all other items are benign (see truth_items for each item's group)",
            "networks[].route": "where the network recruited and exploited, in time order",
            "hard_negative_groups": "benign posters who reuse templates, phones or photos",
            "shared_phones": "numbers many unrelated posters show (helplines, shared "
            "switchboards): hubs that must not join networks",
        },
    }


def _network(
    net: Network,
    stamp: Callable[[float], str],
    items: list[str],
    profiles: list[str],
    reports: list[str],
) -> dict[str, Any]:
    world = countries()
    victims = net.victims
    return {
        "id": net.id,
        "form": FORMS[net.form],
        "origin": world[net.origin].iso3,
        "destinations": [world[d].iso3 for d in net.destinations],
        "countries": [world[c].iso3 for c in net.countries],
        "transnational": len(net.countries) > 1,
        "first_seen": stamp(net.start),
        "last_seen": stamp(net.end),
        "route": [
            {
                "country": world[stop.country].iso3,
                "city": world[stop.country].cities[stop.city],
                "from": stamp(stop.start),
                "to": stamp(stop.end),
                "activity": stop.activity,
            }
            for stop in net.stops
        ],
        "sectors": list(net.sectors),
        "company": net.company,
        "phones": [
            {
                "phone": b.phone,
                "account": b.account,
                "country": world[b.country].iso3,
                "from": stamp(b.start),
                "to": stamp(b.end),
            }
            for b in net.burners
        ],
        "victims": {
            "count": len(victims),
            "female": sum(1 for sex, _ in victims if sex == "female"),
            "male": sum(1 for sex, _ in victims if sex == "male"),
            "other": sum(1 for sex, _ in victims if sex == "other"),
            "children": sum(1 for _, age in victims if age == "child"),
        },
        "size": len(items),
        "items": items + reports,
        "fraudulent_profiles": profiles,
    }
