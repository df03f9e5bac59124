"""PDQ hash lists as CSV files, so that a platform's list or an NCMEC-style list can be matched
against a node's images, and a node's own list shared; and the PDQ hash of an image file.

**Format.** A header line, then one hash per line:

- the hash, 64 hex digits, in a column named ``pdq_hex`` (also read: ``pdq``, ``pdq_hash`` and
  ``hash``, as ThreatExchange and hash-sharing exports name it; the first present wins, in that
  order, and any other of them stays metadata, e.g. an MD5 ``hash`` next to ``pdq``);
- ``quality``, optional: PDQ's quality score, an integer 0 to 100; rows below 50 are skipped
  (DESIGN.md: such hashes, of flat or tiny pictures, match too much);
- every other column is metadata, kept as text: ``list_name``, ``source``, ``label``,
  ``added_at`` are the usual ones, free columns are kept too.

**Bit order.** A PDQ hash is written as ThreatExchange writes it (``Hash256::format``, and
python-threatexchange's ``pdq_hasher``): 16 words of 16 bits, word 15 first, each as 4 hex
digits, most significant first. ``pdqhash.compute`` returns the 256 bits in that very order
(its vector is word 15's bit 15 first), so the first hex digit is bits 0-3 of that vector,
bit 0 most significant, and ``np.packbits`` of the vector gives the 32 bytes of the hex.

Reading streams the file (a list of millions of hashes never sits in memory as text) and never
stops at a bad row: each bad row becomes a :class:`Reject` with its line number and reason.
Only a file that cannot be a hash list at all (no header, no hash column) raises
:class:`~tipnet.errors.InvalidInput`.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Protocol, TextIO, cast

import numpy as np
import numpy.typing as npt

from tipnet.errors import InvalidInput
from tipnet.interop import csvsafe

HASH_BYTES = 32  # PDQ: 256 bits
MIN_QUALITY = 50  # DESIGN.md: ignore hashes of quality < 50
UNKNOWN_QUALITY = -1  # in HashList.qualities: the list gave no quality for that hash
HASH_COLUMNS = ("pdq_hex", "pdq", "pdq_hash", "hash")
QUALITY_COLUMN = "quality"
MAX_REJECTS_KEPT = 1_000  # rejects listed one by one; all are counted in reject_counts
_BLOCK = 100_000  # rows converted from hex at a time
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")

UInt8Array = npt.NDArray[np.uint8]
Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class Reject:
    line: int  # line of the file, counting the header as line 1
    reason: str
    kind: str  # short name of the reason, the key of HashList.reject_counts


@dataclass(slots=True)
class HashList:
    """Hashes (uint8, (n, 32)), their qualities (-1: not given) and metadata, row for row."""

    hashes: UInt8Array
    qualities: Int16Array
    metadata: list[dict[str, str]]
    metadata_columns: tuple[str, ...] = ()
    rejects: list[Reject] = field(default_factory=list)
    reject_counts: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.hashes)


def read_hash_list(source: Path | str | TextIO, *, min_quality: int = MIN_QUALITY) -> HashList:
    """Read a hash list (a path or an open text file). Rows whose quality is below
    ``min_quality`` are skipped, and counted as rejects of kind ``low quality``."""
    if isinstance(source, Path | str):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return read_hash_list(handle, min_quality=min_quality)
    reader = csv.reader(source)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise InvalidInput("the hash list is empty: it needs a header line with pdq_hex") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise InvalidInput(f"the hash list is not a readable CSV file: {error}") from None
    columns = _Columns.of(header)
    builder = _Builder(columns.metadata_names)
    try:
        for row in reader:
            builder.add(reader.line_num, row, columns, min_quality)
    except (csv.Error, UnicodeDecodeError) as error:
        raise InvalidInput(f"line {reader.line_num + 1} of the hash list: {error}") from None
    return builder.finish()


def write_hash_list(
    destination: Path | str | TextIO,
    hashes: UInt8Array,
    *,
    qualities: Sequence[int] | npt.NDArray[np.integer] | None = None,
    metadata: Sequence[dict[str, str]] | None = None,
    metadata_columns: Sequence[str] | None = None,
) -> int:
    """Write a hash list that :func:`read_hash_list` reads back unchanged; returns the number
    of hashes written. Columns: pdq_hex, quality (when given; -1 is written empty), then the
    metadata columns (by default, every key of ``metadata`` in order of first appearance)."""
    texts = array_to_hex(hashes)
    if qualities is not None and len(qualities) != len(texts):
        raise InvalidInput(f"{len(texts)} hashes but {len(qualities)} qualities: give one each")
    if metadata is not None and len(metadata) != len(texts):
        raise InvalidInput(f"{len(texts)} hashes but {len(metadata)} metadata rows")
    names = list(metadata_columns or dict.fromkeys(key for row in metadata or [] for key in row))
    reserved = {*HASH_COLUMNS, QUALITY_COLUMN}.intersection(names)
    if reserved:
        raise InvalidInput(f"metadata cannot use the column names {sorted(reserved)}: rename them")
    if isinstance(destination, Path | str):
        with open(destination, "w", encoding="utf-8", newline="") as handle:
            return _write(handle, texts, qualities, metadata, names)
    return _write(destination, texts, qualities, metadata, names)


def image_pdq(path: Path | str) -> tuple[UInt8Array, int]:
    """(PDQ hash as 32 bytes in hex order, quality 0-100) of an image file, as pdqhash
    computes it on the image's RGB pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise InvalidInput(f"no image file at {path}") from None
    except (UnidentifiedImageError, OSError) as error:
        raise InvalidInput(f"{path} is not an image tipnet can read: {error}") from None
    return pdq_of_pixels(pixels)


