"""Rotate the node's master key: every registered value re-encrypted, every blind index rebuilt,
the audit log anchored under the new key.

Rows are rewritten in batches, each its own transaction that also moves the rotation's cursor
(:class:`~tipnet.keyrotation.models.KeyRotation`), so a rotation killed at any point resumes
after the last batch committed. Nothing is encrypted twice: a value is always decrypted first
(with whichever key wrote it, which its ciphertext names) and only values not already under the
new key are rewritten. Rows of a batch are locked (PostgreSQL ``FOR UPDATE``; SQLite's write
lock), so a node running alongside with both keys never has a change overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table as SqlTable
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tipnet.audit import service as audit_service
from tipnet.audit.keys import AuditKey
from tipnet.audit.models import AuditHead
from tipnet.audit.service import Actor, Event
from tipnet.crypto import CIPHERTEXT_VERSION, DecryptionFailed, Keyring
from tipnet.db import Base, transaction, utcnow
from tipnet.errors import ConfigurationError, Conflict
from tipnet.keyrotation.models import KeyRotation
from tipnet.keyrotation.registry import TABLES, Step, Table

ROTATED_ACTION = audit_service.ROTATED_ACTION
Progress = Callable[[str, int], None]  # (table, rows looked at in the batch)


class RotationRefused(Conflict):
    """The rotation cannot start or go on as asked; nothing was changed by this call."""


@dataclass(frozen=True)
class RotationResult:
    from_key_id: str
    to_key_id: str
    rows_rewritten: int
    resumed: bool
    already_done: bool = False


def rotate(
    *,
    session_factory: sessionmaker[Session],
    new_key: bytes,
    old_key: bytes,
    actor: Actor,
    batch: int = 500,
    progress: Progress | None = None,
) -> RotationResult:
    """Move everything from ``old_key`` to ``new_key``; resume an interrupted rotation."""
    keyring = _keyring(new_key, old_key)
    with transaction(session_factory) as session:
        rotation, resumed = _start_or_resume(session, keyring, AuditKey.from_master(old_key), actor)
    if rotation.finished_at is not None:
        return RotationResult(rotation.from_key_id, rotation.to_key_id, 0, True, True)
    for _sweep in range(2):  # a second pass only if values under the old key appeared meanwhile
        _rewrite_tables(session_factory, keyring, rotation.id, batch, progress)
        with transaction(session_factory) as session:
            left = stale_values(session=session, keyring=keyring)
            if not left:
                done = _finish(session, rotation.id, new_key, old_key, actor)
                return RotationResult(
                    done.from_key_id, done.to_key_id, done.rows_rewritten, resumed
                )
            _restart_cursor(session, rotation.id)
    raise RotationRefused(
        f"{sum(left.values())} values are still written with the old key after two passes "
        f"({', '.join(sorted(left))}): a node is still running with only the old key. Start it "
        "with TIPNET_SECRET_KEY=<new key> and TIPNET_PREVIOUS_SECRET_KEY=<old key>, then run "
        "the rotation again; it resumes"
    )


def stale_values(*, session: Session, keyring: Keyring) -> dict[str, int]:
    """``table.column`` -> how many values are not under the keyring's current key."""
    prefix = CIPHERTEXT_VERSION + bytes.fromhex(keyring.key_id)
    left: dict[str, int] = {}
    for spec in TABLES:
        table = _table(spec)
        for sealed in spec.sealed:
            column = table.c[sealed.column]
            count = session.scalar(
                select(func.count())
                .select_from(table)
                .where(column.is_not(None), func.substr(column, 1, len(prefix)) != prefix)
            )
            if count:
                left[f"{spec.name}.{sealed.column}"] = int(count)
    return left


def check_key(*, session: Session, keyring: Keyring) -> None:
    """Refuse to run with a key a rotation retired (or mid-rotation without both keys): a clear
    error at start instead of failures on every read."""
    latest = session.scalar(select(KeyRotation).order_by(KeyRotation.id.desc()).limit(1))
    if latest is None or latest.to_key_id == keyring.key_id:
        if latest is not None and latest.finished_at is None:
            _check_both_keys(latest, keyring)
        return
    if latest.from_key_id == keyring.key_id:
        raise ConfigurationError(
            f"TIPNET_SECRET_KEY is key {keyring.key_id}, which the rotation to key "
            f"{latest.to_key_id} (started {latest.started_at:%Y-%m-%d %H:%M} UTC) "
            + ("retired" if latest.finished_at else "is retiring")
            + ": set TIPNET_SECRET_KEY to the new key"
            + ("" if latest.finished_at else " and TIPNET_PREVIOUS_SECRET_KEY to this one")
        )
    raise ConfigurationError(
        f"TIPNET_SECRET_KEY is key {keyring.key_id}, but this node's data is under key "
        f"{latest.to_key_id} since its last key rotation: set TIPNET_SECRET_KEY to that key"
    )


