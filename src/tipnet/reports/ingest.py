"""Bulk intake of a report file: every good line becomes a report, every bad line goes to a
rejects file with its line number and reason, and an interrupted run resumes where it stopped.

Lines go in a chunk at a time, one transaction per chunk. Resuming is safe twice over: a
progress file remembers the last line committed, and each report is submitted with an
idempotency key derived from its content, so a line committed just before an interruption is
recognised, not duplicated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session, sessionmaker

from tipnet.crypto import Keyring
from tipnet.db import transaction
from tipnet.errors import TipnetError
from tipnet.reports import bulk, intake
from tipnet.reports.intake import Submitter

CHUNK_LINES = 500


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    resumed_after_line: int = 0


def progress_path(path: Path) -> Path:
    return path.with_name(path.name + ".tipnet-progress")


def ingest_file(
    *,
    session_factory: sessionmaker[Session],
    keyring: Keyring,
    submitter: Submitter,
    path: Path,
    file_format: bulk.FileFormat,
    rejects_path: Path,
    restart: bool = False,
    chunk_lines: int = CHUNK_LINES,
    on_line: Callable[[int], None] = lambda _line: None,
) -> IngestResult:
    """File every good line; lines are committed a chunk at a time, and the chunk's rejects and
    the progress file are written only after its commit, so a resumed run repeats nothing."""
    progress_file = progress_path(path)
    after_line = 0 if restart else _saved_line(progress_file, path)
    result = IngestResult(resumed_after_line=after_line)
    with rejects_path.open("a" if after_line else "w", encoding="utf-8") as rejects:
        chunk: list[bulk.ParsedLine] = []
        for parsed in bulk.read_lines(path, file_format, after_line):
            chunk.append(parsed)
            if len(chunk) >= chunk_lines:
                _commit_chunk(session_factory, keyring, submitter, chunk, result, rejects)
                _save_line(progress_file, path, chunk[-1].line_number)
                chunk = []
            on_line(parsed.line_number)
        if chunk:
            _commit_chunk(session_factory, keyring, submitter, chunk, result, rejects)
    progress_file.unlink(missing_ok=True)
    return result


def _commit_chunk(
    session_factory: sessionmaker[Session],
    keyring: Keyring,
    submitter: Submitter,
    chunk: list[bulk.ParsedLine],
    result: IngestResult,
    rejects: IO[str],
) -> None:
    reasons: dict[int, str] = {}
    prepared: list[tuple[bulk.ParsedLine, intake.Prepared]] = []
    for parsed in chunk:
        if parsed.report is None:
            reasons[parsed.line_number] = parsed.error or "invalid"
            continue
        try:
            key = "ingest:" + intake.canonical_sha256(parsed.raw)
            item = intake.prepare(
                keyring=keyring,
                submitter=submitter,
                report=parsed.report,
                raw_body=parsed.raw,
                idempotency_key=key,
            )
        except TipnetError as error:
            reasons[parsed.line_number] = error.message
            continue
        prepared.append((parsed, item))
    with transaction(session_factory) as session:
        outcomes = intake.write(session=session, batch=[item for _, item in prepared])
    for (parsed, _), outcome in zip(prepared, outcomes, strict=True):
        if isinstance(outcome, TipnetError):
            reasons[parsed.line_number] = outcome.message
        elif outcome.duplicate:
            result.duplicates += 1
        else:
            result.accepted += 1
    texts = {parsed.line_number: parsed.text for parsed in chunk}
    for line_number in sorted(reasons):
        _write_reject(rejects, line_number, reasons[line_number], texts[line_number])
    result.rejected += len(reasons)


def _write_reject(rejects: IO[str], line_number: int, reason: str, text: str) -> None:
    record = {"line": line_number, "reason": _writable(reason), "text": _writable(text)}
    rejects.write(json.dumps(record, ensure_ascii=False) + "\n")
    rejects.flush()


def _writable(text: str) -> str:
    """``text`` as UTF-8 can hold it. A CSV line read past bytes that are not UTF-8 keeps them
    as lone surrogates (surrogateescape), which the UTF-8 rejects file cannot take: writing
    one stopped the whole ingest. They become U+FFFD, as for a JSONL line."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _saved_line(progress_file: Path, path: Path) -> int:
    try:
        saved = json.loads(progress_file.read_text())
    except (OSError, ValueError):
        return 0
    if saved.get("size") != path.stat().st_size:
        return 0  # the file changed since: start again; idempotency keeps it duplicate-free
    line = saved.get("line", 0)
    return line if isinstance(line, int) and line > 0 else 0


def _save_line(progress_file: Path, path: Path, line_number: int) -> None:
    temporary = progress_file.with_suffix(".tmp")
    temporary.write_text(json.dumps({"line": line_number, "size": path.stat().st_size}))
    temporary.replace(progress_file)
