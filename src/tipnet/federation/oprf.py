"""Private hit/no-hit for exact selectors: the OPRF of RFC 9497, mode OPRF, ristretto255-SHA512.

Who does what (the RFC's roles in brackets):

- the **owner** [server] holds a :class:`ServerKey`, publishes ``owner_tokens(key, selectors)``
  as a :class:`TokenSet` that peers sync by version, and answers ``evaluate_batch(key, blinded)``;
- a **querier** [client] calls :func:`blind_batch`, sends only the blinded elements, passes the
  reply to :func:`finalize_batch` (or :func:`find_hits`) and checks membership locally.

The owner sees uniformly random group elements, so it learns how many selectors were asked and
nothing else. The querier can compute tokens only through the owner, one online evaluation per
selector, so it learns its own hits and nothing about the rest of the set; the federation layer
rate-limits and audits those evaluations. Selectors are bytes: callers normalise them and put
their kind in front (``b"phone:+447700900123"``) so equal text of another kind never matches.

The batch functions take ``workers`` (default: every core this process may use) and keep
batches of a few hundred selectors in the calling process. Worker processes start once, from a
forkserver (about a second), and stay for the next batch; like any multiprocessing code, a
script that uses them needs the ``if __name__ == "__main__":`` guard.

Published tokens are the first 16 bytes of the 64-byte RFC output. A false hit needs two
different selectors with equal tokens: among 10 million tokens the chance that any two collide
is about n^2 / 2^129 = 1.5e-25, and a 10,000-selector query falsely hits 10 million tokens with
probability q * n / 2^128 = 3e-28. 8 bytes would give 3e-6 and 5e-9 a query (a node asking
millions of queries would meet one), too close for a tool that starts investigations; 16 bytes
keep a million-token set at 16 MB.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, TypeVar

import numpy as np

from tipnet.errors import InvalidInput, Unavailable
from tipnet.federation import ristretto

MODE_OPRF = 0x00
SUITE_IDENTIFIER = b"ristretto255-SHA512"
CONTEXT_STRING = b"OPRFV1-" + bytes([MODE_OPRF]) + b"-" + SUITE_IDENTIFIER
OUTPUT_BYTES = 64
TOKEN_BYTES = 16
SEED_BYTES = 32
MAX_INPUT_BYTES = 2**16 - 1
MIN_CHUNK = 128  # selectors per worker task below which a process round trip is not worth it

_T = TypeVar("_T")
_TokenArray = np.ndarray[Any, np.dtype[np.bytes_]]


@dataclass(frozen=True, repr=False)
class ServerKey:
    """The owner's OPRF secret scalar (skS). Never logged: ``repr`` shows the public element."""

    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or not ristretto.is_canonical_scalar(self.secret):
            raise InvalidInput("an OPRF key is a 32-byte little-endian scalar in [1, group order)")

    @property
    def public(self) -> bytes:
        """pkS = skS * G (RFC 9497 publishes it only in the verifiable modes)."""
        return ristretto.scalar_mult_base(self.secret)

    def __repr__(self) -> str:
        return f"ServerKey(public={self.public.hex()})"


@dataclass(frozen=True, repr=False)
class BlindState:
    """What a querier keeps between :func:`blind_batch` and :func:`finalize_batch`: never sent."""

    selectors: tuple[bytes, ...]
    blinds: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if len(self.selectors) != len(self.blinds):
            raise InvalidInput(f"{len(self.selectors)} selectors with {len(self.blinds)} blinds")

    def __repr__(self) -> str:
        return f"BlindState({len(self.selectors)} selectors)"


# --- RFC 9497 functions, one input at a time -------------------------------------------------


