"""Texts written the way posters write them: one template per poster, varied per item.

A poster's *template* fixes which paraphrase of each sentence it uses; each item then varies it
as real posters do, more so as ``variation`` grows: another paraphrase here and there, two
sentences swapped, a typo, emoji. Which optional sentences (the indicators) an item carries is
decided by the caller, from rates that follow the evidence (see :mod:`tipnet.simulate.rates`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from tipnet.simulate.lexicon import Lexicon

# Sentence slots per text kind, in their usual order. Slots named in INDICATOR_SLOTS are
# optional; "a|b" slots are alternatives chosen by an indicator.
SLOTS: dict[str, tuple[str, ...]] = {
    "escort": (
        "ad.greeting",
        "ad.intro",
        "ad.ethnicity",
        "ad.youth",
        "ad.describe",
        "ad.trust",
        "ad.movement",
        "ad.availability",
        "ad.price",
        "ad.contact",
        "ad.closing",
    ),
    "massage": (
        "ad.greeting",
        "massage.intro",
        "massage.describe",
        "ad.ethnicity",
        "ad.youth",
        "ad.trust",
        "ad.movement",
        "ad.availability",
        "ad.price",
        "ad.contact",
    ),
    "job": (
        "job.intro",
        "job.role",
        "job.experience|job.no_experience",
        "job.pay|job.high_pay",
        "job.benefits",
        "job.visa",
        "job.fee",
        "job.passport",
        "job.legit",
        "job.contact|job.contact_app",
    ),
    "bio_scout": ("bio.scout", "bio.offplatform"),
    "bio_romance": ("bio.romance", "bio.offplatform"),
    "bio_self": ("bio.self",),
    "bio_business": ("bio.business", "bio.offplatform"),
    "bio_agency": ("bio.agency", "bio.offplatform"),
    "bio_ngo": ("msg.hotline",),
    "bio_escort": ("ad.describe", "ad.availability", "bio.offplatform"),
}

# indicator name -> the slot it switches on (or, for "a|b" slots, to its second choice)
INDICATOR_SLOTS = {
    "trust": "ad.trust",
    "youth": "ad.youth",
    "ethnicity": "ad.ethnicity",
    "movement": "ad.movement",
    "no_experience": "job.experience|job.no_experience",
    "unrealistic_pay": "job.pay|job.high_pay",
    "travel_paid": "job.benefits",
    "visa_sponsored": "job.visa",
    "upfront_fee": "job.fee",
    "passport_retention": "job.passport",
    "licensed_no_fees": "job.legit",
    "messaging_app_only": "job.contact|job.contact_app",
    "off_platform": "bio.offplatform",
}
_OPTIONAL = frozenset(slot for slot in INDICATOR_SLOTS.values() if "|" not in slot)
YOUTH_EMOJI = ("🍒", "🍭", "🍓", "🌸", "🎀")
EMOJI = {
    "escort": ("✨", "💋", "🌹", "❤️", "🔥", "😘", "💕", "⭐"),
    "massage": ("🌿", "💆", "✨", "🕯️", "🌸"),
    "job": ("✈️", "💼", "💰", "🌍", "✅", "📞"),
    "message": ("😊", "🙏", "❤️", "👍", "😘", "🙂"),
    "bio": ("✨", "📸", "🌍", "💼", "❤️", "☕"),
}


class Values(dict[str, str]):
    """Placeholder values; a placeholder with no value becomes empty, never an error."""

    def __missing__(self, key: str) -> str:
        return ""


def write(
    kind: str,
    indicators: frozenset[str],
    *,
    lex: Lexicon,
    picks: Mapping[str, int],
    values: Values,
    rng: random.Random,
    variation: float,
    emoji_kind: str | None = None,
) -> str:
    """One text of ``kind`` with exactly the optional sentences ``indicators`` switch on."""
    wanted = {INDICATOR_SLOTS[name] for name in indicators if name in INDICATOR_SLOTS}
    keys: list[str] = []
    for slot in SLOTS[kind]:
        if "|" in slot:
            plain, flagged = slot.split("|")
            keys.append(flagged if slot in wanted else plain)
        elif slot not in _OPTIONAL or slot in wanted:
            keys.append(slot)
    return compose(
        keys,
        lex=lex,
        picks=picks,
        values=values,
        rng=rng,
        variation=variation,
        emoji_kind=emoji_kind or kind,
    )


def compose(
    keys: Sequence[str],
    *,
    lex: Lexicon,
    picks: Mapping[str, int],
    values: Values,
    rng: random.Random,
    variation: float,
    emoji_kind: str = "message",
) -> str:
    """Sentences from the banks ``keys`` name, in that order, varied per ``variation``."""
    order = list(keys)
    draw = rng.random
    if len(order) > 3 and draw() < 0.6 * variation:
        at = rng.randrange(1, len(order) - 2)  # keep the opening and the contact line in place
        order[at], order[at + 1] = order[at + 1], order[at]
    parts: list[str] = []
    banks = lex.banks
    reword = 0.5 * variation
    slip = 0.12 * variation
    for key in order:
        bank = banks[key]
        if draw() < reword:
            phrase = bank[int(draw() * len(bank))]
        else:
            phrase = bank[picks[key] % len(bank)]
        if draw() < slip:
            phrase = typo(phrase, rng)
        parts.append(phrase)
    if "emoji" not in values:
        values["emoji"] = rng.choice(YOUTH_EMOJI)
    text = " ".join(parts).format_map(values)
    if rng.random() < 0.15 + 0.35 * variation:
        symbols = EMOJI.get(emoji_kind, EMOJI["message"])
        text += " " + "".join(rng.choice(symbols) for _ in range(rng.randint(1, 3)))
    return text


def typo(phrase: str, rng: random.Random) -> str:
    """One slip of the finger in a word that is not a placeholder."""
    words = phrase.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 4 and "{" not in word]
    if not candidates:
        return phrase
    at = rng.choice(candidates)
    word = words[at]
    pos = rng.randrange(1, len(word) - 1)
    operation = rng.randrange(3)
    if operation == 0:
        word = word[: pos - 1] + word[pos] + word[pos - 1] + word[pos + 1 :]  # swap
    elif operation == 1:
        word = word[:pos] + word[pos + 1 :]  # drop
    else:
        word = word[:pos] + word[pos] + word[pos:]  # double
    words[at] = word
    return " ".join(words)
