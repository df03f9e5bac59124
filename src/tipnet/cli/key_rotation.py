"""`tipnet admin rotate-key` and `tipnet admin key-status` (registered in :mod:`tipnet.cli.admin`).

The node stops only for the switch: start it with TIPNET_SECRET_KEY=<new> and
TIPNET_PREVIOUS_SECRET_KEY=<old> (it reads values under either key and looks blind indexes up
under both), run `tipnet admin rotate-key`, then drop the previous key. With the node stopped,
`TIPNET_NEW_SECRET_KEY=<new> tipnet admin rotate-key` next to the old TIPNET_SECRET_KEY does the
same offline.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, sessionmaker

from tipnet.cli.common import cli_actor, console, context, friendly_errors, say
from tipnet.config import Settings, decode_key
from tipnet.db import Base
from tipnet.errors import InvalidInput
from tipnet.keyrotation import service
from tipnet.keyrotation.registry import TABLES

NEW_KEY_ENV = "TIPNET_NEW_SECRET_KEY"


@friendly_errors
def rotate_key(
    new_key_file: Path | None = typer.Option(
        None,
        "--new-key-file",
        help="File with the new key (as `tipnet admin gen-key` prints it); or set "
        f"{NEW_KEY_ENV}. Not needed if the node already runs with TIPNET_SECRET_KEY=<new> and "
        "TIPNET_PREVIOUS_SECRET_KEY=<old>.",
    ),
    batch: int = typer.Option(500, min=1, max=100_000, help="Rows per transaction."),
) -> None:
    """Re-encrypt every personal field and rebuild every blind index under a new key, in
    batches; anchor the audit log under it. Interrupted, run it again: it resumes."""
    ctx = context()
    new_key, old_key = _keys(ctx.settings, new_key_file)
    totals = _totals(ctx.session_factory)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
        tasks = {name: bar.add_task(name, total=total) for name, total in totals.items()}
        result = service.rotate(
            session_factory=ctx.session_factory,
            new_key=new_key,
            old_key=old_key,
            actor=cli_actor(),
            batch=batch,
            progress=lambda table, rows: bar.advance(tasks[table], rows),
        )
    _tell_operator(result)


@friendly_errors
def key_status() -> None:
    """Which key the node runs with, the last rotation, and values not yet under the key."""
    ctx = context()
    keyring = ctx.settings.keyring()
    previous = keyring.previous_key_id
    say(f"key {keyring.key_id}" + (f", previous key {previous}" if previous else ""))
    with ctx.session_factory() as session:
        for rotation in service.rotations(session=session):
            state = (
                f"finished {rotation.finished_at:%Y-%m-%d %H:%M}"
                if rotation.finished_at
                else f"unfinished, at {rotation.table_name}"
            )
            say(
                f"rotation {rotation.from_key_id} -> {rotation.to_key_id}: {state}, "
                f"{rotation.rows_rewritten} rows rewritten"
            )
        left = service.stale_values(session=session, keyring=keyring)
        service.check_key(session=session, keyring=keyring)
    say(f"values not under key {keyring.key_id}: {sum(left.values())}")


def _keys(settings: Settings, new_key_file: Path | None) -> tuple[bytes, bytes]:
    """(new, old) from the options and settings; one clear error for each way it can be wrong."""
    current = settings.secret_key_bytes()
    previous = settings.previous_secret_key_bytes()
    given = _given_new_key(new_key_file)
    if given is None:
        if previous is None:
            raise InvalidInput(
                f"no new key: pass --new-key-file or set {NEW_KEY_ENV} (make one with "
                "`tipnet admin gen-key`), or run with TIPNET_SECRET_KEY=<new> and "
                "TIPNET_PREVIOUS_SECRET_KEY=<old>"
            )
        return current, previous
    if given == current:
        if previous is None:
            raise InvalidInput(
                "the new key is TIPNET_SECRET_KEY already: set TIPNET_PREVIOUS_SECRET_KEY to the "
                "old key, or TIPNET_SECRET_KEY back to the old key"
            )
        return given, previous
    if previous is not None:
        raise InvalidInput(
            "TIPNET_PREVIOUS_SECRET_KEY is set and the new key given is not TIPNET_SECRET_KEY: "
            "give either the new key (old key in TIPNET_SECRET_KEY) or both keys in settings"
        )
    return given, current


def _given_new_key(path: Path | None) -> bytes | None:
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInput(f"cannot read the new key from {path}: {error}") from None
    else:
        text = os.environ.get(NEW_KEY_ENV, "")
        if not text.strip():
            return None
    # accept the line gen-key prints ("TIPNET_SECRET_KEY=...") as well as the bare key
    value = text.strip().split("=", 1)[1] if text.strip().startswith("TIPNET_") else text
    try:
        return decode_key(value, "the new key")
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _totals(factory: sessionmaker[Session]) -> dict[str, int]:
    totals: dict[str, int] = {}
    with factory() as session:
        for spec in TABLES:
            page = Base.metadata.tables[spec.name].c[spec.page]
            totals[spec.name] = int(session.scalar(select(func.count(distinct(page)))) or 0)
    return totals


def _tell_operator(result: service.RotationResult) -> None:
    if result.already_done:
        say(
            f"the rotation from key {result.from_key_id} to key {result.to_key_id} had "
            "finished already: nothing to do"
        )
    else:
        say(
            f"rotation finished: {result.rows_rewritten} rows rewritten from key "
            f"{result.from_key_id} to key {result.to_key_id}; the audit log is anchored "
            "under the new key (audit.key_rotated)"
        )
    say(
        "Now: set TIPNET_SECRET_KEY to the new key wherever the node runs, remove "
        "TIPNET_PREVIOUS_SECRET_KEY (and TIPNET_NEW_SECRET_KEY), and restart it. Nothing in "
        f"the database opens with the old key {result.from_key_id} any more, but backups taken "
        "before the rotation and the digests in earlier audit events still need it: keep it "
        "offline, apart from those backups, until they expire, then destroy it."
    )
