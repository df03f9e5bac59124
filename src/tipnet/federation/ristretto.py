"""The ristretto255 group (RFC 9496) from libsodium, called through ctypes.

The OPRF spends nearly all its time in three libsodium calls per selector, so this module keeps
the Python around each call thin: the batch kernels bind the C functions to locals, reuse one
output buffer per batch and pass ``bytes`` straight through as pointers. pysodium's wrappers
allocate and check on every call, and do not expose scalar multiplication of scalars at all, so
we open our own handle on the library pysodium loaded (our own handle also lets us declare
argument types without touching the function objects pysodium shares).

Every buffer is local to a call, so the functions are safe to use from several threads.
Encodings are little-endian 32-byte strings for scalars and the canonical 32-byte ristretto255
encoding for elements.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

import pysodium

from tipnet.errors import ConfigurationError, InvalidInput

ELEMENT_BYTES = 32
SCALAR_BYTES = 32
HASH_BYTES = 64
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493
IDENTITY = bytes(ELEMENT_BYTES)


def _load() -> ctypes.CDLL:
    library = ctypes.CDLL(pysodium.sodium._name)
    if library.sodium_init() < 0:
        raise ConfigurationError("libsodium failed to initialise (sodium_init)")
    if not hasattr(library, "crypto_core_ristretto255_scalar_mul"):
        raise ConfigurationError("libsodium is too old for ristretto255: install 1.0.18 or later")
    pointer = ctypes.c_char_p
    for name, arguments in (
        ("crypto_core_ristretto255_from_hash", 2),
        ("crypto_scalarmult_ristretto255", 3),
        ("crypto_scalarmult_ristretto255_base", 2),
        ("crypto_core_ristretto255_scalar_invert", 2),
        ("crypto_core_ristretto255_scalar_mul", 3),
        ("crypto_core_ristretto255_scalar_reduce", 2),
        ("crypto_core_ristretto255_scalar_random", 1),
        ("crypto_core_ristretto255_is_valid_point", 1),
    ):
        function = getattr(library, name)
        function.argtypes = [pointer] * arguments
        function.restype = ctypes.c_int
    return library


_sodium = _load()
_from_hash = _sodium.crypto_core_ristretto255_from_hash
_scalarmult = _sodium.crypto_scalarmult_ristretto255
_scalarmult_base = _sodium.crypto_scalarmult_ristretto255_base
_invert = _sodium.crypto_core_ristretto255_scalar_invert
_mul = _sodium.crypto_core_ristretto255_scalar_mul
_reduce = _sodium.crypto_core_ristretto255_scalar_reduce
_random = _sodium.crypto_core_ristretto255_scalar_random


def element_from_hash(uniform: bytes) -> bytes:
    """The RFC 9380 one-way map from 64 uniform bytes to a group element."""
    return hash_to_elements([uniform])[0]


def scalar_mult(scalar: bytes, element: bytes) -> bytes:
    """``scalar * element``; rejects a non-canonical encoding and an identity result."""
    return mult_pairs([scalar], [element])[0]


def scalar_mult_base(scalar: bytes) -> bytes:
    """``scalar * G`` for the group's generator."""
    out = ctypes.create_string_buffer(ELEMENT_BYTES)
    if _scalarmult_base(out, scalar) != 0:
        raise InvalidInput("the scalar is zero: pick a non-zero key or blind")
    return out.raw


def scalar_invert(scalar: bytes) -> bytes:
    out = ctypes.create_string_buffer(SCALAR_BYTES)
    if _invert(out, scalar) != 0:
        raise InvalidInput("zero has no inverse: a blind must be a non-zero scalar")
    return out.raw


def scalar_mul(left: bytes, right: bytes) -> bytes:
    out = ctypes.create_string_buffer(SCALAR_BYTES)
    _mul(out, left, right)
    return out.raw


def scalar_reduce(wide: bytes) -> bytes:
    """A 64-byte little-endian integer reduced modulo the group order."""
    if len(wide) != HASH_BYTES:
        raise InvalidInput(f"a wide scalar is {HASH_BYTES} bytes, got {len(wide)}")
    out = ctypes.create_string_buffer(SCALAR_BYTES)
    _reduce(out, wide)
    return out.raw