def _check_both_keys(rotation: KeyRotation, keyring: Keyring) -> None:
    if keyring.previous_key_id != rotation.from_key_id:
        raise ConfigurationError(
            f"a key rotation from key {rotation.from_key_id} to {rotation.to_key_id} is under "
            "way: set TIPNET_PREVIOUS_SECRET_KEY to the old key until `tipnet admin rotate-key` "
            "has finished"
        )


def _keyring(new_key: bytes, old_key: bytes) -> Keyring:
    try:
        return Keyring(new_key, previous=old_key)
    except ValueError as error:
        raise RotationRefused(
            "the new key is the key the node runs with now: make a new one with "
            "`tipnet admin gen-key`"
        ) from error


def _start_or_resume(
    session: Session, keyring: Keyring, old_audit_key: AuditKey, actor: Actor
) -> tuple[KeyRotation, bool]:
    latest = session.scalar(select(KeyRotation).order_by(KeyRotation.id.desc()).limit(1))
    old_id = keyring.previous_key_id or ""
    if latest is not None and (latest.from_key_id, latest.to_key_id) == (old_id, keyring.key_id):
        return latest, True
    if latest is not None and latest.finished_at is None:
        raise RotationRefused(
            f"the rotation from key {latest.from_key_id} to key {latest.to_key_id} "
            f"(started {latest.started_at:%Y-%m-%d %H:%M} UTC) was interrupted: run it again "
            f"with those keys to finish it (this call gave old key {old_id}, new key "
            f"{keyring.key_id})"
        )
    if latest is not None and latest.to_key_id != old_id:
        raise RotationRefused(
            f"the old key given (key {old_id}) is not the node's key: its last rotation put "
            f"key {latest.to_key_id} in place"
        )
    _check_old_key(session, keyring, old_audit_key)
    rotation = KeyRotation(
        from_key_id=old_id,
        to_key_id=keyring.key_id,
        started_by=actor.name,
        table_name=TABLES[0].name,
        rows_rewritten=0,
    )
    session.add(rotation)
    session.flush()
    return rotation, False


def _check_old_key(session: Session, keyring: Keyring, old_audit_key: AuditKey) -> None:
    """A wrong old key is refused before anything is written: the first stored value of each
    table must open with one of the two keys, and the audit head's MAC must be the old key's."""
    for spec in TABLES:
        table = _table(spec)
        for sealed in spec.sealed:
            column = table.c[sealed.column]
            names = [table.c[name] for name in (*spec.key, *spec.reads)]
            row = session.execute(
                select(column, *names).where(column.is_not(None)).limit(1)
            ).first()
            if row is None:
                continue
            try:
                keyring.decrypt(row[0], context=sealed.context_for(dict(row._mapping)))
            except DecryptionFailed as error:
                raise RotationRefused(
                    f"the old key given (key {keyring.previous_key_id}) does not open this "
                    f"node's data ({spec.name}.{sealed.column}: {error}): give the key the "
                    "node has been running with"
                ) from None
    head = session.get(AuditHead, audit_service.HEAD_ROW_ID)
    if (
        head is not None
        and head.mac is not None
        and not old_audit_key.checks(head.seq, head.hash, head.mac)
    ):
        raise RotationRefused(
            f"the old key given (key {keyring.previous_key_id}) did not write the audit log's "
            "latest event: give the key the node has been running with"
        )


def _rewrite_tables(
    factory: sessionmaker[Session],
    keyring: Keyring,
    rotation_id: int,
    batch: int,
    progress: Progress | None,
) -> None:
    names = [spec.name for spec in TABLES]
    with factory() as session:
        rotation = session.get_one(KeyRotation, rotation_id)
        # None: every table is done, only the audit anchor is missing
        start = names.index(rotation.table_name) if rotation.table_name else len(names)
    for spec in TABLES[start:]:
        while True:
            with transaction(factory) as session:
                looked = _rewrite_batch(session, keyring, spec, rotation_id, batch)
            if progress is not None:
                progress(spec.name, looked)
            if not looked:
                break


