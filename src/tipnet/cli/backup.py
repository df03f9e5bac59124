"""`tipnet admin backup` and `tipnet admin restore`: a node's database to one file and back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from tipnet import backup as service
from tipnet.audit import service as audit
from tipnet.cli.common import console, context, errors, friendly_errors
from tipnet.db import make_engine


@friendly_errors
def backup(
    out: Path | None = typer.Option(
        None,
        "--out",
        help="The backup file to write (a .tar); default tipnet-backup-<UTC time>.tar here.",
    ),
) -> None:
    """Back up the node's database (SQLite online backup, or pg_dump on PostgreSQL) with a
    manifest of its schema revision, row counts and audit head. The node may keep running.

    The secret key is NOT in the backup: keep TIPNET_SECRET_KEY apart; without it the personal
    fields in a restored database cannot be read."""
    ctx = context()
    target = out or Path(f"tipnet-backup-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.tar")
    result = service.backup(engine=ctx.engine, url=ctx.settings.database_url, out=target)
    head = result.manifest["audit_head"] or {"seq": 0, "hash": audit.GENESIS_HASH}
    console.print(
        f"backup written: {result.path} ({result.manifest['data']['bytes']:,} bytes of data, "
        f"schema {result.manifest['schema_revision']}, audit head {head['seq']})"
    )


@friendly_errors
def restore(
    path: Path = typer.Argument(..., help="A backup file written by `tipnet admin backup`."),
    force: bool = typer.Option(
        False, "--force", help="Replace a database that is not empty (stop the node first)."
    ),
) -> None:
    """Restore a backup into the database TIPNET_DATABASE_URL names, then check it: schema
    revision, every table's row count and the audit chain must match the backup's manifest.
    Exit 1 if any check fails."""
    ctx = context()
    result = service.restore(
        path=path,
        url=ctx.settings.database_url,
        force=force,
        open_engine=lambda: make_engine(ctx.settings),
        check_audit=_verify_audit,
    )
    if result.ok:
        rows = sum(result.manifest["row_counts"].values())
        console.print(
            f"restored {path}: {rows:,} rows in {len(result.manifest['row_counts'])} tables; "
            "schema, row counts and audit chain verified"
        )
        return
    for problem in result.problems:
        errors.print(f"[red]restore check failed:[/red] {escape(problem)}")
    raise typer.Exit(1)


def _verify_audit(session: Session) -> tuple[bool, int, str, list[str]]:
    verified = audit.verify(session=session)
    return verified.ok, verified.head_seq, verified.head_hash, verified.problems
