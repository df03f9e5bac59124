"""The four kinds of item a poster writes: ads, job offers, profiles and messages."""

from __future__ import annotations

import math

from tipnet.simulate import names, rates, seeds
from tipnet.simulate.actors import ActorType
from tipnet.simulate.item import Item, Record
from tipnet.simulate.phones import OBFUSCATED_STYLES
from tipnet.simulate.text import compose, write

A = ActorType
STAGES = ("msg.offer", "msg.offplatform", "msg.request", "msg.travel")
# What each sentence of a message shows, as the detection indicators name it.
MESSAGE_INDICATORS = {
    "msg.flattery": "flattery",
    "msg.offer": "job_offer",
    "msg.offplatform": "off_platform",
    "msg.request": "requests_documents_or_money",
    "msg.travel": "travel_arranged",
    "msg.spam": "off_platform",  # marketers push to WhatsApp too: a hard negative
    "msg.recruiter": "job_offer",  # and agencies offer jobs abroad, legitimately
}
_RECIPIENTS = ("maria", "joao", "ana", "luis", "grace", "amina", "lena", "david")


class Writing(Item):
    """An :class:`Item` that writes itself as its kind."""

    __slots__ = ()

    def ad(self) -> Record:
        st, rng, lex = self.st, self.rng, self.lex
        values = self.values()
        if st.ad_category in ("services", "community"):
            keys = ["bio.business", "msg.spam"] if st.ad_category == "services" else ["msg.hotline"]
            values["phone"] = self.phone()
            text = compose(
                keys, lex=lex, picks=st.picks, values=values, rng=rng, variation=self.variation
            )
            title = text.split(".")[0][:80]
        else:
            self.indicators = rates.item_indicators(
                st.flags, st.rates["ad"], rng, variation=self.variation
            )
            name, age = self._persona_for_ad()
            values["name"], values["age"] = name, str(age)
            values["phone"] = self.phone()
            text = write(
                st.ad_category,
                self.indicators,
                lex=lex,
                picks=st.picks,
                values=values,
                rng=rng,
                variation=self.variation,
            )
            title = lex.banks["ad.title"][rng.randrange(6)].format_map(values)
        if rng.random() < 0.03:  # a platform's safety banner: a shared hotline in any ad
            hotline = rng.choice(self.w.styles.shared["hotline"])
            text += " | Report abuse: " + self.written(hotline, obfuscate=False)
        structured = None
        plain = self.written_phones[0]
        if plain[2] not in OBFUSCATED_STYLES and rng.random() < 0.6:
            structured = plain[1]
        platform = st.platforms["ad"]
        item_id = self.item_id
        return {
            "platform": platform,
            "url": f"https://{platform}.example/ad/{item_id}",
            "category": st.ad_category,
            "country": self.place.country.iso3,
            "city": self.place.city,
            "language": self.language,
            "title": title,
            "text": text,
            "poster": self.account(),
            "phone": structured,
            "email": st.email,
        }

    def _persona_for_ad(self) -> tuple[str, int]:
        st, rng = self.st, self.rng
        youth = "youth" in self.indicators
        if st.network is None:
            age = 18 + (seeds.mix(st.seed, 1) % 4 if youth else seeds.mix(st.seed, 2) % 14)
            return st.name, int(age) + (1 if youth else 5)
        victim = rng.randrange(len(st.network.victims))
        sex, group = st.network.victims[victim]
        names_ = self.lex.male_names if sex == "male" else self.lex.female_names
        name = names_[seeds.mix(st.seed, victim) % len(names_)]
        if group == "child" or youth:
            return name, 18 + rng.randrange(3)  # stated adult, whatever the truth
        return name, 20 + rng.randrange(10)

    def job(self) -> Record:
        st, rng, lex, place = self.st, self.rng, self.lex, self.place
        self.indicators = rates.item_indicators(
            st.flags, st.rates["job"], rng, variation=self.variation
        )
        sector = self._sector()
        role = rng.choice(lex.sectors[sector])
        values = self.values()
        wage = place.job_country.monthly_wage
        if "unrealistic_pay" in self.indicators:
            low = 2.5 - 1.0 * self.w.params.difficulty
            salary = wage * rng.uniform(low, low + 2.5)
        else:
            salary = wage * rng.uniform(0.8, 1.3) * (1.6 if sector == "office" else 1.0)
        salary = 50 * max(1, round(salary / 50))
        fee = 50 * rng.randrange(3, 40)
        values.update(
            role=role,
            salary=f"{salary:,}",
            fee=str(fee),
            email=st.email or "",
            website=st.website,
            licence=str(seeds.mix(st.seed) % 90000 + 10000),
        )
        values["currency"] = place.job_country.currency
        values["phone"] = self.phone(foreign_ok=True)
        text = write(
            "job",
            self.indicators,
            lex=lex,
            picks=st.picks,
            values=values,
            rng=rng,
            variation=self.variation,
        )
        title = lex.banks["job.title"][rng.randrange(5)].format_map(values)
        apps = ["whatsapp"] if "messaging_app_only" in self.indicators else []
        platform = st.platforms["job"]
        item_id = self.item_id
        structured = None
        plain = self.written_phones[0]
        if plain[2] not in OBFUSCATED_STYLES and not apps and rng.random() < 0.5:
            structured = plain[1]
        return {
            "platform": platform,
            "url": f"https://{platform}.example/jobs/{item_id}",
            "country": place.country.iso3,
            "city": place.city,
            "language": self.language,
            "title": title,
            "text": text,
            "company": None if apps else st.company,
            "sector": sector,
            "job_country": place.job_country.iso3,
            "job_city": place.job_city,
            "salary": salary,
            "currency": place.job_country.currency,
            "period": "month",
            "contact_phone": structured,
            "contact_email": None if apps else st.email,
            "contact_apps": apps,
            "poster": self.account(),
        }

    def _sector(self) -> str:
        st, rng = self.st, self.rng
        if st.network is not None:
            return rng.choice(st.network.sectors)
        if st.type is A.SPAMMER:
            return "office"
        return rng.choice(sorted(self.lex.sectors))

    def profile(self) -> Record:
        st, rng, lex = self.st, self.rng, self.lex
        persona = int(self.w.plan.persona[self.position])
        handle, display, bio_kind = self.persona(persona)
        values = self.values()
        if bio_kind == "bio_ngo":
            values["phone"] = self.phone()
        elif bio_kind != "bio_self":
            self.indicators = rates.item_indicators(
                st.flags, st.rates["profile"], rng, variation=self.variation
            )
            if "off_platform" in self.indicators:
                values["phone"] = self.phone()
        text = write(
            bio_kind,
            self.indicators,
            lex=lex,
            picks=st.picks,
            values=values,
            rng=rng,
            variation=self.variation,
            emoji_kind="bio",
        )
        followers, following, posts = self._counts(bio_kind)
        platform = st.platforms["social"]
        website = st.website if bio_kind == "bio_business" else None
        if bio_kind == "bio_scout" and rng.random() < 0.3:
            website = st.website
        return {
            "platform": platform,
            "url": f"https://{platform}.example/{handle}",
            "handle": handle,
            "display_name": display,
            "country": self.place.country.iso3,
            "city": self.place.city,
            "language": self.language,
            "bio": text,
            "followers": followers,
            "following": following,
            "posts": posts,
            "verified": st.type in (A.AGENCY, A.NGO) and rng.random() < 0.3,
            "external_url": website,
        }

    def _counts(self, bio_kind: str) -> tuple[int, int, int]:
        rng, d = self.rng, self.w.params.difficulty
        genuine = (180.0, 220.0, 90.0)
        if bio_kind == "bio_business":
            genuine = (800.0, 150.0, 300.0)
        if self.st.bad:
            fake = (40.0, 600.0, 6.0)
            centre = [
                math.exp(math.log(f) + (math.log(g) - math.log(f)) * 0.7 * d)
                for f, g in zip(fake, genuine, strict=True)
            ]
        else:
            centre = list(genuine)
        return (
            int(rng.lognormvariate(math.log(centre[0]), 1.1)),
            int(rng.lognormvariate(math.log(centre[1]), 0.9)),
            int(rng.lognormvariate(math.log(centre[2]), 1.2)),
        )

    def message(self) -> Record:
        st, rng, lex = self.st, self.rng, self.lex
        values = self.values()
        sender, sender_profile = self._sender()
        keys: list[str]
        if st.network is not None:
            stage = rng.choices(STAGES, weights=(3, 3, 2, 2))[0]
            keys = ["msg.flattery", stage] if rng.random() < 0.4 else [stage]
            values["salary"] = f"{50 * round(self.place.job_country.monthly_wage * 3 / 50):,}"
            values["fee"] = str(50 * rng.randrange(3, 30))
            values["currency"] = self.place.job_country.currency
            if stage == "msg.offplatform":
                values["phone"] = self.phone()
        else:
            bank = {A.SPAMMER: "msg.spam", A.AGENCY: "msg.recruiter", A.NGO: "msg.hotline"}
            keys = [bank.get(st.type, "msg.chat")]
            if keys[0] != "msg.chat" or rng.random() < 0.03:
                values["phone"] = self.phone()
        self.indicators = frozenset(MESSAGE_INDICATORS[k] for k in keys if k in MESSAGE_INDICATORS)
        text = compose(
            keys, lex=lex, picks=st.picks, values=values, rng=rng, variation=self.variation
        )
        target = rng.randrange(max(1, st.network.size // 4 if st.network else 3))
        recipient = names.hashed_handle(seeds.mix(st.seed, 91, target), _RECIPIENTS[target % 8])
        platform = st.platforms["social"]
        return {
            "platform": platform,
            "sender": sender,
            "sender_profile": sender_profile,
            "recipient": recipient,
            "conversation": f"c{seeds.mix(st.seed, target) % 16**10:010x}",
            "country": self.place.country.iso3,
            "language": self.language,
            "text": text,
        }