def random_scalars(count: int) -> list[bytes]:
    """Uniform non-zero scalars from libsodium's CSPRNG (safe after fork: it asks the kernel)."""
    out = ctypes.create_string_buffer(SCALAR_BYTES)
    scalars = []
    for _ in range(count):
        _random(out)
        scalars.append(out.raw)
    return scalars


def is_canonical_scalar(scalar: bytes) -> bool:
    """True for a 32-byte encoding of an integer in [1, order)."""
    return len(scalar) == SCALAR_BYTES and 0 < int.from_bytes(scalar, "little") < GROUP_ORDER


def check_element(element: bytes, what: str = "element") -> bytes:
    """The element itself if it is a canonical encoding of a non-identity point."""
    if not isinstance(element, bytes) or len(element) != ELEMENT_BYTES:
        raise InvalidInput(f"{what} must be {ELEMENT_BYTES} bytes")
    if element == IDENTITY or _sodium.crypto_core_ristretto255_is_valid_point(element) != 1:
        raise InvalidInput(f"{what} is not a valid ristretto255 point (or is the identity)")
    return element


def hash_to_elements(uniforms: Sequence[bytes]) -> list[bytes]:
    """:func:`element_from_hash` over a batch; each input must be 64 bytes."""
    out = ctypes.create_string_buffer(ELEMENT_BYTES)
    from_hash = _from_hash
    elements = []
    for uniform in uniforms:
        if len(uniform) != HASH_BYTES:
            raise InvalidInput(f"the map to the group takes {HASH_BYTES} bytes, got {len(uniform)}")
        from_hash(out, uniform)
        elements.append(out.raw)
    return elements


def mult_one_scalar(scalar: bytes, elements: Sequence[bytes]) -> list[bytes]:
    """``scalar * e`` for every element (the server's evaluation of a batch)."""
    out = ctypes.create_string_buffer(ELEMENT_BYTES)
    scalarmult = _scalarmult
    products = []
    for index, element in enumerate(elements):
        if type(element) is not bytes or len(element) != ELEMENT_BYTES:
            raise _not_a_point(index)
        if scalarmult(out, scalar, element) != 0:
            raise _not_a_point(index)
        products.append(out.raw)
    return products


def mult_pairs(scalars: Sequence[bytes], elements: Sequence[bytes]) -> list[bytes]:
    """``scalars[i] * elements[i]`` (blinding and unblinding)."""
    if len(scalars) != len(elements):
        raise InvalidInput(f"{len(scalars)} scalars for {len(elements)} elements")
    out = ctypes.create_string_buffer(ELEMENT_BYTES)
    scalarmult = _scalarmult
    products = []
    for index, (scalar, element) in enumerate(zip(scalars, elements, strict=True)):
        if type(element) is not bytes or len(element) != ELEMENT_BYTES:
            raise _not_a_point(index)
        if scalarmult(out, scalar, element) != 0:
            raise _not_a_point(index)
        products.append(out.raw)
    return products


def invert_many(scalars: Sequence[bytes]) -> list[bytes]:
    """Inverses of non-zero scalars with one libsodium inversion for the whole batch.

    Montgomery's trick: with prefix products p_i = s_0...s_i, 1/s_i = p_(i-1) / p_i, so one
    inversion of p_(n-1) and three cheap multiplications per scalar replace n inversions (an
    inversion costs about 60 multiplications' worth of a scalar multiplication here).
    """
    if not scalars:
        return []
    out = ctypes.create_string_buffer(SCALAR_BYTES)
    mul = _mul
    prefixes = [scalars[0]]
    for scalar in scalars[1:]:
        mul(out, prefixes[-1], scalar)
        prefixes.append(out.raw)
    running = scalar_invert(prefixes[-1])
    inverses = [b""] * len(scalars)
    for index in range(len(scalars) - 1, 0, -1):
        mul(out, running, prefixes[index - 1])
        inverses[index] = out.raw
        mul(out, running, scalars[index])
        running = out.raw
    inverses[0] = running
    return inverses


def _not_a_point(index: int) -> InvalidInput:
    # libsodium refuses non-canonical encodings and returns -1 when the product is the identity,
    # which happens exactly when the input is the identity (the group has prime order).
    return InvalidInput(
        f"element {index} is not a {ELEMENT_BYTES}-byte canonical ristretto255 encoding of a "
        "point other than the identity"
    )
