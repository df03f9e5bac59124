"""`tipnet audit`: check the audit log has not been edited, truncated or rewritten."""

from __future__ import annotations

import base64

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from tipnet.audit import checkpoints, service
from tipnet.cli.common import Context, cli_actor, console, context, errors, friendly_errors
from tipnet.crypto import DecryptionFailed
from tipnet.federation import node as federation_node

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
    Events written before the chain was keyed are counted as unanchored (a warning). If the
    node has a federation identity, the checkpoints signed by `tipnet audit checkpoint` are
    checked too. On success, prints the head as a checkpoint SEQ:HASH (and its MAC): keep it
    somewhere the database's administrators cannot write, and pass it to a later verify to
    detect a truncated or rewritten log.
    """
    if checkpoint is not None and expect_head is not None:
        errors.print("[red]error:[/red] give --checkpoint or --expect-head, not both")
        raise typer.Exit(1)
    ctx = context()
    with ctx.session_factory() as session:
        result = service.verify(session=session, checkpoint=checkpoint or expect_head)
        signed = _signed_checkpoints(ctx, session)
    for warning in result.warnings:
        errors.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)
    problems = result.problems + (signed.problems if signed else [])
    if not problems:
        console.print(
            f"audit log intact: {result.events_checked} events "
            f"({result.unanchored} unanchored)\n"
            + (f"{signed.checked} signed checkpoint(s) hold\n" if signed else "")
            + f"checkpoint {result.checkpoint}\nmac {result.head_mac or '-'}\n"
            "Keep the checkpoint elsewhere and pass it to --checkpoint later to detect "
            "truncation or rewriting.",
            soft_wrap=True,  # the checkpoint is machine input: never wrapped
        )
        return
    for problem in problems:
        errors.print(f"[red]broken:[/red] {escape(problem)}", soft_wrap=True)
    errors.print(f"{len(problems)} problem(s) in {result.events_checked} events")
    raise typer.Exit(1)


@app.command()
@friendly_errors
def checkpoint() -> None:
    """Verify the log, then sign its head with this node's Ed25519 identity (`tipnet node
    init`) and store the signed checkpoint, which every later verify checks. Prints the
    checkpoint and its signature: keep a copy elsewhere too."""
    ctx = context()
    with ctx.transaction() as session:
        local = federation_node.load(session=session, keyring=ctx.keyring)
        signed = checkpoints.sign_head(
            session=session,
            private_key=local.identity.private_key,
            node_id=local.node_id,
            actor=cli_actor(),
        )
    console.print(
        f"checkpoint {signed.checkpoint}\nsigned by {signed.node_id} at "
        f"{signed.at.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        f"signature {base64.b64encode(signed.signature).decode()}",
        soft_wrap=True,
    )


def _signed_checkpoints(ctx: Context, session: Session) -> checkpoints.CheckpointsResult | None:
    """The stored signed checkpoints, checked with the node's own key; None before node init."""
    try:
        local = federation_node.load(session=session, keyring=ctx.keyring)
    except federation_node.NodeNotInitialised:
        return None
    except DecryptionFailed:
        problem = "signed checkpoints not checked: the node's key does not open with this key"
        return checkpoints.CheckpointsResult(0, None, [problem])
    public_key = local.identity.private_key.public_key()
    return checkpoints.verify_signed(session=session, public_key=public_key, node_id=local.node_id)