def pdq_of_pixels(pixels: UInt8Array) -> tuple[UInt8Array, int]:
    """(PDQ hash as 32 bytes in hex order, quality) of RGB pixels (height, width, 3)."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise InvalidInput(f"pixels must be uint8 (height, width, 3), got {pixels.shape}")
    bits, quality = _pdqhash().compute(np.ascontiguousarray(pixels))
    return np.packbits(np.asarray(bits, dtype=np.uint8)), int(quality)


def hex_to_array(hex_hashes: Sequence[str]) -> UInt8Array:
    """PDQ hashes written as 64 hex digits (upper or lower case; the first digit holds the
    hash's first four bits, as pdqhash and ThreatExchange print it) as a uint8 array (n, 32)."""
    count = len(hex_hashes)
    for row, text in enumerate(hex_hashes):
        if not isinstance(text, str) or len(text) != 2 * HASH_BYTES:
            shown = repr(text)[:80]
            raise InvalidInput(
                f"PDQ hash at row {row} must be 64 hex digits, got {shown}: fix or drop that row"
            )
    if count == 0:
        return np.zeros((0, HASH_BYTES), dtype=np.uint8)
    try:
        text_bytes = "".join(hex_hashes).encode("ascii")
    except UnicodeEncodeError as error:
        row = error.start // (2 * HASH_BYTES)
        raise InvalidInput(f"PDQ hash at row {row} has a character that is not hex") from None
    digits = _HEX_DIGITS[np.frombuffer(text_bytes, dtype=np.uint8)].reshape(count, 2 * HASH_BYTES)
    bad = np.flatnonzero((digits == _NOT_HEX).any(axis=1))
    if bad.size:
        row = int(bad[0])
        raise InvalidInput(
            f"PDQ hash at row {row} has a character that is not hex: {hex_hashes[row]!r}"
        )
    return np.asarray((digits[:, 0::2] << 4) | digits[:, 1::2], dtype=np.uint8)


def array_to_hex(hashes: UInt8Array) -> list[str]:
    """The inverse of :func:`hex_to_array`: 64 lowercase hex digits per row."""
    text = _hash_array(hashes).tobytes().hex()
    step = 2 * HASH_BYTES
    return [text[start : start + step] for start in range(0, len(text), step)]


def _hash_array(hashes: object) -> UInt8Array:
    if not isinstance(hashes, np.ndarray) or hashes.dtype != np.uint8 or hashes.shape[1:] != (32,):
        shape = getattr(hashes, "shape", type(hashes).__name__)
        raise InvalidInput(f"hashes must be a uint8 array of shape (n, 32), got {shape}")
    return np.ascontiguousarray(hashes)


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    hash_at: int
    quality_at: int | None
    metadata_at: tuple[int, ...]
    metadata_names: tuple[str, ...]
    width: int

    @classmethod
    def of(cls, header: list[str]) -> _Columns:
        lowered = [name.lower() for name in header]
        repeated = sorted({name for name in lowered if lowered.count(name) > 1 and name})
        if repeated:
            raise InvalidInput(f"the hash list's header repeats the columns {repeated}")
        found = next((name for name in HASH_COLUMNS if name in lowered), None)
        if found is None:
            hint = (
                "its first line looks like a hash: add a header line, e.g. pdq_hex,quality"
                if header and _HEX64.fullmatch(header[0])
                else f"its columns are {header[:10]}"
            )
            raise InvalidInput(
                f"the hash list has no hash column ({', '.join(HASH_COLUMNS)}): {hint}"
            )
        hash_at = lowered.index(found)
        quality_at = lowered.index(QUALITY_COLUMN) if QUALITY_COLUMN in lowered else None
        metadata_at = tuple(i for i in range(len(header)) if i not in (hash_at, quality_at))
        names = tuple(header[i] or f"column_{i + 1}" for i in metadata_at)
        return cls(hash_at, quality_at, metadata_at, names, len(header))


class _Builder:
    """Collects accepted rows, converting hex to bytes a block at a time."""

    def __init__(self, metadata_names: tuple[str, ...]) -> None:
        self.metadata_names = metadata_names
        self.blocks: list[UInt8Array] = []
        self.pending: list[str] = []
        self.qualities: list[int] = []
        self.metadata: list[dict[str, str]] = []
        self.rejects: list[Reject] = []
        self.counts: Counter[str] = Counter()

    def add(self, line: int, row: list[str], columns: _Columns, min_quality: int) -> None:
        if not any(cell.strip() for cell in row):
            return  # blank line
        if len(row) > columns.width:
            self.reject(line, "extra fields", f"{len(row)} fields, the header has {columns.width}")
            return
        row = row + [""] * (columns.width - len(row))
        text = row[columns.hash_at].strip()
        problem = _hash_problem(text)
        if problem:
            self.reject(line, *problem)
            return
        quality = UNKNOWN_QUALITY
        if columns.quality_at is not None and row[columns.quality_at].strip():
            raw = row[columns.quality_at].strip()
            if not raw.isdecimal() or not 0 <= int(raw) <= 100:
                self.reject(line, "bad quality", f"quality must be an integer 0-100, got {raw!r}")
                return
            quality = int(raw)
            if quality < min_quality:
                self.reject(line, "low quality", f"quality {quality} < {min_quality}: ignored")
                return
        self.pending.append(text)
        self.qualities.append(quality)
        self.metadata.append(
            {
                name: csvsafe.unescape(row[i])
                for name, i in zip(self.metadata_names, columns.metadata_at, strict=True)
            }
        )
        if len(self.pending) >= _BLOCK:
            self.flush()

    def reject(self, line: int, kind: str, reason: str) -> None:
        self.counts[kind] += 1
        if len(self.rejects) < MAX_REJECTS_KEPT:
            self.rejects.append(Reject(line=line, reason=reason, kind=kind))

    def flush(self) -> None:
        if self.pending:
            self.blocks.append(hex_to_array(self.pending))
            self.pending = []

    def finish(self) -> HashList:
        self.flush()
        hashes = np.concatenate(self.blocks) if self.blocks else np.zeros((0, HASH_BYTES), np.uint8)
        return HashList(
            hashes=hashes,
            qualities=np.array(self.qualities, dtype=np.int16),
            metadata=self.metadata,
            metadata_columns=self.metadata_names,
            rejects=self.rejects,
            reject_counts=self.counts,
        )


def _hash_problem(text: str) -> tuple[str, str] | None:
    if _HEX64.fullmatch(text):
        return None
    if not text:
        return "missing hash", "no hash on this line"
    shown = text if len(text) <= 80 else text[:77] + "..."
    if len(text) != 2 * HASH_BYTES:
        return "wrong length", f"a PDQ hash is 64 hex digits, got {len(text)}: {shown!r}"
    return "bad hex", f"the hash has characters that are not hex: {shown!r}"


# -- writing ---------------------------------------------------------------------------------


def _write(
    handle: TextIO,
    texts: list[str],
    qualities: Sequence[int] | npt.NDArray[np.integer] | None,
    metadata: Sequence[dict[str, str]] | None,
    names: list[str],
) -> int:
    # minimal quoting keeps the ThreatExchange layout; metadata that could start a formula is
    # escaped (and unescaped on reading, so a list round-trips)
    writer = csvsafe.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([HASH_COLUMNS[0], *([QUALITY_COLUMN] if qualities is not None else []), *names])
    writer.writerows(_rows(texts, qualities, metadata, names))
    return len(texts)


def _rows(
    texts: list[str],
    qualities: Sequence[int] | npt.NDArray[np.integer] | None,
    metadata: Sequence[dict[str, str]] | None,
    names: list[str],
) -> Iterator[list[str]]:
    for index, text in enumerate(texts):
        row = [text]
        if qualities is not None:
            quality = int(qualities[index])
            row.append("" if quality == UNKNOWN_QUALITY else str(quality))
        values = metadata[index] if metadata is not None else {}
        row.extend(str(values.get(name, "")) for name in names)
        yield row


# -- PDQ itself ------------------------------------------------------------------------------


class _PdqHash(Protocol):
    def compute(self, image: UInt8Array) -> tuple[npt.NDArray[np.int64], int]: ...


def _pdqhash() -> _PdqHash:
    """pdqhash, loaded on first use (a compiled module with no type information)."""
    return cast(_PdqHash, import_module("pdqhash"))


_NOT_HEX = 255
_HEX_DIGITS = np.full(256, _NOT_HEX, dtype=np.uint8)
for _digit, _char in enumerate("0123456789abcdef"):
    _HEX_DIGITS[ord(_char)] = _digit
    _HEX_DIGITS[ord(_char.upper())] = _digit
