"""Read labelled or to-be-scored files row by row: CSV, JSONL (optionally gzip) and Parquet.

A bad row never stops the file: it comes back as a :class:`BadRow` with its line number and the
reason (not UTF-8, not JSON, not an object), and the caller decides what to do with it. A file
that cannot be read at all raises :class:`~tipnet.errors.InvalidInput` with what to fix.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tipnet import validation
from tipnet.errors import InvalidInput

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


Row = tuple[int, dict[str, Any] | BadRow]


def file_format(path: Path, chosen: str | None = None) -> str:
    if chosen:
        if chosen not in FORMATS:
            raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, not {chosen!r}")
        return chosen
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found:
        return found
    raise InvalidInput(f"{path.name}: cannot tell the format; name it .csv, .jsonl or .parquet")


def read_rows(path: Path, chosen: str | None = None) -> Iterator[Row]:
    """(line or row number, record or BadRow) for every row of the file, in order."""
    kind = file_format(path, chosen)
    if kind == "parquet":
        yield from _parquet_rows(path)
        return
    with _open_text(path) as stream:
        yield from (_csv_rows(stream) if kind == "csv" else _jsonl_rows(stream))


def header(path: Path, chosen: str | None = None) -> list[str]:
    """Column names of a CSV or Parquet file (empty for JSONL, whose rows name their fields)."""
    kind = file_format(path, chosen)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if kind == "jsonl":
        return []
    with _open_text(path) as stream:
        return next(csv.reader(stream), [])


def _open_text(path: Path) -> IO[str]:
    # utf-8-sig drops a byte-order mark; surrogateescape keeps bad bytes so a row can be refused
    options: dict[str, Any] = {"encoding": "utf-8-sig", "errors": "surrogateescape", "newline": ""}
    try:
        if path.suffix.lower() == ".gz":
            stream: IO[str] = gzip.open(path, "rt", **options)
            return stream
        return io.TextIOWrapper(open(path, "rb"), **options)
    except OSError as error:
        raise InvalidInput(f"cannot open {path}: {error.strerror}") from error


def _csv_rows(stream: IO[str]) -> Iterator[Row]:
    reader = csv.DictReader(stream)
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                yield line, BadRow(line, "more fields than the header has columns")
            elif any(_SURROGATE.search(value or "") for value in record.values()):
                yield line, BadRow(line, "not UTF-8 text; save the file as UTF-8")
            else:
                yield line, dict(record)
    except (csv.Error, OSError, EOFError) as error:
        raise InvalidInput(f"the CSV cannot be read past line {reader.line_num}: {error}") from None


def _jsonl_rows(stream: IO[str]) -> Iterator[Row]:
    try:
        for line, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            if _SURROGATE.search(text):
                yield line, BadRow(line, "not UTF-8 text; save the file as UTF-8")
                continue
            try:
                # a line nested too deep raised RecursionError and ended the whole file
                validation.check_json_depth(text.encode("utf-8"))
                record = json.loads(text)
            except InvalidInput as error:
                yield line, BadRow(line, error.message)
                continue
            except ValueError as error:
                yield line, BadRow(line, f"not JSON: {error}")
                continue
            if not isinstance(record, dict):
                yield line, BadRow(line, "each line must be a JSON object")
                continue
            yield line, record
    except (OSError, EOFError) as error:
        raise InvalidInput(f"the file cannot be read to the end: {error}") from None


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise InvalidInput(f"{path.name} is not a readable Parquet file: {error}") from None
    number = 0
    try:  # a damaged page shows only when it is read, after the file opened fine
        for batch in parquet.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                yield number, record
    except (OSError, pa.ArrowException) as error:
        raise InvalidInput(f"{path.name} is damaged after row {number}: {error}") from None
