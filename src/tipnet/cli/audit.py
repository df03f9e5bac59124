"""`tipnet audit`: check the audit log has not been edited, truncated or rewritten."""

from __future__ import annotations

import typer

from tipnet.audit import service
from tipnet.cli.common import console, context, errors, friendly_errors

app = typer.Typer(
    help="Inspect and verify the hash-chained, keyed audit log.", no_args_is_help=True
)


@app.command()
@friendly_errors
def verify(
    checkpoint: str | None = typer.Option(
        None,
        "--checkpoint",
        metavar="SEQ:HASH",
        help="A checkpoint printed by an earlier verify and kept outside this node. The log "
        "must still hold exactly that event: it may have grown since, but a log cut short "
        "or rewritten before that event fails.",
    ),
    expect_head: str | None = typer.Option(
        None,
        "--expect-head",
        metavar="SEQ:HASH|HASH",
        help="Older name of --checkpoint; also takes a bare head hash, matched against "
        "whichever event has it (not only the current head).",
    ),
) -> None:
    """Recompute the hash chain and each event's MAC (keyed by TIPNET_SECRET_KEY).

    Exits 1 and lists each problem if a row was edited, inserted or deleted, if the chain was
    recomputed without the node's key, or if the log no longer holds the checkpoint given.
    Events written before the chain was keyed are counted as unanchored (a warning). On
    success, prints the head as a checkpoint SEQ:HASH (and its MAC): keep it somewhere the
    database's administrators cannot write, and pass it to a later verify to detect a
    truncated or rewritten log.
    """
    if checkpoint is not None and expect_head is not None:
        errors.print("[red]error:[/red] give --checkpoint or --expect-head, not both")
        raise typer.Exit(1)
    ctx = context()
    with ctx.session_factory() as session:
        result = service.verify(session=session, checkpoint=checkpoint or expect_head)
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}")
    if result.ok:
        console.print(
            f"audit log intact: {result.events_checked} events "
            f"({result.unanchored} unanchored)\n"
            f"checkpoint {result.checkpoint}\nmac {result.head_mac or '-'}\n"
            "Keep the checkpoint elsewhere and pass it to --checkpoint later to detect "
            "truncation or rewriting.",
            soft_wrap=True,  # the checkpoint is machine input: never wrapped
        )
        return
    for problem in result.problems:
        errors.print(f"[red]broken:[/red] {problem}", soft_wrap=True)
    errors.print(f"{len(result.problems)} problem(s) in {result.events_checked} events")
    raise typer.Exit(1)
