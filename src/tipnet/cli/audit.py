"""`tipnet audit`: check the audit log has not been edited."""

from __future__ import annotations

import typer

from tipnet.audit import service
from tipnet.cli.common import console, context, errors, friendly_errors

app = typer.Typer(help="Inspect and verify the hash-chained audit log.", no_args_is_help=True)


@app.command()
@friendly_errors
def verify(
    expect_head: str | None = typer.Option(
        None,
        help="Head hash recorded earlier (e.g. printed by a previous verify); detects a "
        "truncated log.",
    ),
) -> None:
    """Recompute the hash chain; exit 1 and list each broken link if any row was edited,
    inserted or deleted."""
    ctx = context()
    with ctx.session_factory() as session:
        result = service.verify(session=session, expect_head=expect_head)
    if result.ok:
        console.print(
            f"audit log intact: {result.events_checked} events; head {result.head_seq} "
            f"{result.head_hash}\nKeep this head hash elsewhere to detect truncation later."
        )
        return
    for problem in result.problems:
        errors.print(f"[red]broken:[/red] {problem}")
    errors.print(f"{len(result.problems)} problem(s) in {result.events_checked} events")
    raise typer.Exit(1)
