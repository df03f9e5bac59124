"""Who posts: trafficking networks, following GLOTIP's flows, and the benign posters around them.

Every item belongs to one *actor*. Networks come first (actor ``i`` is ``networks[i]`` for
``i < len(networks)``); benign actors follow. Sizes are heavy-tailed (Pareto), as the number of
ads per poster is online: most post a few, a few post thousands.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from tipnet.simulate import glotip as glotip_data
from tipnet.simulate import names, rates, seeds
from tipnet.simulate.params import ScenarioParams
from tipnet.simulate.phones import fictional_number
from tipnet.simulate.world import Country, countries

DAY = 86_400.0
LANGUAGE_FLOOR = 0.06
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class ActorType(IntEnum):
    NETWORK = 0
    PERSON = 1
    ESCORT = 2
    MASSAGE = 3
    EMPLOYER = 4
    AGENCY = 5
    SPAMMER = 6
    NGO = 7


ACTOR_NAMES = (
    "network",
    "person",
    "independent_escort",
    "massage_business",
    "employer",
    "recruitment_agency",
    "spammer",
    "ngo",
)
GROUP_PREFIX = ("net", "person", "escort", "massage", "employer", "agency", "spammer", "ngo")
HARD_NEGATIVES = frozenset(
    {ActorType.ESCORT, ActorType.MASSAGE, ActorType.AGENCY, ActorType.SPAMMER, ActorType.NGO}
)
# Share of benign items each kind of benign actor posts.
BENIGN_SHARES = {
    ActorType.PERSON: 0.30,
    ActorType.ESCORT: 0.22,
    ActorType.MASSAGE: 0.10,
    ActorType.EMPLOYER: 0.10,
    ActorType.AGENCY: 0.12,
    ActorType.SPAMMER: 0.12,
    ActorType.NGO: 0.04,
}
# Items per actor: Pareto(xmin, alpha), at most cap (or a tenth of the budget).
SIZES = {
    ActorType.NETWORK: (3.0, 1.35, 5_000),
    ActorType.PERSON: (2.0, 1.8, 300),
    ActorType.ESCORT: (4.0, 1.5, 2_000),
    ActorType.MASSAGE: (4.0, 1.5, 3_000),
    ActorType.EMPLOYER: (1.0, 2.0, 60),
    ActorType.AGENCY: (8.0, 1.4, 5_000),
    ActorType.SPAMMER: (10.0, 1.3, 10_000),
    ActorType.NGO: (20.0, 1.5, 5_000),
}
SECTORS = {  # sectors of the jobs each form of exploitation lures people with
    0: ("modelling", "entertainment", "hospitality", "domestic"),
    1: ("agriculture", "construction", "domestic", "factory", "fishing", "care", "hospitality"),
    2: ("domestic", "factory", "care", "hospitality"),
}


@dataclass(frozen=True)
class Stop:
    country: int
    city: int
    start: float  # seconds from the scenario start
    end: float
    activity: str  # "recruitment" or "exploitation"


@dataclass(frozen=True)
class Burner:
    """A phone and the posting account that goes with it, used for a while in one country."""

    country: int
    start: float
    end: float
    phone: str  # E.164
    account: str


@dataclass
class Network:
    actor: int
    id: str
    form: int
    origin: int
    destinations: tuple[int, ...]
    start: float
    end: float
    size: int
    stops: list[Stop] = field(default_factory=list)
    burners: list[Burner] = field(default_factory=list)
    sectors: tuple[str, ...] = ()
    victims: list[tuple[str, str]] = field(default_factory=list)  # (sex, age)
    company: str = ""

    @property
    def countries(self) -> list[int]:
        seen: list[int] = []
        for stop in self.stops:
            if stop.country not in seen:
                seen.append(stop.country)
        return seen


@dataclass
class Actors:
    type: IntArray
    country: IntArray
    city: IntArray
    size: IntArray
    start: FloatArray
    end: FloatArray
    networks: list[Network]
    flags: IntArray  # indicator bits of each poster's template (see rates.poster_flags)

    def __len__(self) -> int:
        return len(self.type)


def build(params: ScenarioParams, data: glotip_data.Glotip) -> Actors:
    rng = seeds.np_rng(params.seed, "actors")
    span = params.days * DAY
    bad_budget = round(params.scale * params.bad_share)
    sizes = [_sizes(rng, bad_budget, ActorType.NETWORK)]
    types = [np.full(len(sizes[0]), ActorType.NETWORK, dtype=np.int64)]
    remaining = benign_total = params.scale - bad_budget
    benign = list(BENIGN_SHARES.items())
    for position, (kind, share) in enumerate(benign):
        budget = remaining if position == len(benign) - 1 else round(share * benign_total)
        budget = min(budget, remaining)
        remaining -= budget
        sizes.append(_sizes(rng, budget, kind))
        types.append(np.full(len(sizes[-1]), kind, dtype=np.int64))
    size = np.concatenate(sizes)
    kind_of = np.concatenate(types)
    count = len(size)
    world = countries()
    weights = _benign_country_weights(data, world, params.languages)
    country = rng.choice(len(world), size=count, p=weights)
    n_cities = np.array([len(c.cities) for c in world])
    home = np.minimum(rng.geometric(0.55, size=count) - 1, n_cities[country] - 1)
    duration = np.where(kind_of == ActorType.PERSON, 1.0, rng.uniform(0.3, 1.0, size=count)) * span
    start = rng.uniform(0.0, 1.0, size=count) * (span - duration)
    count_networks = int((kind_of == ActorType.NETWORK).sum())
    flows = rng.choice(len(data.flow), size=count_networks, p=data.flow / data.flow.sum())
    form_draw = rng.random(count_networks)
    networks = [
        _network(params, data, rng, index, int(size[index]), int(flows[index]), form_draw[index])
        for index in range(count_networks)
    ]
    for net in networks:
        country[net.actor] = net.origin
        start[net.actor], duration[net.actor] = net.start, net.end - net.start
    flags = rates.poster_flags(rng, kind_of, ACTOR_NAMES, params.difficulty)
    return Actors(kind_of, country, home, size, start, start + duration, networks, flags)


def _sizes(rng: np.random.Generator, budget: int, kind: ActorType) -> IntArray:
    """Heavy-tailed sizes summing exactly to ``budget``."""
    if budget <= 0:
        return np.zeros(0, dtype=np.int64)
    xmin, alpha, cap = SIZES[kind]
    cap = max(int(xmin), min(cap, max(budget // 10, int(xmin) * 3)))
    chunks: list[IntArray] = []
    total = 0
    while total < budget:
        draw = np.floor(xmin * (1.0 - rng.random(max(64, budget // 4))) ** (-1.0 / alpha))
        draw = np.minimum(draw, cap).astype(np.int64)
        chunks.append(draw)
        total += int(draw.sum())
    sizes = np.concatenate(chunks)
    cut = int(np.searchsorted(np.cumsum(sizes), budget))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - budget
    return sizes[sizes > 0]


def _benign_country_weights(
    data: glotip_data.Glotip, world: tuple[Country, ...], languages: tuple[str, ...]
) -> FloatArray:
    """Benign posters live where trafficking is detected and where victims come from, so the
    country of an item alone says little. Online life is not proportional to detected victims,
    though: each chosen language gets at least 6% of benign posters (GLOTIP alone would give
    Portuguese under 1%)."""
    size = len(world)
    origin = np.bincount(data.origin, weights=data.flow, minlength=size)
    destination = np.bincount(data.destination, weights=data.flow, minlength=size)
    weights = origin / origin.sum() + destination / destination.sum() + 0.1 / size
    weights = weights / weights.sum()
    for language in languages:
        members = np.array([c.languages[0] == language for c in world])
        mass = float(weights[members].sum())
        if 0 < mass < LANGUAGE_FLOOR:
            weights[members] *= LANGUAGE_FLOOR / mass
            weights[~members] *= (1 - LANGUAGE_FLOOR) / (1 - mass)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def _network(
    params: ScenarioParams,
    data: glotip_data.Glotip,
    np_rng: np.random.Generator,
    index: int,
    size: int,
    flow: int,
    form_draw: float,
) -> Network:
    """One network on one GLOTIP flow, its form of exploitation drawn from the forms detected
    in its destination."""
    rng = seeds.py_rng(params.seed, "network", index)
    world = countries()
    span = params.days * DAY
    origin, destination = int(data.origin[flow]), int(data.destination[flow])
    form = min(2, int(np.searchsorted(np.cumsum(data.form_shares(destination)), form_draw)))
    destinations = [destination]
    if rng.random() < 0.25:
        onward = np.flatnonzero((data.origin == origin) & (data.destination != origin))
        onward = onward[data.destination[onward] != destination]
        if len(onward):
            weights = data.flow[onward] / data.flow[onward].sum()
            destinations.append(int(data.destination[int(np_rng.choice(onward, p=weights))]))
    duration = min(span, span * rng.uniform(0.2, 1.0) + size * DAY / 4)
    start = rng.uniform(0.0, span - duration)
    net = Network(
        actor=index,
        id=f"net-{index + 1:04d}",
        form=form,
        origin=origin,
        destinations=tuple(destinations),
        start=start,
        end=start + duration,
        size=size,
        sectors=tuple(rng.sample(SECTORS[form], k=min(2, len(SECTORS[form])))),
        company=names.company(rng),
    )
    net.stops = _route(rng, net, world)
    net.burners = _burners(rng, params, net, world)
    mix = data.victim_mix(form).ravel()
    for cell in np_rng.choice(len(mix), size=max(1, min(60, size // 4)), p=mix):
        sex, age = divmod(int(cell), len(glotip_data.AGES))
        net.victims.append((glotip_data.SEXES[sex], glotip_data.AGES[age]))
    return net


def _route(rng: random.Random, net: Network, world: tuple[Country, ...]) -> list[Stop]:
    origin = world[net.origin]
    recruit_city = rng.randrange(min(2, len(origin.cities)))
    stops = [Stop(net.origin, recruit_city, net.start, net.end, "recruitment")]
    begin = net.start + 0.1 * (net.end - net.start)
    moves = 1 + min(8, int(rng.expovariate(1.0) * (net.end - begin) / (40 * DAY)))
    bounds = sorted(rng.uniform(begin, net.end) for _ in range(moves - 1))
    edges = [begin, *bounds, net.end]
    second_from = moves - max(1, moves * 2 // 5) if len(net.destinations) > 1 else moves
    city = -1
    for step in range(moves):
        country = net.destinations[1 if step >= second_from else 0]
        cities = world[country].cities
        choices = [c for c in range(len(cities)) if c != city] or [0]
        if country == net.origin and len(choices) > 1:
            choices = [c for c in choices if c != recruit_city] or choices
        city = rng.choice(choices)
        stops.append(Stop(country, city, edges[step], edges[step + 1], "exploitation"))
    return stops


def _burners(
    rng: random.Random, params: ScenarioParams, net: Network, world: tuple[Country, ...]
) -> list[Burner]:
    """Burner phones per country, each used for a stretch of the network's time there; with
    more rotation, more and shorter stretches. A new phone often comes with a new account."""
    burners: list[Burner] = []
    account = ""
    for country in net.countries:
        spans = [(s.start, s.end) for s in net.stops if s.country == country]
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        days = (last - first) / DAY
        count = 1 + min(40, int(rng.expovariate(1.0) * params.phone_rotation * days / 12))
        cuts = sorted(rng.uniform(first, last) for _ in range(count - 1))
        edges = [first, *cuts, last]
        for slot in range(count):
            key = seeds.mix(params.seed, net.actor, country, slot)
            phone = fictional_number(world[country].alpha2, key)
            if not account or rng.random() < 0.7:
                account = names.handle(rng, rng.choice(names.WORDS))
            burners.append(Burner(country, edges[slot], edges[slot + 1], phone, account))
    return burners


def group_name(who: Actors, actor: int) -> str:
    """The ground-truth group of an actor's items: a network id or a benign poster's id."""
    if actor < 0:
        return "stock"
    kind = int(who.type[actor])
    if kind == ActorType.NETWORK:
        return who.networks[actor].id
    return f"{GROUP_PREFIX[kind]}-{actor + 1:06d}"
