"""Items as linking sees them, and how they are read from a scenario directory, JSONL or Parquet.

An :class:`Item` is one thing a node holds that can link to others: an ad, a job offer, a
profile, a message or a report. It carries what linking needs and nothing else: its text, its
structured selector fields (normalised later by :mod:`tipnet.identifiers`, as at intake), image
PDQ hashes, where and when it was posted, and the ids of items it names.

Files are read in *partitions* (:class:`PartitionSpec`: a byte range of a JSONL file or a run of
Parquet row groups), so that each worker reads its own share and no process ever holds every
record of a million-item node as Python dicts. Records that cannot be read are not fatal: they
are counted in :class:`Skips` with the reason, and the run's report shows them.

Record shapes understood by :func:`item_from_record`:

- the scenario generator's ads, job offers, profiles and messages (``tipnet simulate``);
- report bodies in the intake format (:class:`tipnet.reports.schemas.ReportCreate`), whose
  selectors are extracted exactly as intake extracts them;
- generic items: ``item_id``, ``kind``, ``text``, ``time``, ``country``, ``city``,
  ``platform``, ``phones``, ``emails``, ``urls``, ``wallets``, ``handles``, ``images`` (PDQ
  hex strings or ``{"pdq", "quality"}``), ``links`` (ids of other items).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import ValidationError

from tipnet.errors import InvalidInput

KINDS = ("ad", "job_offer", "profile", "message", "report", "other")
SCENARIO_FILES = ("ads", "job_offers", "profiles", "messages", "reports")
FORMATS = ("jsonl", "parquet")
DEFAULT_PARTITION_ITEMS = 20_000
MIN_IMAGE_QUALITY = 50  # DESIGN.md: PDQ hashes of quality < 50 are ignored
MAX_EXAMPLES = 5
NO_TIME = -(2**63)  # an unknown time, in int64 seconds
_HEX = frozenset("0123456789abcdef")

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Item:
    """One item to link.

    - ``fields``: structured selector values keyed as :func:`tipnet.identifiers.extract_selectors`
      takes them (``{"phone": (...), "email": (...), "url": (...), "wallet": (...)}``);
    - ``handles``: ``(source, handle, platform or None)`` accounts; the **first** is the account
      that posted the item (used to tell unrelated posters apart when looking for hubs);
    - ``selectors``: already normalised ``(kind, value)`` pairs, e.g. read back from intake;
    - ``images``: ``(pdq_hex, quality or None)``;
    - ``countries``: where it was posted first, then other countries it names (a job offer's
      job country, a report's jurisdictions);
    - ``links``: ids of other items it names (a message's sender profile);
    - ``risk``: a detection score in [0, 1] if already known; otherwise it is scored.
    """

    item_id: str
    kind: str = "other"
    text: str = ""
    time: str | None = None
    countries: tuple[str, ...] = ()
    city: str | None = None
    platform: str | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    handles: tuple[tuple[str, str, str | None], ...] = ()
    selectors: tuple[tuple[str, str], ...] = ()
    images: tuple[tuple[str, int | None], ...] = ()
    links: tuple[str, ...] = ()
    risk: float | None = None


@dataclass
class Skips:
    """What a run left out and why: reason -> count, with a few examples of each."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str | None = None, count: int = 1) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + count
        if example is not None:
            shown = self.examples.setdefault(reason, [])
            if len(shown) < MAX_EXAMPLES:
                shown.append(example[:200])

    def merge(self, other: Skips) -> None:
        for reason, count in other.counts.items():
            self.counts[reason] = self.counts.get(reason, 0) + count
            shown = self.examples.setdefault(reason, [])
            shown.extend(other.examples.get(reason, [])[: MAX_EXAMPLES - len(shown)])

    def as_dict(self) -> dict[str, Any]:
        return {
            reason: {"count": count, "examples": self.examples.get(reason, [])}
            for reason, count in sorted(self.counts.items())
        }


@dataclass(frozen=True, slots=True)
class PartitionSpec:
    """A share of one input file: bytes ``[start, stop)`` of a JSONL file, or row groups
    ``[start, stop)`` of a Parquet file. Workers read it themselves, so the file must be at the
    same path on every worker (a shared or copied directory)."""

    path: str
    file_format: str
    start: int
    stop: int
    low_quality: frozenset[str] = frozenset()  # PDQ hashes known to be of quality < 50


@dataclass(frozen=True)
class Source:
    """The partitions of a scenario directory or file, in a fixed order."""

    partitions: tuple[PartitionSpec, ...]
    files: tuple[str, ...]


def plan_partitions(
    source: Path | str, *, items_per_partition: int = DEFAULT_PARTITION_ITEMS
) -> Source:
    """Partitions of ``source``: a scenario directory (ads, job offers, profiles, messages,
    reports; images for PDQ quality), or one JSONL or Parquet file of items."""
    path = Path(source)
    if items_per_partition < 1:
        raise InvalidInput(f"items per partition must be at least 1, got {items_per_partition}")
    if path.is_dir():
        files = _scenario_files(path)
        low_quality = _low_quality_hashes(path)
    elif path.is_file():
        files = [path]
        low_quality = frozenset()
    else:
        raise InvalidInput(
            f"{path} does not exist: give a scenario directory or a JSONL or Parquet file"
        )
    partitions: list[PartitionSpec] = []
    for file in files:
        partitions += _file_partitions(file, items_per_partition, low_quality)
    return Source(tuple(partitions), tuple(str(file) for file in files))


def read_partition(spec: PartitionSpec) -> tuple[list[Item], Skips]:
    """The items of one partition, and the records that could not be read (with why)."""
    skips = Skips()
    items: list[Item] = []
    name = Path(spec.path).name
    for position, record in _records(spec, skips):
        try:
            item = item_from_record(record, low_quality=spec.low_quality)
        except InvalidInput as error:
            skips.add(f"record unreadable: {_reason(error.message)}", f"{name} {position}")
            continue
        items.append(item)
    return items, skips


def item_from_record(record: Record, *, low_quality: frozenset[str] = frozenset()) -> Item:
    """One record (scenario item, report body or generic item) as an :class:`Item`; a record
    that cannot be read raises :class:`InvalidInput` saying why."""
    if not isinstance(record, Mapping):
        raise InvalidInput("not a JSON object")
    if "reporter" in record and "incident" in record:
        return _report_item(record)
    item_id = record.get("item_id")
    if not isinstance(item_id, str) or not item_id.strip():
        raise InvalidInput("no item_id")
    kind = record.get("kind")
    kind = kind if isinstance(kind, str) and kind in KINDS else "other"
    platform = _text(record.get("platform"))
    handles = [
        ("account", handle, platform)
        for handle in (record.get("poster"), record.get("sender"), record.get("handle"))
        if isinstance(handle, str) and handle.strip()
    ][:1]
    handles += [("handles", h, platform) for h in _strings(record.get("handles"))]
    if isinstance(record.get("recipient"), str) and record["recipient"].strip():
        handles.append(("recipient", record["recipient"], platform))  # a victim contacted
    links = [record["sender_profile"]] if isinstance(record.get("sender_profile"), str) else []
    links += _strings(record.get("links"))
    countries = [
        text for text in (_text(record.get("country")), _text(record.get("job_country"))) if text
    ]
    return Item(
        item_id=item_id,
        kind=kind,
        text=_item_text(record),
        time=_text(record.get("time")),
        countries=tuple(dict.fromkeys(c.upper() for c in countries)),
        city=_text(record.get("city")),
        platform=platform,
        fields=_fields(record),
        handles=tuple(handles),
        images=_images(record, low_quality),
        links=tuple(links),
        risk=_risk(record.get("risk")),
    )


# --- records of each shape ---------------------------------------------------------------------


def _report_item(record: Record) -> Item:
    """A report body from a file, named by the reporter's own id."""
    from tipnet.link.report_items import item_from_report
    from tipnet.reports.schemas import ReportCreate

    try:
        report = ReportCreate.model_validate(record)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(map(str, first["loc"])) or "body"
        raise InvalidInput(f"report body invalid at {where}: {first['msg']}") from error
    if report.reporter.report_id is None:
        raise InvalidInput("report has no reporter.report_id to name it by")
    return item_from_report(report, item_id=report.reporter.report_id)


def _item_text(record: Record) -> str:
    parts = [record.get("text"), record.get("bio")]
    return " ".join(part for part in parts if isinstance(part, str) and part.strip())


_FIELD_KEYS = (
    ("phone", ("phone", "contact_phone", "phones")),
    ("email", ("email", "contact_email", "emails")),
    ("url", ("url", "external_url", "urls")),
    ("wallet", ("wallets",)),
)


def _fields(record: Record) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for kind, keys in _FIELD_KEYS:
        values: list[str] = []
        for key in keys:
            value = record.get(key)
            if value is not None:
                values += _strings(value)
        if values:
            found[kind] = tuple(dict.fromkeys(values))
    return found


def _images(record: Record, low_quality: frozenset[str]) -> tuple[tuple[str, int | None], ...]:
    """PDQ hashes with their quality when known; hashes known to be of low quality are left out
    here (they never become signals). Malformed ones are kept and rejected, counted, later."""
    found: list[tuple[str, int | None]] = []
    raw = record.get("image_pdq", record.get("images") if "image_pdq" not in record else None)
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, Mapping):
            pdq, quality = entry.get("pdq"), entry.get("quality", entry.get("pdq_quality"))
        else:
            pdq, quality = entry, None
        if not isinstance(pdq, str):
            continue
        known = quality if isinstance(quality, int) else None
        if (known is not None and known < MIN_IMAGE_QUALITY) or pdq.lower() in low_quality:
            continue
        found.append((pdq.lower(), known))
    return tuple(found)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _risk(value: object) -> float | None:
    if isinstance(value, int | float) and 0.0 <= value <= 1.0:
        return float(value)
    return None


def _reason(message: str) -> str:
    """A reason short and general enough to count records under (no values in it)."""
    return message.split(":")[0][:120]


# --- files --------------------------------------------------------------------------------------


def _scenario_files(directory: Path) -> list[Path]:
    files = []
    for name in SCENARIO_FILES:
        for file_format in FORMATS:
            candidate = directory / f"{name}.{file_format}"
            if candidate.is_file():
                files.append(candidate)
                break
    if not files:
        raise InvalidInput(
            f"{directory} holds none of {', '.join(SCENARIO_FILES)} (.jsonl or .parquet): "
            "give a directory written by `tipnet simulate`, or one JSONL/Parquet file of items"
        )
    return files


def _low_quality_hashes(directory: Path) -> frozenset[str]:
    """PDQ hashes the scenario's image table marks as of quality < 50 (items list only the
    hash; the quality is in ``images``)."""
    for file_format in FORMATS:
        path = directory / f"images.{file_format}"
        if path.is_file():
            rows = _read_whole(path, ("pdq", "pdq_quality"))
            return frozenset(
                str(row["pdq"]).lower()
                for row in rows
                if isinstance(row.get("pdq_quality"), int)
                and row["pdq_quality"] < MIN_IMAGE_QUALITY
            )
    return frozenset()


def _read_whole(path: Path, columns: Sequence[str]) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        table = _parquet().read_table(path, columns=list(columns))
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows
    found = []
    with path.open("rb") as handle:
        for line in handle:
            try:
                found.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    return found


def _file_partitions(
    path: Path, items_per_partition: int, low_quality: frozenset[str]
) -> list[PartitionSpec]:
    if path.suffix == ".parquet":
        try:
            groups = [
                _parquet().ParquetFile(path).metadata.row_group(i).num_rows
                for i in range(_parquet().ParquetFile(path).metadata.num_row_groups)
            ]
        except Exception as error:  # pyarrow raises its own types for a damaged file
            raise InvalidInput(f"{path} is not a readable Parquet file: {error}") from error
        return [
            PartitionSpec(str(path), "parquet", start, stop, low_quality)
            for start, stop in _group_runs(groups, items_per_partition)
        ]
    if path.suffix not in (".jsonl", ".json", ".ndjson"):
        raise InvalidInput(f"{path}: give a .jsonl or .parquet file")
    return [
        PartitionSpec(str(path), "jsonl", start, stop, low_quality)
        for start, stop in _byte_ranges(path, items_per_partition)
    ]


def _group_runs(sizes: list[int], target: int) -> Iterator[tuple[int, int]]:
    start, rows = 0, 0
    for index, size in enumerate(sizes):
        rows += size
        if rows >= target:
            yield start, index + 1
            start, rows = index + 1, 0
    if start < len(sizes):
        yield start, len(sizes)


def _byte_ranges(path: Path, items_per_partition: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``items_per_partition`` lines each, cut at line ends."""
    size = path.stat().st_size
    if size == 0:
        return []
    with path.open("rb") as handle:
        sample = handle.read(1 << 16)
        lines = max(1, sample.count(b"\n"))
        step = max(1, len(sample) // lines * items_per_partition)
        cuts = [0]
        while cuts[-1] + step < size:
            handle.seek(cuts[-1] + step)
            handle.readline()
            position = handle.tell()
            if position >= size:
                break
            cuts.append(position)
    cuts.append(size)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _records(spec: PartitionSpec, skips: Skips) -> Iterator[tuple[str, Record]]:
    """(where, record) for each record of the partition; unreadable lines are counted."""
    if spec.file_format == "parquet":
        table = _parquet().ParquetFile(spec.path).read_row_groups(range(spec.start, spec.stop))
        for index, row in enumerate(table.to_pylist()):
            where = f"row group {spec.start}+ row {index}"
            if "body" in row and "reporter" not in row:  # reports keep their body as JSON text
                try:
                    row = json.loads(row["body"])
                except (TypeError, ValueError):
                    skips.add("record unreadable: report body is not JSON", where)
                    continue
            yield where, row
        return
    with open(spec.path, "rb") as handle:
        handle.seek(spec.start)
        data = handle.read(spec.stop - spec.start)
    for number, line in enumerate(data.splitlines()):
        if not line.strip():
            continue
        where = f"bytes {spec.start}+ line {number + 1}"
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            skips.add("record unreadable: not valid JSON", where)
            continue
        yield where, record


def _parquet() -> Any:
    """pyarrow.parquet, loaded on first use (it ships no type information)."""
    return import_module("pyarrow.parquet")


# --- items as columns -------------------------------------------------------------------------


@dataclass
class Columns:
    """Items as columns, in item order: what every stage needs besides selectors and text.

    Countries and cities are codes into ``places`` (a vocabulary of the partition; cities as
    ``"city:<name>"``); further countries an item names are ``(other_rows, other_codes)``
    pairs; the items an item names are ``(link_rows, link_targets)``; images are one row per
    valid PDQ hash (``image_rows`` and ``image_hashes``, uint8 (n, 32))."""

    item_ids: list[str]
    kinds: npt.NDArray[np.int8]
    times: npt.NDArray[np.int64]  # Unix seconds, NO_TIME unknown
    country: npt.NDArray[np.int32]  # code of the first country, -1 unknown
    city: npt.NDArray[np.int32]
    other_rows: npt.NDArray[np.int32]
    other_codes: npt.NDArray[np.int32]
    places: list[str]
    link_rows: npt.NDArray[np.int32]
    link_targets: list[str]
    image_rows: npt.NDArray[np.int32]
    image_hashes: npt.NDArray[np.uint8]


def to_columns(items: Sequence[Item], skips: Skips) -> tuple[list[Item], Columns]:
    """The items (a repeated id keeps its first occurrence) and their columns; unreadable
    times, countries and image hashes are left out and counted in ``skips``."""
    unique: dict[str, Item] = {}
    for item in items:
        if item.item_id in unique:
            skips.add("duplicate item id (first occurrence kept)", item.item_id)
        else:
            unique[item.item_id] = item
    kept = list(unique.values())
    places: dict[str, int] = {}
    country, city, other_rows, other_codes = _places(kept, places, skips)
    image_rows, image_hashes = _image_hashes(kept, skips)
    return kept, Columns(
        item_ids=list(unique),
        kinds=np.array([KINDS.index(item.kind) for item in kept], dtype=np.int8),
        times=np.array([_seconds(item.time, skips) for item in kept], dtype=np.int64),
        country=country,
        city=city,
        other_rows=other_rows,
        other_codes=other_codes,
        places=list(places),
        link_rows=np.array([r for r, item in enumerate(kept) for _ in item.links], np.int32),
        link_targets=[target for item in kept for target in item.links],
        image_rows=image_rows,
        image_hashes=image_hashes,
    )


Int32Array = npt.NDArray[np.int32]


def _places(
    items: Sequence[Item], places: dict[str, int], skips: Skips
) -> tuple[Int32Array, Int32Array, Int32Array, Int32Array]:
    country = np.full(len(items), -1, dtype=np.int32)
    city = np.full(len(items), -1, dtype=np.int32)
    other_rows: list[int] = []
    other_codes: list[int] = []
    for row, item in enumerate(items):
        codes = [places.setdefault(c, len(places)) for c in item.countries if _alpha3(c)]
        if len(codes) < len(item.countries):
            skips.add("country codes that are not ISO 3166 alpha-3 (ignored)", item.item_id)
        if codes:
            country[row] = codes[0]
            other_rows += [row] * (len(codes) - 1)
            other_codes += codes[1:]
        if item.city:
            city[row] = places.setdefault(f"city:{item.city}", len(places))
    rows, codes_ = np.array(other_rows, dtype=np.int32), np.array(other_codes, dtype=np.int32)
    return country, city, rows, codes_


def _alpha3(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def _seconds(stamp: str | None, skips: Skips) -> int:
    if stamp is None:
        return NO_TIME
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        skips.add("times that are not ISO 8601 (time left unknown)", stamp)
        return NO_TIME
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def _image_hashes(items: Sequence[Item], skips: Skips) -> tuple[Int32Array, npt.NDArray[np.uint8]]:
    rows: list[int] = []
    hexes: list[str] = []
    for row, item in enumerate(items):
        for pdq, _quality in item.images:
            text = pdq.strip().lower()
            if len(text) != 64 or not _HEX.issuperset(text):
                skips.add("image hashes that are not 64 hex digits (ignored)", item.item_id)
                continue
            rows.append(row)
            hexes.append(text)
    hashes = np.frombuffer(bytes.fromhex("".join(hexes)), dtype=np.uint8).reshape(-1, 32)
    return np.array(rows, dtype=np.int32), hashes.copy()
