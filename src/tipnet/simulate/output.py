"""Files a scenario is written to: JSONL (one JSON object per line) or Parquet, with the same
fields either way. Chunks are written as part files and joined in chunk order, so the result is
the same bytes whatever the number of worker processes."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

import orjson

Record = dict[str, Any]
FORMATS = ("jsonl", "parquet")

_S, _I, _B, _L = "string", "int64", "bool", "list"
_ITEM_HEAD = [("item_id", _S), ("kind", _S), ("time", _S), ("platform", _S)]
_IMAGES = [("images", _L), ("image_pdq", _L)]
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "ads": [
        *_ITEM_HEAD,
        ("url", _S),
        ("category", _S),
        ("country", _S),
        ("city", _S),
        ("language", _S),
        ("title", _S),
        ("text", _S),
        ("poster", _S),
        ("phone", _S),
        ("email", _S),
        *_IMAGES,
    ],
    "job_offers": [
        *_ITEM_HEAD,
        ("url", _S),
        ("country", _S),
        ("city", _S),
        ("language", _S),
        ("title", _S),
        ("text", _S),
        ("company", _S),
        ("sector", _S),
        ("job_country", _S),
        ("job_city", _S),
        ("salary", _I),
        ("currency", _S),
        ("period", _S),
        ("contact_phone", _S),
        ("contact_email", _S),
        ("contact_apps", _L),
        ("poster", _S),
        *_IMAGES,
    ],
    "profiles": [
        *_ITEM_HEAD,
        ("url", _S),
        ("handle", _S),
        ("display_name", _S),
        ("country", _S),
        ("city", _S),
        ("language", _S),
        ("bio", _S),
        ("followers", _I),
        ("following", _I),
        ("posts", _I),
        ("verified", _B),
        ("external_url", _S),
        *_IMAGES,
    ],
    "messages": [
        *_ITEM_HEAD,
        ("sender", _S),
        ("sender_profile", _S),
        ("recipient", _S),
        ("conversation", _S),
        ("country", _S),
        ("language", _S),
        ("text", _S),
        *_IMAGES,
    ],
    # Parquet keeps a report's key fields as columns and the whole body as JSON text.
    "reports": [
        ("report_id", _S),
        ("incident_type", _S),
        ("incident_time", _S),
        ("platform", _S),
        ("jurisdiction", _L),
        ("body", _S),
    ],
    "truth_items": [
        ("item_id", _S),
        ("kind", _S),
        ("subject", _S),
        ("group", _S),
        ("network", _S),
        ("trafficking", _B),
        ("phones", _L),
        ("obfuscated", _B),
        ("obfuscation", _S),
        ("indicators", _L),
    ],
    "images": [
        ("image_id", _S),
        ("pdq", _S),
        ("pdq_quality", _I),
        ("sha256", _S),
        ("md5", _S),
        ("width", _I),
        ("height", _I),
        ("media_type", _S),
        ("file", _S),
    ],
    "truth_images": [
        ("image_id", _S),
        ("source", _S),
        ("source_pdq", _S),
        ("owner", _S),
        ("edits", _L),
        ("match", _S),
        ("distance", _I),
    ],
}


def dumps(record: Record) -> bytes:
    """One JSON line: UTF-8, no spaces, keys in the record's order (orjson)."""
    return orjson.dumps(record)


def write_part(path: Path, name: str, records: Sequence[Record], file_format: str) -> None:
    """One chunk of one output file."""
    if file_format == "jsonl":
        path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
        return
    rows = [_report_row(r) for r in records] if name == "reports" else records
    pa, pq = _arrow()
    schema = _schema(name)
    columns = {field: [row.get(field) for row in rows] for field in schema.names}
    pq.write_table(pa.Table.from_pydict(columns, schema=schema), path, compression="zstd")


class Joiner:
    """Appends part files, in order, to one output file each; parts are removed once joined.
    Parts can be appended as soon as they are ready, while later ones are still being made."""

    def __init__(self, targets: dict[str, Path], file_format: str) -> None:
        self.file_format = file_format
        self._files: dict[str, Any] = {}
        for name, target in targets.items():
            if file_format == "jsonl":
                self._files[name] = target.open("wb")
            else:
                _, pq = _arrow()
                self._files[name] = pq.ParquetWriter(target, _schema(name), compression="zstd")

    def append(self, name: str, part: Path) -> None:
        out = self._files[name]
        if self.file_format == "jsonl":
            with part.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
        else:
            out.write_table(_arrow()[1].read_table(part, schema=_schema(name)))
        part.unlink()

    def close(self) -> None:
        for out in self._files.values():
            out.close()


def write_records(target: Path, name: str, records: Sequence[Record], file_format: str) -> None:
    write_part(target, name, records, file_format)


def write_json(target: Path, data: Any) -> None:
    target.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def read_records(path: Path) -> list[Record]:
    """All records of a JSONL or Parquet output file (by its extension)."""
    if path.suffix == ".parquet":
        table = _arrow()[1].read_table(path)
        rows: list[Record] = table.to_pylist()
        return rows
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _arrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet, loaded on first use (they ship no type information, so they
    are used through Any, in this module only)."""
    return import_module("pyarrow"), import_module("pyarrow.parquet")


def _schema(name: str) -> Any:
    pa = _arrow()[0]
    types = {_S: pa.string(), _I: pa.int64(), _B: pa.bool_(), _L: pa.list_(pa.string())}
    return pa.schema([(field, types[kind]) for field, kind in SCHEMAS[name]])


def _report_row(report: Record) -> Record:
    return {
        "report_id": report["reporter"]["report_id"],
        "incident_type": report["incident"]["type"],
        "incident_time": report["incident"]["time"],
        "platform": report["internet"].get("platform"),
        "jurisdiction": report.get("jurisdiction", []),
        "body": dumps(report).decode("utf-8"),
    }
