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
    links = match(mine, theirs, LINK_THRESHOLD)  # one to one, two whole files
    hits = candidates(query, mine, QUERY_THRESHOLD)  # "do you hold this person?"

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

# Dice thresholds tuned on FEBRL4 with DEFAULT (benchmarks/pprl.py). Linking two whole files
# one to one can go lower, since the greedy solver gives each record only its best partner:
# F1 0.9993 to 0.9997 over three secrets at 0.6, where records without a partner in the other
# file are still left alone (precision >= 0.998 with 250 of them on each side; at 0.55 they
# pair up among themselves). A query answered on its own has no such check and needs a higher
# one: 0.67 gives the best F1 when every pair above the threshold counts as a link (0.997).
LINK_THRESHOLD = 0.6
QUERY_THRESHOLD = 0.67

__all__ = [
    "DEFAULT",
    "SECRET_BYTES",
    "LINK_THRESHOLD",
    "QUERY_THRESHOLD",
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
