"""Bloom-filter encodings (CLKs) of persons under a federation secret.

Each field of a person is cut into tokens (padded q-grams of a name, the parts and digits of a
date of birth, whole codes), and each token sets a few bits of one fixed-length filter per
person (a cryptographic long-term key, Schnell, Bachteler and Reiher 2011). The bit positions
come from HMAC-SHA256 under a key derived from the 32-byte federation secret and the field's
name, so without the secret nobody can rebuild the filter of a guessed person, and the same
token sets unrelated bits in different fields. Similar people share most tokens, hence most
bits, and Dice similarity of two filters tracks the similarity of the plaintext
(:mod:`tipnet.federation.pprl_match`).

Positions are drawn independently from the HMAC output ("random hashing"), not by double
hashing, whose linear pattern of positions is what published attacks on CLKs exploit.
Hardening by XOR-folding (1,024 bits folded to 512) was measured on FEBRL4 and lost a little
accuracy against plain 512-bit filters (best threshold-only F1 0.9971-0.9976 against
0.9975-0.9978); balancing doubles the filter and so the matching cost; neither is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import struct
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from tipnet.countries import validate_alpha3
from tipnet.errors import InvalidInput

SECRET_BYTES = 32
TokenKind = Literal["name", "text", "date", "digits", "code", "sex", "country"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a person: how it is cut into tokens and how many bits each token sets.

    ``bits_per_token`` is the field's weight: a field whose tokens set more bits counts for more
    of the Dice similarity. ``q`` is the q-gram size of ``name`` and ``text`` fields. Fields of
    one ``key_group`` hash their tokens under one key, so a value recorded in the wrong field
    of the group (given and family name swapped) still sets the same bits.
    """

    name: str
    kind: TokenKind
    bits_per_token: int
    q: int = 2
    key_group: str | None = None