def expand_message_xmd(message: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512."""
    if not 0 < length <= 255 * 64 or len(dst) > 255:
        raise InvalidInput("expand_message_xmd: length must be 1..16320 and the DST <= 255 bytes")
    dst_prime = dst + bytes([len(dst)])
    b0 = hashlib.sha512(bytes(128) + message + length.to_bytes(2, "big") + b"\0" + dst_prime)
    b0_digest = b0.digest()
    blocks = [hashlib.sha512(b0_digest + b"\x01" + dst_prime).digest()]
    for index in range(2, math.ceil(length / 64) + 1):
        mixed = bytes(x ^ y for x, y in zip(b0_digest, blocks[-1], strict=True))
        blocks.append(hashlib.sha512(mixed + bytes([index]) + dst_prime).digest())
    return b"".join(blocks)[:length]


def hash_to_group(message: bytes) -> bytes:
    """HashToGroup: hash_to_ristretto255 with DST "HashToGroup-" || contextString."""
    return ristretto.element_from_hash(_HASH_TO_GROUP(_checked_input(message)))


def hash_to_scalar(message: bytes, dst: bytes = b"HashToScalar-" + CONTEXT_STRING) -> bytes:
    """HashToScalar: 64 bytes of expand_message_xmd read little-endian, reduced mod the order."""
    return ristretto.scalar_reduce(expand_message_xmd(message, dst, 64))


def derive_server_key(seed: bytes, info: bytes) -> ServerKey:
    """DeriveKeyPair(seed, info): the same seed and info always give the same key."""
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise InvalidInput(f"the key seed must be {SEED_BYTES} random bytes")
    derive_input = seed + len(_checked_input(info, "key info")).to_bytes(2, "big") + info
    for counter in range(256):
        secret = hash_to_scalar(derive_input + bytes([counter]), b"DeriveKeyPair" + CONTEXT_STRING)
        if secret != bytes(ristretto.SCALAR_BYTES):
            return ServerKey(secret)
    raise InvalidInput("DeriveKeyPair found no non-zero scalar: use another seed")


def generate_server_key(info: bytes = b"tipnet federation OPRF") -> ServerKey:
    """A fresh random key (DeriveKeyPair from an OS-random seed)."""
    return derive_server_key(os.urandom(SEED_BYTES), info)


def blind(selector: bytes, blind: bytes | None = None) -> tuple[bytes, bytes]:
    """Blind(input) -> (blind, blindedElement). ``blind`` is fixed only by tests."""
    chosen = ristretto.random_scalars(1)[0] if blind is None else _checked_blind(blind)
    return chosen, ristretto.scalar_mult(chosen, hash_to_group(selector))


def blind_evaluate(key: ServerKey, blinded_element: bytes) -> bytes:
    """BlindEvaluate(skS, blindedElement) -> evaluatedElement; rejects invalid points."""
    return ristretto.scalar_mult(key.secret, ristretto.check_element(blinded_element, "blinded"))


def finalize(selector: bytes, blind: bytes, evaluated_element: bytes) -> bytes:
    """Finalize(input, blind, evaluatedElement) -> the 64-byte PRF output."""
    element = ristretto.check_element(evaluated_element, "evaluated element")
    unblinded = ristretto.scalar_mult(ristretto.scalar_invert(_checked_blind(blind)), element)
    return _finalize_hash(_checked_input(selector), unblinded)


def evaluate(key: ServerKey, selector: bytes) -> bytes:
    """Evaluate(skS, input): the owner's direct PRF output, equal to the blinded round's."""
    return _finalize_hash(selector, ristretto.scalar_mult(key.secret, hash_to_group(selector)))


def to_token(output: bytes) -> bytes:
    """The published form of a PRF output: its first TOKEN_BYTES bytes."""
    if len(output) != OUTPUT_BYTES:
        raise InvalidInput(f"a PRF output is {OUTPUT_BYTES} bytes, got {len(output)}")
    return output[:TOKEN_BYTES]


# --- batches, spread over worker processes ---------------------------------------------------


def owner_tokens(
    key: ServerKey, selectors: Sequence[bytes], *, workers: int | None = None
) -> list[bytes]:
    """Tokens of the owner's shareable selectors: ``to_token(evaluate(key, s))`` for each."""
    _check_inputs(selectors)
    return _spread(_owner_chunk, (key.secret,), (selectors,), workers)


def blind_batch(
    selectors: Sequence[bytes], *, workers: int | None = None
) -> tuple[BlindState, list[bytes]]:
    """Blind every selector with its own fresh blind; send the list, keep the state."""
    _check_inputs(selectors)
    pairs = _spread(_blind_chunk, (), (selectors,), workers)
    blinds = tuple(pair[: ristretto.SCALAR_BYTES] for pair in pairs)
    blinded = [pair[ristretto.SCALAR_BYTES :] for pair in pairs]
    return BlindState(tuple(selectors), blinds), blinded


def evaluate_batch(
    key: ServerKey, blinded: Sequence[bytes], *, workers: int | None = None
) -> list[bytes]:
    """The owner's answer to a query: BlindEvaluate of each element, in order."""
    return _spread(_evaluate_chunk, (key.secret,), (blinded,), workers)


def finalize_batch(
    state: BlindState, evaluated: Sequence[bytes], *, workers: int | None = None
) -> list[bytes]:
    """Finalize each selector of ``state`` with the owner's answer: 64-byte PRF outputs."""
    if len(evaluated) != len(state.selectors):
        raise InvalidInput(f"{len(evaluated)} evaluated elements for {len(state.selectors)} asked")
    columns = (state.selectors, state.blinds, evaluated)
    return _spread(_finalize_chunk, (), columns, workers)


def find_hits(
    state: BlindState,
    evaluated: Sequence[bytes],
    token_set: TokenSet,
    *,
    workers: int | None = None,
) -> list[bytes]:
    """The selectors of ``state`` whose tokens are in the owner's published set."""
    outputs = finalize_batch(state, evaluated, workers=workers)
    found = token_set.contains_many([output[:TOKEN_BYTES] for output in outputs])
    return [selector for selector, hit in zip(state.selectors, found, strict=True) if hit]


def close_worker_pools() -> None:
    """Stop the worker processes (they are otherwise kept for the next batch)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()


# --- the published token set -----------------------------------------------------------------


@dataclass(frozen=True)
class TokenChange:
    """One version of a token set: tokens that joined and left, each a sorted blob of tokens."""

    version: int
    added: bytes = b""
    removed: bytes = b""


@dataclass(frozen=True)
class TokenDelta:
    """What a peer at ``base_version`` applies to reach ``version``."""

    base_version: int
    changes: tuple[TokenChange, ...] = field(default_factory=tuple)

    @property
    def version(self) -> int:
        return self.changes[-1].version if self.changes else self.base_version


class TokenSet:
    """An owner's published tokens, or a peer's copy of them, kept as a sorted array.

    Membership is a binary search over fixed-width 16-byte strings: 16 bytes a token plus the
    change log (another 16 a token), against ~100 bytes a token in a Python set. Every change
    gets a version; :meth:`changes_since` gives a peer what it lacks, :meth:`apply` takes it.
    """

    def __init__(self, tokens: Iterable[bytes] = ()) -> None:
        self._sorted: _TokenArray = np.empty(0, dtype=_TOKEN_DTYPE)
        self._changes: list[TokenChange] = []
        self._version = 0
        self.add(tokens)

    @property
    def version(self) -> int:
        return self._version

    @property
    def nbytes(self) -> int:
        """Memory held by the tokens and the change log."""
        log = sum(len(change.added) + len(change.removed) for change in self._changes)
        return int(self._sorted.nbytes) + log

    def __len__(self) -> int:
        return int(self._sorted.size)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, bytes) and self.contains_many([token])[0]

    def contains_many(self, tokens: Sequence[bytes]) -> list[bool]:
        """For each token, whether the set holds it."""
        return self._holds(_token_array(tokens)).tolist()  # type: ignore[no-any-return]

    def add(self, tokens: Iterable[bytes]) -> int:
        """Publish tokens; returns the new version (unchanged if all were already there)."""
        new = self._insert(_token_array(list(tokens)))
        if new.size:
            self._record(TokenChange(self._version + 1, added=new.tobytes()))
        return self._version

    def remove(self, tokens: Iterable[bytes]) -> int:
        """Withdraw tokens; returns the new version (unchanged if none were there)."""
        gone = self._delete(_token_array(list(tokens)))
        if gone.size:
            self._record(TokenChange(self._version + 1, removed=gone.tobytes()))
        return self._version

    def changes_since(self, version: int) -> TokenDelta:
        """What a copy at ``version`` lacks; from version 0, one snapshot of the whole set."""
        if not 0 <= version <= self._version:
            raise InvalidInput(f"version must be between 0 and {self._version}, got {version}")
        if version == 0 and self._version:
            snapshot = TokenChange(self._version, added=self._sorted.tobytes())
            return TokenDelta(0, (snapshot,))
        return TokenDelta(version, tuple(c for c in self._changes if c.version > version))

    def apply(self, delta: TokenDelta) -> None:
        """Bring this copy up to ``delta.version``; the delta must start at our version."""
        if delta.base_version != self._version:
            raise InvalidInput(
                f"this copy is at version {self._version} but the delta starts at "
                f"{delta.base_version}: ask the owner for changes_since({self._version})"
            )
        for change in delta.changes:
            if change.version <= self._version:
                raise InvalidInput(f"change {change.version} is not after {self._version}")
            self._insert(_blob_array(change.added))
            self._delete(_blob_array(change.removed))
            self._record(change)

    def _insert(self, tokens: _TokenArray) -> _TokenArray:
        """Merge tokens into the sorted array; returns those that were new."""
        unique = _sorted_unique(tokens)
        new: _TokenArray = unique[~self._holds(unique)]
        if new.size:
            self._sorted = np.insert(self._sorted, np.searchsorted(self._sorted, new), new)
        return new

    def _delete(self, tokens: _TokenArray) -> _TokenArray:
        """Drop tokens from the sorted array; returns those that were there."""
        unique = _sorted_unique(tokens)
        gone: _TokenArray = unique[self._holds(unique)]
        if gone.size:
            self._sorted = np.delete(self._sorted, np.searchsorted(self._sorted, gone))
        return gone

    def _holds(self, tokens: _TokenArray) -> np.ndarray[Any, np.dtype[np.bool_]]:
        if not self._sorted.size:
            return np.zeros(tokens.size, dtype=bool)
        places = np.minimum(np.searchsorted(self._sorted, tokens), self._sorted.size - 1)
        return np.asarray(self._sorted[places] == tokens)

    def _record(self, change: TokenChange) -> None:
        self._changes.append(change)
        self._version = change.version


# --- helpers ---------------------------------------------------------------------------------

_TOKEN_DTYPE = np.dtype(f"S{TOKEN_BYTES}")
_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


class _Xmd64:
    """expand_message_xmd(message, dst, 64) with the fixed parts hashed once: for 64 bytes of
    SHA-512 output, uniform_bytes is b_1 = H(b_0 || 0x01 || DST')."""

    def __init__(self, dst: bytes) -> None:
        dst_prime = dst + bytes([len(dst)])
        self._head = hashlib.sha512(bytes(128))
        self._tail0 = (64).to_bytes(2, "big") + b"\0" + dst_prime
        self._tail1 = b"\x01" + dst_prime

    def __call__(self, message: bytes) -> bytes:
        state = self._head.copy()
        state.update(message)
        state.update(self._tail0)
        return hashlib.sha512(state.digest() + self._tail1).digest()


_HASH_TO_GROUP = _Xmd64(b"HashToGroup-" + CONTEXT_STRING)
_FINALIZE_LABEL = ristretto.ELEMENT_BYTES.to_bytes(2, "big")


def _finalize_hash(selector: bytes, unblinded: bytes) -> bytes:
    return hashlib.sha512(
        len(selector).to_bytes(2, "big") + selector + _FINALIZE_LABEL + unblinded + b"Finalize"
    ).digest()


def _owner_chunk(secret: bytes, selectors: Sequence[bytes]) -> list[bytes]:
    elements = ristretto.hash_to_elements([_HASH_TO_GROUP(s) for s in selectors])
    issued = ristretto.mult_one_scalar(secret, elements)
    return [_finalize_hash(s, e)[:TOKEN_BYTES] for s, e in zip(selectors, issued, strict=True)]


def _blind_chunk(selectors: Sequence[bytes]) -> list[bytes]:
    blinds = ristretto.random_scalars(len(selectors))
    elements = ristretto.hash_to_elements([_HASH_TO_GROUP(s) for s in selectors])
    blinded = ristretto.mult_pairs(blinds, elements)
    return [b + e for b, e in zip(blinds, blinded, strict=True)]


def _evaluate_chunk(secret: bytes, blinded: Sequence[bytes]) -> list[bytes]:
    return ristretto.mult_one_scalar(secret, blinded)


def _finalize_chunk(
    selectors: Sequence[bytes], blinds: Sequence[bytes], evaluated: Sequence[bytes]
) -> list[bytes]:
    unblinded = ristretto.mult_pairs(ristretto.invert_many(blinds), evaluated)
    return [_finalize_hash(s, u) for s, u in zip(selectors, unblinded, strict=True)]


def _spread(
    kernel: Callable[..., list[_T]],
    fixed: tuple[Any, ...],
    columns: tuple[Sequence[Any], ...],
    workers: int | None,
) -> list[_T]:
    """Run ``kernel(*fixed, *column_slices)`` over chunks in worker processes, in order."""
    total = len(columns[0])
    count = _worker_count(workers, total)
    if count == 1:
        return kernel(*fixed, *columns)
    # Four chunks a worker, so that a core slowed by other work does not hold up the batch.
    size = max(MIN_CHUNK, math.ceil(total / (count * 4)))
    pool = _pool(count)
    futures = []
    try:
        for start in range(0, total, size):
            chunk = (column[start : start + size] for column in columns)
            futures.append(pool.submit(kernel, *fixed, *chunk))
        return [item for future in futures for item in future.result()]
    except BrokenProcessPool as error:
        with _pools_lock:  # the next batch starts fresh workers
            _pools.pop(count, None)
        raise Unavailable(
            "an OPRF worker process died (killed, or out of memory); nothing was kept: retry"
        ) from error
    except BaseException:
        for future in futures:  # a bad element in one chunk: stop work on the others
            future.cancel()
        raise


def _worker_count(workers: int | None, total: int) -> int:
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise InvalidInput(f"workers must be a positive number of processes, got {workers!r}")
    wanted = workers if workers is not None else len(os.sched_getaffinity(0))
    return max(1, min(wanted, total // MIN_CHUNK))


def _pool(count: int) -> ProcessPoolExecutor:
    # forkserver: forking a process that runs threads (a web server, Dask) can copy a held lock.
    with _pools_lock:
        if count not in _pools:
            _pools[count] = ProcessPoolExecutor(count, mp_context=get_context("forkserver"))
        return _pools[count]


def _checked_input(value: bytes, what: str = "a selector") -> bytes:
    if not isinstance(value, bytes) or len(value) > MAX_INPUT_BYTES:
        raise InvalidInput(f"{what} must be bytes, at most {MAX_INPUT_BYTES} of them")
    return value


def _check_inputs(selectors: Sequence[bytes]) -> None:
    for index, selector in enumerate(selectors):
        _checked_input(selector, f"selector {index}")


def _checked_blind(blind: bytes) -> bytes:
    if not isinstance(blind, bytes) or not ristretto.is_canonical_scalar(blind):
        raise InvalidInput("a blind is a 32-byte little-endian scalar in [1, group order)")
    return blind


def _token_array(tokens: Sequence[bytes]) -> _TokenArray:
    try:  # map and join run in C: a million tokens take a few milliseconds, not half a second
        blob = b"".join(tokens)
        lengths = set(map(len, tokens))
    except TypeError:
        lengths = {-1}
    if lengths - {TOKEN_BYTES}:
        index = next(
            i for i, t in enumerate(tokens) if not isinstance(t, bytes) or len(t) != TOKEN_BYTES
        )
        raise InvalidInput(f"token {index} must be {TOKEN_BYTES} bytes (use to_token)")
    return np.frombuffer(blob, dtype=_TOKEN_DTYPE)


def _sorted_unique(tokens: _TokenArray) -> _TokenArray:
    # np.unique sorts fixed-width strings about six times slower than np.sort does.
    ordered = np.sort(tokens)
    keep = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _blob_array(blob: bytes) -> _TokenArray:
    if not isinstance(blob, bytes) or len(blob) % TOKEN_BYTES:
        raise InvalidInput(f"a token blob is a whole number of {TOKEN_BYTES}-byte tokens")
    return np.frombuffer(blob, dtype=_TOKEN_DTYPE)
