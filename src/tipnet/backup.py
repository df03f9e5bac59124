"""Backups of a node's database and restores from them, checked end to end.

A backup is one tar file: ``manifest.json`` (what was backed up, the schema revision, the audit
chain's head and row counts per table) and the data itself, a consistent SQLite snapshot taken
with SQLite's online backup API or a ``pg_dump`` custom-format archive. The node may keep
running while it is taken. The secret key is not in the backup: personal fields stay encrypted
in it, and a restore is readable only with the node's ``TIPNET_SECRET_KEY``, kept apart.

A restore writes into an empty target (or replaces it when forced), then proves the result: the
schema revision and every table's row count must equal the manifest's, and the audit chain must
verify and end at the head the manifest recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tipnet import __version__
from tipnet.audit.models import AuditHead
from tipnet.audit.service import HEAD_ROW_ID
from tipnet.errors import InvalidInput, TipnetError
from tipnet.migrate import current_revision

FORMAT = "tipnet-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
TOOL_TIMEOUT_SECONDS = 3600


class BackupFailed(TipnetError):
    status_code = 500


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


AuditCheck = Callable[[Session], tuple[bool, int, str, list[str]]]
"""Verifies the audit chain in a session: (ok, head seq, head hash, problems)."""


def backup(*, engine: Engine, url: str, out: Path) -> BackupResult:
    """Write a backup of the database at ``url`` to ``out`` (a .tar file).

    The manifest describes exactly the data in the file: on SQLite it is read from the snapshot
    itself, on PostgreSQL from the transaction whose snapshot ``pg_dump`` is given."""
    if out.exists():
        raise InvalidInput(f"{out} exists already; choose a new file name for the backup")
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory) / "data"
        if engine.dialect.name == "sqlite":
            _sqlite_snapshot(_sqlite_path(url), data)
            snapshot = create_engine(f"sqlite:///{data}")
            try:
                with snapshot.connect() as connection:
                    manifest = _describe(connection, "sqlite")
            finally:
                snapshot.dispose()
            member = SQLITE_MEMBER
        else:
            manifest = _pg_dump(engine, url, data)
            member = POSTGRES_MEMBER
        manifest["data"] = {"member": member, "sha256": _sha256(data), "bytes": data.stat().st_size}
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            archive.add(data, arcname=member)
        os.replace(partial, out)  # a crash leaves a .partial file, never a truncated backup
    return BackupResult(out, manifest)


def _pg_dump(engine: Engine, url: str, data: Path) -> dict[str, Any]:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            manifest = _describe(connection, "postgresql")
            _run(
                ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot_id}"]
                + [*_schema_flag(url), "--file", str(data), _libpq_url(url)],
                "pg_dump",
            )
    return manifest


def _describe(connection: Connection, backend: str) -> dict[str, Any]:
    head = connection.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ROW_ID)
    ).one_or_none()
    return {
        "format": FORMAT,
        "tipnet_version": __version__,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "backend": backend,
        "schema_revision": MigrationContext.configure(connection).get_current_revision(),
        "audit_head": {"seq": head[0], "hash": head[1]} if head else None,
        "row_counts": row_counts(connection),
    }


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise InvalidInput(f"{path} is not a tipnet backup ({error})") from error
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"{path} has backup format {manifest.get('format')!r}, not {FORMAT}")
    return manifest


def restore(
    *,
    path: Path,
    url: str,
    force: bool,
    open_engine: Callable[[], Engine],
    check_audit: AuditCheck,
) -> RestoreResult:
    """Restore the backup at ``path`` into the database at ``url``, then check the result in an
    engine from ``open_engine`` (made after the restore, configured as the node makes them)."""
    manifest = read_manifest(path)
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest["backend"] != backend:
        raise InvalidInput(
            f"the backup is of a {manifest['backend']} database; restore it into one of the same "
            f"kind (TIPNET_DATABASE_URL names a {backend} database)"
        )
    with tempfile.TemporaryDirectory() as directory:
        data = _extract_data(path, manifest, Path(directory))
        if backend == "sqlite":
            _restore_sqlite(data, _sqlite_path(url), force)
        else:
            _restore_postgres(data, url, force)
    engine = open_engine()
    try:
        return RestoreResult(manifest, _check(engine, manifest, check_audit))
    finally:
        engine.dispose()


def row_counts(connection: Connection) -> dict[str, int]:
    from tipnet.models import metadata

    present = set(inspect(connection).get_table_names())
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in metadata.sorted_tables
        if table.name in present
    }


def _check(engine: Engine, manifest: dict[str, Any], check_audit: AuditCheck) -> list[str]:
    problems: list[str] = []
    revision = current_revision(engine)
    if revision != manifest["schema_revision"]:
        problems.append(
            f"schema revision {revision} differs from the backup's {manifest['schema_revision']}"
        )
    with engine.connect() as connection:
        counts = row_counts(connection)
    for table, expected in manifest["row_counts"].items():
        if counts.get(table) != expected:
            problems.append(f"table {table}: {counts.get(table)} rows, the backup had {expected}")
    with Session(engine) as session:
        ok, head_seq, head_hash, audit_problems = check_audit(session)
    problems.extend(f"audit: {problem}" for problem in audit_problems)
    expected_head = manifest["audit_head"] or {"seq": 0, "hash": "0" * 64}
    if (head_seq, head_hash) != (expected_head["seq"], expected_head["hash"]):
        problems.append(
            f"audit head {head_seq} {head_hash} differs from the backup's "
            f"{expected_head['seq']} {expected_head['hash']}"
        )
    return problems


def _sqlite_snapshot(source: Path, target: Path) -> None:
    if not source.exists():
        raise InvalidInput(f"no database at {source}; check TIPNET_DATABASE_URL")
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)  # a consistent snapshot, even while the node writes
    copy.close()
    live.close()


def _restore_sqlite(data: Path, target: Path, force: bool) -> None:
    if target.exists() and target.stat().st_size > 0 and not force:
        raise InvalidInput(
            f"{target} exists and is not empty; stop the node and pass --force to replace it"
        )
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(data, staged)
    with sqlite3.connect(staged) as connection:
        result = connection.execute("PRAGMA integrity_check").fetchone()
    connection.close()
    if result is None or result[0] != "ok":
        staged.unlink()
        raise BackupFailed(f"the restored SQLite file fails its integrity check: {result}")
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


def _restore_postgres(data: Path, url: str, force: bool) -> None:
    engine = create_engine(url)
    try:
        existing = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    if existing and not force:
        raise InvalidInput(
            f"the target database holds {len(existing)} tables already; stop the node and pass "
            "--force to replace them"
        )
    _run(
        ["pg_restore", "--no-owner", "--clean", "--if-exists", "--exit-on-error"]
        + ["--single-transaction", "--dbname", _libpq_url(url), str(data)],
        "pg_restore",
    )


def _extract_data(path: Path, manifest: dict[str, Any], directory: Path) -> Path:
    member_name: str = manifest["data"]["member"]
    if member_name not in (SQLITE_MEMBER, POSTGRES_MEMBER):
        raise InvalidInput(f"{path}: unexpected data member {member_name!r}")
    target = directory / member_name
    with tarfile.open(path, "r") as archive:
        member = archive.extractfile(member_name)
        if member is None:
            raise InvalidInput(f"{path} lacks its data ({member_name})")
        with target.open("wb") as out:
            shutil.copyfileobj(member, out)
    if _sha256(target) != manifest["data"]["sha256"]:
        raise InvalidInput(f"{path}: the data does not match its SHA-256 (corrupted backup)")
    return target


def _run(command: list[str], tool: str) -> None:
    try:
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS
        )
    except FileNotFoundError as error:
        raise BackupFailed(
            f"{tool} is not installed; install the PostgreSQL client (Debian: postgresql-client)"
        ) from error
    if finished.returncode != 0:
        message = finished.stderr.strip().splitlines()
        raise BackupFailed(f"{tool} failed: {message[-1] if message else finished.returncode}")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored")
    return Path(str(database))


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _schema_flag(url: str) -> list[str]:
    """A node kept in its own schema (search_path in the URL's options) dumps only that schema."""
    options = str(make_url(url).query.get("options", ""))
    for part in options.split():
        if part.startswith("-csearch_path="):
            return ["--schema", part.removeprefix("-csearch_path=").split(",")[0]]
    return []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    archive.addfile(info, io.BytesIO(content))
