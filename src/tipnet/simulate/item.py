"""The writing of one item: where it is posted, its contact details as the poster writes them,
its placeholders' values, and the accounts it is posted from. :mod:`tipnet.simulate.kinds` adds
the four kinds of text."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import numpy as np

from tipnet.simulate import names, rates, seeds
from tipnet.simulate.actors import ActorType, Burner, Network
from tipnet.simulate.lexicon import Lexicon
from tipnet.simulate.phones import OBFUSCATED_STYLES, formats, write_phone
from tipnet.simulate.style import Style
from tipnet.simulate.text import Values
from tipnet.simulate.world import Country, countries, country_name, ethnicity

if TYPE_CHECKING:
    from tipnet.simulate.items import ItemWriter

A = ActorType
Record = dict[str, Any]
_BIO = {
    A.AGENCY: "bio_agency",
    A.EMPLOYER: "bio_business",
    A.SPAMMER: "bio_business",
    A.MASSAGE: "bio_business",
    A.ESCORT: "bio_escort",
    A.NGO: "bio_ngo",
}
PRICE = {"H": (150, 300), "UM": (80, 150), "LM": (30, 80), "L": (20, 50)}


class Place:
    """Where an item is posted, and, for job offers and lures, where the job is."""

    __slots__ = ("country", "city", "job_country", "job_city")

    def __init__(self, country: Country, city: str, job_country: Country, job_city: str) -> None:
        self.country = country
        self.city = city
        self.job_country = job_country
        self.job_city = job_city


class ItemValues(Values):
    __slots__ = ("item",)

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item

    def __missing__(self, key: str) -> str:
        value = self[key] = self.item.value(key)
        return value


class Item:
    """The writing of one item: its text, contact details and indicators."""

    __slots__ = (
        "w",
        "position",
        "st",
        "place",
        "language",
        "lex",
        "t",
        "rng",
        "phones",
        "obfuscation",
        "written_phones",
        "indicators",
        "variation",
        "item_id",
    )

    def __init__(
        self,
        writer: ItemWriter,
        position: int,
        st: Style,
        place: Place,
        language: str,
        lex: Lexicon,
        t: float,
        rng: random.Random,
    ) -> None:
        self.w = writer
        self.position = position
        self.st = st
        self.place = place
        self.language = language
        self.lex = lex
        self.t = t
        self.rng = rng
        self.phones: list[str] = []
        self.obfuscation: str | None = None
        self.written_phones: list[tuple[str, str, str]] = []  # (E.164, as written, style)
        self.indicators: frozenset[str] = frozenset()
        self.variation = writer.params.variation
        self.item_id = ""

    # --- contact details -----------------------------------------------------------------

    def phone(self, *, foreign_ok: bool = False) -> str:
        """The actor's phone at this time, as this poster writes it."""
        st = self.st
        if st.network is not None:
            e164 = self._burner(st.network, foreign_ok).phone
        else:
            span = self.w.plan.actors
            begin, end = float(span.start[st.actor]), float(span.end[st.actor])
            e164 = st.phone_at((self.t - begin) / max(end - begin, 1.0))
        return self.written(e164, obfuscate=True)

    def written(self, e164: str, *, obfuscate: bool) -> str:
        rng = self.rng
        local = formats(e164)[2] == self.place.country.alpha2
        chance = rates.obfuscation_rate(
            self.w.params.obfuscation, bad=self.st.bad, difficulty=self.w.params.difficulty
        )
        if obfuscate and rng.random() < chance:
            style = rng.choice(OBFUSCATED_STYLES)
        else:
            style = "compact" if rng.random() < 0.2 else ("national" if local else "international")
        shown = write_phone(e164, local=local, style=style, language=self.language, rng=rng)
        self.written_phones.append((e164, shown, style))
        return shown

    def settle(self, record: Record) -> None:
        """Keep, as the item's true phones, those its text or contact fields really show (a
        template may not use the phone it was offered)."""
        text = record.get("text") or record.get("bio") or ""
        fields = {record.get("phone"), record.get("contact_phone")}
        for e164, shown, style in self.written_phones:
            if shown in text:
                if e164 not in self.phones:
                    self.phones.append(e164)
                if style in OBFUSCATED_STYLES and self.obfuscation is None:
                    self.obfuscation = style
            elif shown in fields and e164 not in self.phones:
                self.phones.append(e164)

    def _burner(self, net: Network, foreign_ok: bool) -> Burner:
        country = self.place.country.index
        if foreign_ok and self.rng.random() < 0.3:
            country = self.place.job_country.index
        own = [b for b in net.burners if b.country == country] or net.burners
        at = next((i for i, b in enumerate(own) if b.start <= self.t < b.end), len(own) - 1)
        if at > 0 and self.rng.random() < 0.15:
            at -= 1  # an old phone still in use for a while
        return own[at]

    def account(self) -> str:
        if self.st.network is not None:
            return self._burner(self.st.network, False).account
        return self.st.handle

    def values(self) -> Values:
        """The placeholders' values, each worked out when a sentence first needs it."""
        return ItemValues(self)

    def value(self, key: str) -> str:
        place = self.place
        if key == "city":
            return place.city
        if key == "job_city":
            return place.job_city
        if key == "job_country":
            return country_name(place.job_country.iso3, self.language)
        if key == "company":
            return self.st.company
        if key == "ethnicity":
            return self.lex.ethnicity[self._ethnicity()]
        if key == "price":
            low, high = PRICE[place.country.income]
            return str(10 * self.rng.randrange(low // 10, high // 10 + 1))
        if key == "currency":
            return place.country.currency
        if key == "website":
            return self.st.website
        return ""

    def _ethnicity(self) -> str:
        if self.st.network is not None:
            return ethnicity(countries()[self.st.network.origin].iso3)
        return self.st.ethnicity

    # --- the four kinds ------------------------------------------------------------------

    def persona(self, index: int) -> tuple[str, str, str]:
        """(handle, display name, bio kind) of the actor's ``index``-th account."""
        personas = self.st.personas
        if personas is None:
            personas = self.st.personas = {}
        known = personas.get(index)
        if known is None:
            known = personas[index] = self._persona(index)
        return known

    def _persona(self, index: int) -> tuple[str, str, str]:
        st = self.st
        if st.network is None:
            handle = st.handle if index == 0 else f"{st.handle}{index + 1}"
            bio = _BIO.get(st.type, "bio_self")
            personal = bio in ("bio_self", "bio_escort")
            return handle, st.name if personal else st.company, bio
        rng = seeds.Draws(seeds.mix(st.seed, 77, index))
        sex = "male" if rng.random() < 0.6 else "female"
        names_ = self.lex.male_names if sex == "male" else self.lex.female_names
        name = rng.choice(names_)
        romance = st.network.form == 2 and rng.random() < 0.6
        kind = "bio_romance" if romance else "bio_scout"
        suffix = "" if romance else " | " + rng.choice(("Models", "Jobs", "Talent", "Agent"))
        return names.handle(rng, name), name + suffix, kind

    def _sender(self) -> tuple[str, str | None]:
        plan, st = self.w.plan, self.st
        start, count = int(plan.profile_start[st.actor]), int(plan.profile_count[st.actor])
        # the actor's profiles are in time order: those made by now come first
        made = int(np.searchsorted(plan.profile_time[start : start + count], self.t, "right"))
        if made:
            position = int(plan.profile_items[start + self.rng.randrange(made)])
            return self.persona(int(plan.persona[position]))[0], self.w.item_id(position)
        return self.persona(count + self.rng.randrange(2))[0], None
