"""Deterministic sub-seeds: the same (seed, label, numbers) always gives the same stream, whatever
order or process the work is done in."""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

import numpy as np

_MASK = (1 << 64) - 1
T = TypeVar("T")


def mix(*values: int) -> int:
    """A 64-bit hash of integers (SplitMix64 finaliser, chained)."""
    h = 0x9E3779B97F4A7C15
    for value in values:
        h = ((h ^ (value & _MASK)) * 0xBF58476D1CE4E5B9) & _MASK
        h ^= h >> 31
        h = (h * 0x94D049BB133111EB) & _MASK
        h ^= h >> 29
    return h


def label(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def derive(seed: int, name: str, *numbers: int) -> int:
    return mix(seed, label(name), *numbers)


def py_rng(seed: int, name: str, *numbers: int) -> random.Random:
    return random.Random(derive(seed, name, *numbers))


def np_rng(seed: int, name: str, *numbers: int) -> np.random.Generator:
    return np.random.default_rng(derive(seed, name, *numbers))


class Draws:
    """A cheap random stream from one 64-bit seed (SplitMix64), for the many small things
    derived per actor or per number, where seeding a ``random.Random`` (a few microseconds)
    would cost more than the draws. Offers the few ``random.Random`` methods used here."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK

    def bits(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self.bits() >> 11) * (1.0 / 9007199254740992.0)

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + self.bits() % (stop - start)

    def randint(self, low: int, high: int) -> int:
        return self.randrange(low, high + 1)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.bits() % len(options)]


def draws(seed: int, name: str) -> Draws:
    """A stream for one purpose of an already well-mixed ``seed`` (no further mixing)."""
    return Draws(seed ^ _labels(name))


@lru_cache(maxsize=256)
def _labels(name: str) -> int:
    return mix(label(name))
