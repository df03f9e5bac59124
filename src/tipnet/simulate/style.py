"""What stays the same across one actor's items: its phones, accounts, name, platforms, the
paraphrases its templates use and which indicators they carry. Derived from the seed and the actor
number alone, so any process can rebuild it for any chunk."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from functools import lru_cache

from tipnet.simulate import names, rates, seeds
from tipnet.simulate.actors import ACTOR_NAMES, ActorType, Network, group_name
from tipnet.simulate.lexicon import lexicon
from tipnet.simulate.phones import fictional_number
from tipnet.simulate.plan import Plan
from tipnet.simulate.world import Country, countries

_UNSET: object = object()


class Style:
    """One actor's constants. The costlier ones (phones, names, addresses) are made on first
    use, each from its own seed, so what is used never depends on what was not. Slotted: a
    process keeps the styles of every actor it meets."""

    __slots__ = (
        "styles", "actor", "type", "seed", "country", "network", "bad", "group", "rates",
        "flags", "sex", "name", "platforms", "ad_category", "ethnicity", "picks", "personas",
        "_company", "_handle", "_email", "_phones",
    )  # fmt: skip

    def __init__(self, styles: Styles, actor: int) -> None:
        plan = styles.plan
        params = plan.params
        self.styles = styles
        self.actor = actor
        self.type = ActorType(int(plan.actors.type[actor]))
        self.seed = seeds.derive(params.seed, "actor", actor)
        rng = seeds.Draws(self.seed)
        self.country: Country = countries()[int(plan.actors.country[actor])]
        self.network: Network | None = (
            plan.actors.networks[actor] if self.type is ActorType.NETWORK else None
        )
        self.bad = self.network is not None
        self.group = group_name(plan.actors, actor)
        self.rates = rates.poster_tables(self.bad, ACTOR_NAMES[self.type], params.difficulty)
        self.flags = rates.flag_names(int(plan.actors.flags[actor]))
        self.sex = "female" if rng.random() < 0.8 else "male"
        lex = lexicon(_language(self.country, params.languages))
        self.name: str = rng.choice(lex.female_names if self.sex == "female" else lex.male_names)
        self.platforms = {
            "ad": rng.choice(names.PLATFORMS["ad"]),
            "job": rng.choice(names.PLATFORMS["job"]),
            "social": rng.choice(names.PLATFORMS["social"]),
        }
        self.ad_category = _CATEGORY.get(self.type, "escort")
        if self.bad and rng.random() < 0.25:
            self.ad_category = "massage"
        self.ethnicity: str = rng.choice(_ETHNICITIES)
        self.picks = Picks(self.seed)
        self.personas: dict[int, tuple[str, str, str]] | None = None
        self._company: str | None = None
        self._handle: str | None = None
        self._email: object = _UNSET
        self._phones: list[str] | None = None

    @property
    def company(self) -> str:
        if self._company is None:
            if self.network is not None:
                self._company = self.network.company
            else:
                self._company = names.company(seeds.draws(self.seed, "company"))
        return self._company

    @property
    def handle(self) -> str:
        if self._handle is None:
            base = self.name if self.type in _PERSONAL else self.company.split()[0]
            self._handle = names.handle(seeds.draws(self.seed, "handle"), base)
        return self._handle

    @property
    def email(self) -> str | None:
        if self._email is _UNSET:
            rng = seeds.draws(self.seed, "email")
            if self.type in (ActorType.AGENCY, ActorType.EMPLOYER):
                box = rng.choice(("jobs", "hr", "careers", "info"))
                self._email = f"{box}@{names.slug(self.company)}.example"
            else:
                self._email = names.email(rng, self.handle) if rng.random() < 0.5 else None
        return self._email if isinstance(self._email, str) else None

    @property
    def website(self) -> str:
        return names.website(self.company)

    @property
    def phones(self) -> list[str]:
        """E.164 numbers, in the order the actor uses them."""
        if self._phones is None:
            self._phones = self._draw_phones()
        return self._phones

    def _draw_phones(self) -> list[str]:
        rng = seeds.draws(self.seed, "phones")
        shared = self.styles.shared
        if self.type is ActorType.NGO:
            return [rng.choice(shared["hotline"])]
        if self.type is ActorType.EMPLOYER and rng.random() < 0.25:
            return [rng.choice(shared["switchboard"])]
        count = 1
        if self.type is ActorType.SPAMMER:
            count = rng.randint(2, 8)
        elif self.type is ActorType.ESCORT and rng.random() < 0.25:
            count = 2
        seed = self.styles.plan.params.seed
        return [
            fictional_number(self.country.alpha2, seeds.mix(seed, self.actor, 0, slot))
            for slot in range(count)
        ]

    def phone_at(self, fraction: float) -> str:
        """The phone in use at ``fraction`` (0..1) of the actor's active period."""
        phones = self.phones
        return phones[min(len(phones) - 1, max(0, int(fraction * len(phones))))]


class Picks(Mapping[str, int]):
    """A poster's template: which paraphrase of each sentence it uses, derived on demand (the
    same choice in every language, as the banks line up)."""

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __getitem__(self, key: str) -> int:
        mixed = ((self.seed ^ _label(key)) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        return (mixed >> 32) % 720720  # a multiple of every bank size

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class Styles:
    """Per-process cache of actor styles for one plan."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.shared = shared_numbers(plan)
        self.get = lru_cache(maxsize=1 << 18)(self._build)

    def _build(self, actor: int) -> Style:
        return Style(self, actor)


@lru_cache(maxsize=256)
def _label(key: str) -> int:
    return seeds.label(key)


_CATEGORY = {
    ActorType.MASSAGE: "massage",
    ActorType.SPAMMER: "services",
    ActorType.NGO: "community",
}
_ETHNICITIES = ("african", "asian", "brazilian", "caribbean", "east_european", "exotic", "latina")
_PERSONAL = frozenset({ActorType.PERSON, ActorType.ESCORT, ActorType.NETWORK})


def _language(country: Country, allowed: tuple[str, ...]) -> str:
    for language in country.languages:
        if language in allowed:
            return language
    return allowed[0]


def language_of(country: Country, allowed: tuple[str, ...], rng: random.Random) -> str:
    """The language an item posted in ``country`` is written in."""
    spoken = [language for language in country.languages if language in allowed]
    if not spoken:
        return allowed[0]
    if len(spoken) > 1 and rng.random() < 0.3:
        return spoken[1]
    return spoken[0]


def shared_numbers(plan: Plan) -> dict[str, list[str]]:
    """Numbers many unrelated posters show: helplines, and the switchboards of virtual offices
    that small employers share. Hubs a linker must not follow."""
    params = plan.params
    rng = seeds.py_rng(params.seed, "shared-numbers")
    world = countries()
    hotline_count = 1 + params.scale // 250_000
    switchboard_count = 2 + params.scale // 25_000
    table: dict[str, list[str]] = {"hotline": [], "switchboard": []}
    for name, count in (("hotline", hotline_count), ("switchboard", switchboard_count)):
        for slot in range(count):
            country = world[rng.randrange(len(world))]
            key = seeds.derive(params.seed, name, slot)
            table[name].append(fictional_number(country.alpha2, key))
    return table
