"""Privacy-preserving person matching between nodes (PPRL): the public face of
:mod:`~tipnet.federation.pprl_encode` and :mod:`~tipnet.federation.pprl_match`.

A node encodes its persons (names, date of birth, sex, nationality, optionally an address)
into Bloom filters under the federation secret and shares only the filters; a peer holding
the same secret encodes its own persons and compares filters by Dice similarity. Neither
learns the other's plaintext, and without the secret a filter cannot be rebuilt from a
guessed person. Typical use::

    secret = new_secret()  # once per federation, distributed out of band
    mine = encode(my_persons, secret)
    theirs = Encodings.from_bytes(payload)
    links = match(mine, theirs, threshold=THRESHOLD)

What the filters still reveal, and why: two filters of similar persons are similar (that is
the point), and an adversary holding many filters and the frequency of names in a population
can attempt a frequency attack without the secret; filters are personal data, and are shared
only with federation members, never published.
"""

from __future__ import annotations

import secrets

from tipnet.federation.pprl_encode import (
    DEFAULT,
    SECRET_BYTES,
    Encodings,
    FieldSpec,
    Schema,
    encode,
    normalise,
    scheme_of,
)
from tipnet.federation.pprl_match import Match, candidates, dice, match, pairs_above

# Dice threshold tuned on FEBRL4 with DEFAULT (benchmarks/pprl.py): linking two files one to
# one, and answering a peer's query, both use it.
THRESHOLD = 0.6

__all__ = [
    "DEFAULT",
    "SECRET_BYTES",
    "THRESHOLD",
    "Encodings",
    "FieldSpec",
    "Match",
    "Schema",
    "candidates",
    "dice",
    "encode",
    "match",
    "new_secret",
    "normalise",
    "pairs_above",
    "scheme_of",
]


def new_secret() -> bytes:
    """A fresh 32-byte federation secret from the operating system's random source."""
    return secrets.token_bytes(SECRET_BYTES)
