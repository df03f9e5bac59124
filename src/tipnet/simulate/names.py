"""Made-up handles, company names, e-mail addresses and web sites (``.example``/``.test``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol, TypeVar

T = TypeVar("T")


class Rng(Protocol):
    """What these functions draw from: ``random.Random`` or :class:`seeds.Draws`."""

    def random(self) -> float: ...

    def randrange(self, start: int, stop: int | None = None) -> int: ...

    def choice(self, options: Sequence[T]) -> T: ...


WORDS = (
    "star", "sun", "angel", "real", "vip", "life", "world", "love", "sweet", "happy", "blue",
    "gold", "moon", "rose", "dream", "city", "official", "daily", "pro", "music",
)  # fmt: skip
COMPANY_HEAD = (
    "Nord", "Sun", "Blue", "Euro", "Global", "Atlas", "Prime", "Golden", "Star", "Ocean",
    "Silver", "Green", "Royal", "Bright", "Pacific", "Atlantic", "Nova", "Crown", "Unity", "Alpha",
)  # fmt: skip
COMPANY_TAIL = (
    "haven",
    "field",
    "bridge",
    "way",
    "line",
    "point",
    "gate",
    "stone",
    "wood",
    "crest",
)
COMPANY_KIND = (
    "Staffing", "Recruitment", "Services", "Jobs", "Careers", "Talent", "Agency", "Group",
    "Models", "Partners", "Manpower", "Placement",
)  # fmt: skip
MAIL_HOSTS = ("mail.example", "post.example", "inbox.test", "webmail.example", "fastmail.test")
PLATFORMS = {
    "ad": ("adsboard", "nightlist", "relaxads"),
    "job": ("jobhub", "workabroad", "classifieds"),
    "social": ("photogram", "chatbook", "friendr"),
}


@lru_cache(maxsize=4096)
def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in "._"))


def handle(rng: Rng, name: str) -> str:
    """A social-media style handle, lowercase ASCII, with the number that popular names need to
    be free: ``luna_star93``, ``real.vera2041``. Collisions between unrelated posters are rare,
    as they are online (a shared handle would link strangers)."""
    base = ascii_fold(name).lower() or "user"
    pattern = rng.randrange(4)
    word = rng.choice(WORDS)
    number = rng.randrange(10, 100_000)
    if pattern == 0:
        return f"{base}_{word}{number}"
    if pattern == 1:
        return f"{word}.{base}{number}"
    if pattern == 2:
        return f"{base}{word}{number}"
    return f"{base}.{rng.choice(WORDS)}_{word}{number}"


def hashed_handle(value: int, name: str) -> str:
    """A handle from a 64-bit hash, without a random generator (for the many one-off
    recipients of messages)."""
    base = ascii_fold(name).lower() or "user"
    word = WORDS[value % len(WORDS)]
    value //= len(WORDS)
    shape = value % 3
    number = 10 + (value // 3) % 99_990
    if shape == 0:
        return f"{base}_{word}{number}"
    if shape == 1:
        return f"{word}.{base}{number}"
    return f"{base}{word}{number}"


def company(rng: Rng) -> str:
    head = rng.choice(COMPANY_HEAD)
    name = head + rng.choice(COMPANY_TAIL) if rng.random() < 0.5 else head
    return f"{name} {rng.choice(COMPANY_KIND)}"


@lru_cache(maxsize=4096)
def slug(name: str) -> str:
    return "-".join(ascii_fold(part).lower() for part in name.split() if ascii_fold(part))


def email(rng: Rng, local: str) -> str:
    return f"{local}@{rng.choice(MAIL_HOSTS)}"


def website(company_name: str) -> str:
    return f"https://www.{slug(company_name)}.example"