def _rewrite_batch(
    session: Session, keyring: Keyring, spec: Table, rotation_id: int, batch: int
) -> int:
    """One batch of ``spec``'s rows after the cursor; moves the cursor (to the next table when
    this one is done). Returns how many rows it looked at, 0 when the table was done."""
    rotation = session.get_one(KeyRotation, rotation_id, with_for_update=True)
    table = _table(spec)
    page = table.c[spec.page]
    query = select(page).distinct().order_by(page).limit(batch)
    if rotation.table_name == spec.name and rotation.cursor is not None:
        query = query.where(page > _parse(page.type.python_type, rotation.cursor))
    pages = session.scalars(query).all()
    if not pages:
        rotation.table_name, rotation.cursor = _next_table(spec), None
        return 0
    wanted = {*spec.key, *spec.reads, *(s.column for s in spec.sealed)}
    wanted |= {d.column for d in spec.derived}
    rows = session.execute(
        select(*(table.c[name] for name in sorted(wanted))).where(page.in_(pages)).with_for_update()
    ).mappings()
    step = Step(keyring, session)
    rewritten = sum(_rewrite_row(session, step, spec, table, dict(row)) for row in rows.all())
    rotation.table_name, rotation.cursor = spec.name, str(pages[-1])
    rotation.rows_rewritten += rewritten
    return len(pages)


def _rewrite_row(
    session: Session, step: Step, spec: Table, table: SqlTable, row: dict[str, Any]
) -> int:
    plain = dict(row)
    changes: dict[str, Any] = {}
    for sealed in spec.sealed:
        stored = row[sealed.column]
        if stored is None:
            continue
        context = sealed.context_for(row)
        try:
            plain[sealed.column] = step.keyring.decrypt(stored, context=context)
        except DecryptionFailed as error:
            raise RotationRefused(
                f"{spec.name}.{sealed.column} of row {_row_key(spec, row)} opens with neither "
                f"key ({error}); nothing of this batch was written. Restore the row from a "
                "backup, then run the rotation again: it resumes here"
            ) from None
        if not step.keyring.is_current(stored):
            changes[sealed.column] = step.keyring.encrypt(plain[sealed.column], context=context)
    for derived in spec.derived:
        value = derived.compute(step, plain)
        if value != row[derived.column]:
            changes[derived.column] = value
    if not changes:
        return 0
    where = [table.c[name] == row[name] for name in spec.key]
    session.execute(update(table).where(*where).values(changes))
    return 1


def _finish(
    session: Session, rotation_id: int, new_key: bytes, old_key: bytes, actor: Actor
) -> KeyRotation:
    """Anchor the audit log under the new key and close the rotation, in one transaction."""
    rotation = session.get_one(KeyRotation, rotation_id, with_for_update=True)
    head = session.get_one(AuditHead, audit_service.HEAD_ROW_ID)
    details = {
        "from_key": rotation.from_key_id,
        "to_key": rotation.to_key_id,
        "anchor": f"{head.seq}:{head.hash}",
        # the retiring key vouches for the head too, for whoever kept it
        "previous_key_mac": AuditKey.from_master(old_key).mac(head.seq, head.hash),
        "rows_rewritten": rotation.rows_rewritten,
    }
    event = Event(actor, ROTATED_ACTION, "node_key", rotation.to_key_id, details)
    audit_service.record_many(session=session, events=[event], key=AuditKey.from_master(new_key))
    rotation.finished_at, rotation.table_name, rotation.cursor = utcnow(), None, None
    return rotation


def _restart_cursor(session: Session, rotation_id: int) -> None:
    rotation = session.get_one(KeyRotation, rotation_id, with_for_update=True)
    rotation.table_name, rotation.cursor = TABLES[0].name, None


def _next_table(spec: Table) -> str | None:
    names = [table.name for table in TABLES]
    index = names.index(spec.name) + 1
    return names[index] if index < len(names) else None


def _table(spec: Table) -> SqlTable:
    return Base.metadata.tables[spec.name]


def _parse(python_type: type, text: str) -> Any:
    return uuid.UUID(text) if python_type is uuid.UUID else python_type(text)


def _row_key(spec: Table, row: dict[str, Any]) -> str:
    return ", ".join(f"{name}={row[name]}" for name in spec.key)


def rotations(*, session: Session) -> Sequence[KeyRotation]:
    return session.scalars(select(KeyRotation).order_by(KeyRotation.id)).all()
