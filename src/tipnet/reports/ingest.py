"""Bulk intake of a report file: every good line becomes a report, every bad line goes to a
rejects file with its line number and reason, and an interrupted run resumes where it stopped.

Resuming is safe twice over: a progress file remembers the last line committed, and each report
is submitted with an idempotency key derived from its content, so a line submitted just before
an interruption is recognised, not duplicated.
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
from tipnet.reports import bulk, service
from tipnet.reports.service import Submitter


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
    on_line: Callable[[int], None] = lambda _line: None,
) -> IngestResult:
    progress_file = progress_path(path)
    after_line = 0 if restart else _saved_line(progress_file, path)
    result = IngestResult(resumed_after_line=after_line)
    mode = "a" if after_line else "w"
    with rejects_path.open(mode, encoding="utf-8", errors="replace") as rejects:
        for parsed in bulk.read_lines(path, file_format, after_line):
            if parsed.report is None:
                _write_reject(rejects, parsed.line_number, parsed.error or "invalid", parsed.text)
                result.rejected += 1
            else:
                _submit_line(session_factory, keyring, submitter, parsed, result, rejects)
            _save_line(progress_file, path, parsed.line_number)
            on_line(parsed.line_number)
    progress_file.unlink(missing_ok=True)
    return result


def _submit_line(
    session_factory: sessionmaker[Session],
    keyring: Keyring,
    submitter: Submitter,
    parsed: bulk.ParsedLine,
    result: IngestResult,
    rejects: IO[str],
) -> None:
    assert parsed.report is not None
    try:
        key = "ingest:" + service.canonical_sha256(parsed.raw)
        with transaction(session_factory) as session:
            receipt = service.submit_report(
                session=session,
                keyring=keyring,
                submitter=submitter,
                report=parsed.report,
                raw_body=parsed.raw,
                idempotency_key=key,
            )
    except TipnetError as error:
        _write_reject(rejects, parsed.line_number, error.message, parsed.text)
        result.rejected += 1
        return
    if receipt.duplicate:
        result.duplicates += 1
    else:
        result.accepted += 1


def _write_reject(rejects: IO[str], line_number: int, reason: str, text: str) -> None:
    record = {"line": line_number, "reason": reason, "text": text}
    rejects.write(json.dumps(record, ensure_ascii=False) + "\n")
    rejects.flush()


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
