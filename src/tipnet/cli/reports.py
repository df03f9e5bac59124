"""`tipnet reports`: bulk intake of report files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.orm import Session, sessionmaker

from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.models import User
from tipnet.auth.permissions import Permission, Role, role_has
from tipnet.cli.common import console, context, friendly_errors
from tipnet.errors import InvalidInput, PermissionDenied
from tipnet.reports import bulk, ingest
from tipnet.reports.service import Submitter

app = typer.Typer(help="Report intake from files.", no_args_is_help=True)


@app.command("ingest")
@friendly_errors
def ingest_command(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="JSONL (one report body per line) or CSV file.",
    ),
    as_user: str = typer.Option(..., "--as", help="The reporter user the reports are filed as."),
    file_format: str | None = typer.Option(
        None, "--format", help="jsonl or csv (default: by extension)."
    ),
    rejects: Path | None = typer.Option(
        None, help="Where bad lines go (default: FILE.rejects.jsonl)."
    ),
    restart: bool = typer.Option(False, help="Ignore saved progress and read from the first line."),
) -> None:
    """File every report in FILE. Bad lines are written, with line number and reason, to the
    rejects file while good lines go in. An interrupted run resumes where it stopped when run
    again, without duplicates.

    CSV columns: reporter_report_id, incident_type, incident_time, urgency, summary, platform,
    urls, phones, emails, handles, wallets, jurisdiction (lists separated by '|').
    """
    chosen = _format(file, file_format)
    rejects_path = rejects or file.with_name(file.name + ".rejects.jsonl")
    ctx = context()
    submitter = _submitter(ctx.session_factory, as_user)
    total = _count_lines(file)
    with Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("lines", total=total)
        result = ingest.ingest_file(
            session_factory=ctx.session_factory,
            keyring=ctx.keyring,
            submitter=submitter,
            path=file,
            file_format=chosen,
            rejects_path=rejects_path,
            restart=restart,
            on_line=lambda line: progress.update(task, completed=line),
        )
        progress.update(task, completed=total)
    if result.resumed_after_line:
        console.print(f"resumed after line {result.resumed_after_line}")
    console.print(
        f"accepted {result.accepted}, already received {result.duplicates}, "
        f"rejected {result.rejected}" + (f" (see {rejects_path})" if result.rejected else "")
    )
    if result.rejected:
        raise typer.Exit(2)


def _format(file: Path, given: str | None) -> bulk.FileFormat:
    if given is None:
        return bulk.detect_format(file)
    if given not in ("jsonl", "csv"):
        raise InvalidInput(f"--format must be jsonl or csv, not {given!r}")
    return "jsonl" if given == "jsonl" else "csv"


def _submitter(session_factory: sessionmaker[Session], username: str) -> Submitter:
    with session_factory() as session:
        user: User = auth_service.get_user_by_name(session=session, username=username)
        if not role_has(Role(user.role), Permission.REPORT_SUBMIT):
            raise PermissionDenied(
                f"user {username!r} is a(n) {user.role}; only reporters file reports"
            )
        return Submitter(
            user.id, user.organisation_id, Actor(f"ingest:{username}", user.organisation_id)
        )


def _count_lines(file: Path) -> int:
    with file.open("rb") as handle:
        return sum(1 for _ in handle)
