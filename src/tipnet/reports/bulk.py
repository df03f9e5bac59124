"""Reading bulk report files (JSONL or CSV) line by line, for `tipnet reports ingest`.

Pure parsing: each line becomes a validated :class:`ReportCreate` plus the raw JSON it came from,
or a rejection with its line number and a reason. Nothing here touches the database.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from tipnet import validation
from tipnet.errors import InvalidInput
from tipnet.reports.schemas import ReportCreate

FileFormat = Literal["jsonl", "csv"]
LIST_SEPARATOR = "|"
CSV_COLUMNS = (
    "reporter_report_id",
    "incident_type",
    "incident_time",
    "urgency",
    "summary",
    "platform",
    "urls",
    "phones",
    "emails",
    "handles",
    "wallets",
    "jurisdiction",
)
REQUIRED_CSV_COLUMNS = ("incident_type", "incident_time", "summary")


@dataclass(frozen=True)
class ParsedLine:
    line_number: int  # physical line where the record starts (header is line 1 in CSV)
    report: ReportCreate | None
    raw: Any
    error: str | None
    text: str


def detect_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise InvalidInput(
        f"cannot tell the format of {path.name}; pass --format jsonl or --format csv"
    )


def read_lines(path: Path, file_format: FileFormat, after_line: int = 0) -> Iterator[ParsedLine]:
    """Yield every record starting after line ``after_line`` (0, or what a previous run saved)."""
    records = _jsonl_records(path) if file_format == "jsonl" else _csv_records(path)
    for line_number, text, raw_or_error in records:
        if line_number <= after_line:
            continue
        yield _validate(line_number, text, raw_or_error)


def _jsonl_records(path: Path) -> Iterator[tuple[int, str, Any]]:
    with path.open("rb") as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            if not raw_line.strip():
                continue
            try:
                text = raw_line.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                reason = f"not UTF-8 text ({error.reason} at byte {error.start})"
                yield (
                    line_number,
                    raw_line.decode("utf-8", "replace").rstrip(),
                    InvalidInput(reason),
                )
                continue
            try:
                # too deep to parse safely, or not JSON: a reject with its reason, never a crash
                yield line_number, text, validation.loads(text)
            except InvalidInput as error:
                yield line_number, text, error


def _csv_records(path: Path) -> Iterator[tuple[int, str, Any]]:
    # surrogateescape keeps reading past bytes that are not UTF-8; the record holding them is
    # rejected on its own instead of the whole file failing.
    handle = path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    with handle:
        reader = csv.reader(handle)
        header = _checked_header(next(reader, None))
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield start, "", InvalidInput(f"unreadable CSV record: {error}")
                start = reader.line_num + 1
                continue
            text = ",".join(cells)
            if any(cell.strip() for cell in cells):
                yield start, text, _csv_body(cells, header)
            start = reader.line_num + 1


def _csv_body(cells: list[str], header: list[str]) -> Any:
    if any(_has_undecodable_bytes(cell) for cell in cells):
        return InvalidInput("not UTF-8 text")
    if len(cells) != len(header):
        return InvalidInput(f"expected {len(header)} cells, found {len(cells)}")
    try:
        return csv_row_to_report(dict(zip(header, cells, strict=True)))
    except InvalidInput as error:
        return error


def _has_undecodable_bytes(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _validate(line_number: int, text: str, raw: Any) -> ParsedLine:
    if isinstance(raw, InvalidInput):
        return ParsedLine(line_number, None, None, raw.message, text)
    if not isinstance(raw, dict):
        return ParsedLine(line_number, None, raw, "a line must hold one JSON object", text)
    try:
        return ParsedLine(line_number, ReportCreate.model_validate(raw), raw, None, text)
    except ValidationError as error:
        return ParsedLine(line_number, None, raw, describe_validation_error(error), text)


def describe_validation_error(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors()
    )


def csv_row_to_report(row: dict[str, str]) -> dict[str, Any]:
    """A flat CSV row as the nested report body; list cells are separated by '|'."""
    missing = [column for column in REQUIRED_CSV_COLUMNS if not row.get(column)]
    if missing:
        raise InvalidInput(f"empty required column(s): {', '.join(missing)}")
    body: dict[str, Any] = {
        "incident": {
            "type": row["incident_type"],
            "time": row["incident_time"],
            "summary": row["summary"],
        },
    }
    if row.get("urgency"):
        body["incident"]["urgency"] = row["urgency"]
    if row.get("reporter_report_id"):
        body["reporter"] = {"report_id": row["reporter_report_id"]}
    internet: dict[str, Any] = {}
    if row.get("platform"):
        internet["platform"] = row["platform"]
    for column in ("urls", "phones", "emails"):
        if values := _split(row.get(column)):
            internet[column] = values
    if handles := _split(row.get("handles")):
        internet["accounts"] = [{"handle": handle} for handle in handles]
    if wallets := _split(row.get("wallets")):
        internet["wallets"] = [{"address": address} for address in wallets]
    if internet:
        body["internet"] = internet
    if jurisdiction := _split(row.get("jurisdiction")):
        body["jurisdiction"] = jurisdiction
    return body


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(LIST_SEPARATOR) if part.strip()]


def _checked_header(header: list[str] | None) -> list[str]:
    if header is None:
        raise InvalidInput("the CSV file is empty; it needs a header line")
    columns = [column.strip() for column in header]
    unknown = sorted(set(columns) - set(CSV_COLUMNS))
    if unknown:
        raise InvalidInput(
            f"unknown CSV column(s): {', '.join(unknown)}; allowed: {', '.join(CSV_COLUMNS)}"
        )
    missing = [column for column in REQUIRED_CSV_COLUMNS if column not in columns]
    if missing:
        raise InvalidInput(f"the CSV file lacks required column(s): {', '.join(missing)}")
    return columns