@dataclass(frozen=True)
class Schema:
    """Which fields are encoded, how, and into how many bits. Both sides of a match must use
    the same schema and secret; :attr:`Encodings.scheme` lets them check that they do."""

    fields: tuple[FieldSpec, ...]
    length: int = 512
    version: str = "tipnet-pprl-1"
    by_name: Mapping[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.length <= 0 or self.length % 64:
            raise InvalidInput(
                f"schema length must be a positive multiple of 64, not {self.length}"
            )
        names = [spec.name for spec in self.fields]
        if len(set(names)) != len(names):
            raise InvalidInput(f"schema fields must have distinct names, got {names}")
        for spec in self.fields:
            if not 1 <= spec.bits_per_token <= 64 or not 1 <= spec.q <= 3:
                raise InvalidInput(f"field {spec.name!r}: bits_per_token 1..64 and q 1..3")
        groups = {(s.key_group, s.kind, s.q) for s in self.fields if s.key_group}
        if len(groups) != len({group for group, _, _ in groups}):
            raise InvalidInput("the fields of one key_group must have the same kind and q")
        object.__setattr__(self, "by_name", {spec.name: spec for spec in self.fields})

    def describe(self) -> str:
        """A canonical text of the schema, bound into the keys and the scheme fingerprint."""
        parts = [f"{s.name}:{s.kind}:{s.bits_per_token}:{s.q}:{s.key_group}" for s in self.fields]
        return f"{self.version}|{self.length}|" + ",".join(parts)


# Tuned on FEBRL4 (benchmarks/pprl.py). 512 bits link as well as 1,024 there (and as clkhash's
# 1,024) at half the matching cost; about a third of the bits end up set. Names and the date
# of birth weigh most; the address fields tell apart people who share a name, and are simply
# absent for most persons. Sex and nationality (absent from FEBRL) were not tuned: one token
# each, weighted like a name bigram.
DEFAULT = Schema(
    fields=(
        FieldSpec("given_name", "name", 4, key_group="name"),
        FieldSpec("family_name", "name", 4, key_group="name"),
        FieldSpec("date_of_birth", "date", 4),
        FieldSpec("sex", "sex", 4),
        FieldSpec("nationality", "country", 4),
        FieldSpec("street_number", "digits", 3),
        FieldSpec("address_1", "text", 2),
        FieldSpec("address_2", "text", 2),
        FieldSpec("suburb", "text", 2),
        FieldSpec("postcode", "digits", 3),
        FieldSpec("state", "text", 2),
    ),
    length=512,
)


@dataclass(frozen=True)
class Encodings:
    """Packed Bloom filters, one row of ``length / 8`` bytes per person (bit order big-endian,
    as ``numpy.packbits`` writes it), with the keyed fingerprint of the schema and secret that
    made them (``scheme``), so filters made under different secrets are never compared."""

    bits: NDArray[np.uint8]
    length: int
    scheme: bytes

    def __post_init__(self) -> None:
        if self.bits.dtype != np.uint8 or self.bits.ndim != 2:
            raise InvalidInput("encodings must be a 2-D uint8 array of packed filters")
        if self.bits.shape[1] * 8 != self.length:
            raise InvalidInput(
                f"encodings of {self.length} bits need {self.length // 8} bytes per row, "
                f"got {self.bits.shape[1]}"
            )

    def __len__(self) -> int:
        return int(self.bits.shape[0])

    def subset(self, indices: Sequence[int] | NDArray[np.intp]) -> Encodings:
        return Encodings(
            np.ascontiguousarray(self.bits[np.asarray(indices)]), self.length, self.scheme
        )

    def to_bytes(self) -> bytes:
        """Wire form: magic, scheme fingerprint, bit length, count, then the packed rows."""
        header = _MAGIC + self.scheme + struct.pack(">II", self.length, len(self))
        return header + self.bits.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Encodings:
        head = len(_MAGIC) + _SCHEME_BYTES + 8
        if len(data) < head or not data.startswith(_MAGIC):
            raise InvalidInput("not a tipnet encodings blob (bad magic or too short)")
        scheme = data[len(_MAGIC) : len(_MAGIC) + _SCHEME_BYTES]
        length, count = struct.unpack(">II", data[head - 8 : head])
        if length <= 0 or length % 64 or len(data) != head + count * length // 8:
            raise InvalidInput("encodings blob is truncated or its length field is wrong")
        rows = np.frombuffer(data, dtype=np.uint8, offset=head).reshape(count, length // 8)
        return cls(rows.copy(), length, scheme)

    def to_base64(self) -> list[str]:
        """One base64 string per person, as clkhash serialises its CLKs."""
        return [base64.b64encode(row.tobytes()).decode("ascii") for row in self.bits]

    @classmethod
    def from_base64(cls, rows: Sequence[str], *, length: int, scheme: bytes) -> Encodings:
        try:
            raw = [base64.b64decode(row, validate=True) for row in rows]
        except (ValueError, TypeError) as error:
            raise InvalidInput(f"an encoding is not valid base64: {error}") from None
        if any(len(row) * 8 != length for row in raw):
            raise InvalidInput(f"every encoding must be {length // 8} bytes ({length} bits)")
        packed = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), length // 8)
        return cls(packed.copy(), length, scheme)


_MAGIC = b"TPF1"
_RECORDS_PER_BLOCK = 16_384  # bounds the dense value tables to 16 MiB per field
_SCHEME_BYTES = 16


def encode(
    records: Iterable[Mapping[str, str | None]], secret: bytes, schema: Schema = DEFAULT
) -> Encodings:
    """Encode persons (field name to string, or None when unknown) into Bloom filters.

    Every key must be a field of the schema and every value a string or None; a record with no
    usable field is refused, since an empty filter can match nothing. Each distinct value of a
    field is tokenised and hashed once per call, and a person's filter is the OR of the
    filters of its values (names, places and dates repeat a lot across records).
    """
    hasher = _Hasher(secret, schema)  # lives for this call only: no plaintext is kept after it
    iterator = iter(records)
    blocks: list[NDArray[np.uint8]] = []
    while block := list(itertools.islice(iterator, _RECORDS_PER_BLOCK)):
        blocks.append(hasher.encode_block(block, first_index=len(blocks) * _RECORDS_PER_BLOCK))
    bits = np.concatenate(blocks) if blocks else np.zeros((0, schema.length // 8), np.uint8)
    return Encodings(bits, schema.length, scheme_of(secret, schema))


def scheme_of(secret: bytes, schema: Schema = DEFAULT) -> bytes:
    """Keyed fingerprint of schema and secret: equal for two nodes exactly when their
    encodings are comparable, and useless for recovering the secret."""
    _check_secret(secret)
    message = b"tipnet-pprl/scheme/" + schema.describe().encode()
    return hmac.digest(secret, message, "sha256")[:_SCHEME_BYTES]


def normalise(value: str) -> str:
    """Case-folded, accents stripped, Cyrillic and Greek transliterated (ICAO Doc 9303),
    punctuation turned into spaces, runs of spaces collapsed."""
    folded = value.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        folded = folded.translate(_TRANSLITERATION)
    return " ".join(_NOT_ALNUM.sub(" ", folded).split())


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        got = f"{len(secret)} bytes" if isinstance(secret, bytes) else type(secret).__name__
        raise InvalidInput(f"the federation secret must be {SECRET_BYTES} random bytes, got {got}")


class _Hasher:
    """Filters of field values under one secret; each token is hashed once per call."""

    def __init__(self, secret: bytes, schema: Schema) -> None:
        _check_secret(secret)
        base = b"tipnet-pprl/field/" + schema.describe().encode() + b"/"
        self.schema = schema
        self.keys = {
            spec.name: hmac.digest(secret, base + (spec.key_group or spec.name).encode(), "sha256")
            for spec in schema.fields
        }
        self.of_token: dict[tuple[bytes, int, int], tuple[int, ...]] = {}

    def encode_block(
        self, records: list[Mapping[str, str | None]], first_index: int
    ) -> NDArray[np.uint8]:
        """Packed filters of a block of records: the OR, field by field, of value filters."""
        _check_records(records, self.schema, first_index)
        packed = np.zeros((len(records), self.schema.length // 8), dtype=np.uint8)
        for spec in self.schema.fields:
            values, codes = _distinct(records, spec.name, first_index)
            if values:
                rows = np.flatnonzero(codes >= 0)
                packed[rows] |= self._value_filters(values, spec)[codes[rows]]
        empty = np.flatnonzero(~packed.any(axis=1))
        if len(empty):
            raise InvalidInput(f"record {first_index + empty[0]} has no non-blank field to encode")
        return packed

    def _value_filters(self, values: list[str], spec: FieldSpec) -> NDArray[np.uint8]:
        """One packed filter per distinct value: each of its tokens sets ``bits_per_token``
        bits (setting a bit twice changes nothing, so repeated tokens need no removal)."""
        rows, token_ids = token_ids_of(values, spec)
        distinct, inverse = np.unique(token_ids, return_inverse=True)
        table = np.array(
            [self._positions(spec, token) for token in distinct.tolist()], dtype=np.intp
        ).reshape(len(distinct), spec.bits_per_token)
        dense = np.zeros((len(values), self.schema.length), dtype=np.uint8)
        dense[np.repeat(rows, spec.bits_per_token), table[inverse].ravel()] = 1
        return np.packbits(dense, axis=1)

    def _positions(self, spec: FieldSpec, token: int) -> tuple[int, ...]:
        """``bits_per_token`` positions from HMAC-SHA256 of the token id, 32 bits each (the
        bias of the modulo is below 2^-22 for lengths up to 1024)."""
        key = self.keys[spec.name]
        cached = self.of_token.get((key, spec.bits_per_token, token))
        if cached is None:
            message = token.to_bytes(8, "big")
            blocks = range(-(-spec.bits_per_token // 8))
            digest = b"".join(hmac.digest(key, bytes([i]) + message, "sha256") for i in blocks)
            words = struct.unpack(f">{len(digest) // 4}I", digest)[: spec.bits_per_token]
            cached = tuple(word % self.schema.length for word in words)
            self.of_token[(key, spec.bits_per_token, token)] = cached
        return cached


def _check_records(
    records: list[Mapping[str, str | None]], schema: Schema, first_index: int
) -> None:
    known = schema.by_name.keys()
    for row, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise InvalidInput(f"record {first_index + row} must be a mapping of field to string")
        if not record.keys() <= known:
            unknown = sorted(map(str, record.keys() - known))
            raise InvalidInput(
                f"record {first_index + row}: unknown field(s) {', '.join(unknown)} "
                f"(known: {', '.join(known)})"
            )


def _distinct(
    records: list[Mapping[str, str | None]], name: str, first_index: int
) -> tuple[list[str], NDArray[np.intp]]:
    """The field's distinct values, and for each record the number of its value (-1 when the
    record lacks the field)."""
    number_of: dict[object, int] = {None: -1}
    try:
        codes = [number_of.setdefault(record.get(name), len(number_of) - 1) for record in records]
    except TypeError:  # an unhashable value: not a string
        codes = []
    values = [value for value in number_of if isinstance(value, str)]
    if len(codes) != len(records) or len(values) != len(number_of) - 1:
        row, value = next(
            (row, record.get(name))
            for row, record in enumerate(records)
            if not isinstance(record.get(name), str | None)
        )
        raise InvalidInput(
            f"record {first_index + row}: field {name!r} must be a string or None, "
            f"not {type(value).__name__}"
        )
    return values, np.array(codes, dtype=np.intp)


def token_ids_of(
    values: Sequence[str], spec: FieldSpec
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """The tokens of each value as 64-bit ids, as (index of the value, token id) pairs.

    Q-grams are their code points packed 21 bits each (so q is at most 3); the other kinds tag
    each kind of token in the top byte. Blank values have no tokens.
    """
    if spec.kind in ("name", "text"):
        texts = [normalise(value) for value in values]
        if spec.kind == "name":
            texts = [text.replace(" ", "") for text in texts]
        return _qgram_ids(texts, spec.q)
    if spec.kind == "date":
        return _date_ids([_date_digits(value, spec.name) for value in values])
    rows: list[int] = []
    ids: list[int] = []
    for row, value in enumerate(values):
        found = _other_ids(value, spec)
        rows.extend([row] * len(found))
        ids.extend(found)
    return np.array(rows, dtype=np.intp), np.array(ids, dtype=np.int64)


def _qgram_ids(texts: list[str], q: int) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """All q-grams of the texts padded with ``_`` (never in normalised text), so the first
    and last letters, where typos are rarer, weigh a little more."""
    pad = "_" * (q - 1)
    padded = [pad + text + pad if text else "" for text in texts]
    lengths = np.fromiter(map(len, padded), dtype=np.intp, count=len(padded))
    text = "".join(padded).encode("utf-32-le", errors="surrogatepass")
    points = np.frombuffer(text, dtype="<u4").astype(np.int64)
    owner = np.repeat(np.arange(len(padded), dtype=np.intp), lengths)
    starts = np.arange(max(0, len(points) - q + 1))
    ids = points[starts]
    for offset in range(1, q):
        ids = (ids << 21) | points[starts + offset]
    inside = owner[starts] == owner[starts + q - 1]  # the q-gram does not span two texts
    return owner[starts][inside], ids[inside]


def _other_ids(value: str, spec: FieldSpec) -> list[int]:
    text = normalise(value)
    if not text:
        return []
    if spec.kind == "digits":
        compact = text.replace(" ", "")
        places = [_tagged(_PLACE, i << 21 | ord(ch)) for i, ch in enumerate(compact)]
        return [_whole(compact)] + places
    if spec.kind == "sex":
        return [_whole(_sex_code(text, spec.name))]
    if spec.kind == "country":
        try:
            return [_whole(validate_alpha3(value))]
        except ValueError as error:
            raise InvalidInput(f"{spec.name}: {error}") from None
    return [_whole(text)]


def _date_digits(value: str, name: str) -> str:
    """YYYY, YYYYMM or YYYYMMDD from a date in ISO form, with or without separators."""
    if not value.strip():
        return ""
    match = _DATE.fullmatch(value.strip())
    if match is None:
        raise InvalidInput(
            f"{name}: {value!r} is not a date; use YYYY-MM-DD, YYYYMMDD, YYYY-MM or YYYY"
        )
    return "".join(part for part in match.groups() if part)


def _date_ids(dates: list[str]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Year, month and day as separate tokens, the unordered (day, month) pair so that a
    swapped day and month still agree, and each digit at its place for single-digit typos.

    Dates are not checked against the calendar: a recorded date with a typo (month 13) still
    tells which person it was.
    """
    rows: list[NDArray[np.intp]] = []
    ids: list[NDArray[np.int64]] = []
    for size in (4, 6, 8):
        chosen = np.array([row for row, date in enumerate(dates) if len(date) == size], np.intp)
        if not len(chosen):
            continue
        text = "".join(dates[row] for row in chosen).encode()
        digits = np.frombuffer(text, np.uint8).reshape(len(chosen), size).astype(np.int64) - 48
        year = digits[:, :4] @ np.array([1000, 100, 10, 1])
        parts = [_tagged(_PLACE, np.arange(size) << 21 | digits), _tagged(_YEAR, year)]
        if size >= 6:
            month = digits[:, 4:6] @ np.array([10, 1])
            parts.append(_tagged(_MONTH, month))
        if size == 8:
            day = digits[:, 6:8] @ np.array([10, 1])
            pair = np.minimum(day, month) * 100 + np.maximum(day, month)
            parts += [_tagged(_DAY, day), _tagged(_DAY_MONTH, pair)]
        columns = np.column_stack([part.reshape(len(chosen), -1) for part in parts])
        rows.append(np.repeat(chosen, columns.shape[1]))
        ids.append(columns.ravel())
    if not rows:
        return np.empty(0, np.intp), np.empty(0, np.int64)
    return np.concatenate(rows), np.concatenate(ids)


def _sex_code(text: str, name: str) -> str:
    code = _SEX_CODES.get(text)
    if code is None:
        raise InvalidInput(f"{name}: {text!r} is not a sex; use f, m or x (or female, male)")
    return code


def _tagged(tag: int, value: _Id) -> _Id:
    return tag << 56 | value


def _whole(text: str) -> int:
    """A whole value as one token id (56 bits of a hash: collisions are negligible, and the
    id is only ever hashed again under the secret)."""
    digest = hashlib.blake2b(text.encode(), digest_size=7).digest()
    return _tagged(_WHOLE, int.from_bytes(digest, "big"))


_Id = TypeVar("_Id", int, NDArray[np.int64])
_PLACE, _YEAR, _MONTH, _DAY, _DAY_MONTH, _WHOLE = 1, 2, 3, 4, 5, 6
_NOT_ALNUM = re.compile(r"[\W_]+")
_DATE = re.compile(r"([0-9]{4})(?:[-./]?([0-9]{2})(?:[-./]?([0-9]{2}))?)?")
_SEX_CODES = {
    "f": "f", "female": "f", "w": "f", "woman": "f", "girl": "f",
    "m": "m", "male": "m", "man": "m", "boy": "m",
    "x": "x", "other": "x", "transgender nonconforming": "x", "diverse": "x",
}  # fmt: skip
# ICAO Doc 9303 transliteration of Cyrillic and Greek, plus Latin letters NFKD keeps whole.
_TRANSLITERATION = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie",
        "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
        "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
        "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
        "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
        "ω": "o",
        "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
    }
)  # fmt: skip
