"""PDQ, Meta's perceptual image hash (the one NCMEC and industry hash lists carry), through the
``pdqhash`` package, with the hash in the canonical hex form (word 15 first, as Meta's
``Hash256::format`` and ThreatExchange write it)."""

from __future__ import annotations

from importlib import import_module
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt

MATCH_DISTANCE = 31  # DESIGN.md: match at Hamming distance <= 31
MIN_QUALITY = 50  # ... and ignore hashes of quality < 50

UInt8Array = npt.NDArray[np.uint8]


class _PdqHash(Protocol):
    def compute(self, image: UInt8Array) -> tuple[npt.NDArray[np.int64], int]: ...

    def compute_dihedral(self, image: UInt8Array) -> tuple[list[npt.NDArray[np.int64]], int]: ...


_pdqhash = cast(_PdqHash, import_module("pdqhash"))


def pdq(image: UInt8Array) -> tuple[bytes, int]:
    """(32-byte hash, quality 0..100) of an RGB image (height x width x 3, uint8)."""
    bits, quality = _pdqhash.compute(image)
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def pdq_dihedral(image: UInt8Array) -> list[bytes]:
    """The hashes of the image's 8 rotations and flips (original first), from one pass."""
    hashes, _quality = _pdqhash.compute_dihedral(image)
    return [np.packbits(bits.astype(np.uint8)).tobytes() for bits in hashes]


def distance(a: bytes | str, b: bytes | str) -> int:
    """Hamming distance between two PDQ hashes (bytes or hex)."""
    x = bytes.fromhex(a) if isinstance(a, str) else a
    y = bytes.fromhex(b) if isinstance(b, str) else b
    return int.from_bytes(x, "big").__xor__(int.from_bytes(y, "big")).bit_count()
