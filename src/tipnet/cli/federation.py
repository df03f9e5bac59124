"""`tipnet node`, `tipnet peers` and `tipnet federation`: this node's identity, its peers and
their agreements, and the federation's queries, feed sync, outbox delivery and cooperation
requests."""

from __future__ import annotations

import asyncio
import base64
import uuid
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from tipnet.cli.common import (
    Context,
    cli_actor,
    console,
    context,
    errors,
    friendly_errors,
    print_json,
    print_raw,
    say,
)
from tipnet.errors import InvalidInput
from tipnet.federation import cooperation, hits, node, outbox, peers, pprl, sharing
from tipnet.federation.context import FederationContext
from tipnet.federation.deadlines import ResponseWindows
from tipnet.federation.schemas import (
    AGREEMENT_KINDS,
    CooperationStatus,
    CooperationSummary,
    Direction,
    Level,
    SelectorQuery,
)
from tipnet.identifiers.selectors import SelectorKind
from tipnet.link.hashlists import read_hash_list

node_app = typer.Typer(help="This node's federation identity.", no_args_is_help=True)
peers_app = typer.Typer(help="Peers and their sharing agreements.", no_args_is_help=True)
federation_app = typer.Typer(
    help="Private hit/no-hit queries, feed sync, outbox delivery and cooperation requests.",
    no_args_is_help=True,
)

KINDS_HELP = f"Comma-separated kinds the peer may query here, among {', '.join(AGREEMENT_KINDS)}."


@node_app.command("init")
@friendly_errors
def init(
    country: str = typer.Option(..., help="ISO 3166-1 alpha-3 code of the member state."),
    name: str = typer.Option(..., help="The node's name, e.g. 'Spain - national contact point'."),
    url: str = typer.Option(..., help="Base URL peers reach this node at."),
) -> None:
    """Create this node's Ed25519 identity and OPRF keys (once), and print its descriptor
    (on stdout, alone: `tipnet node init ... > node.json` keeps it; notes go to stderr)."""
    ctx = context()
    with ctx.transaction() as session:
        descriptor = node.init_node(
            session=session,
            keyring=ctx.keyring,
            country=country,
            name=name,
            url=url,
            actor=cli_actor(),
        )
    say(f"node {descriptor.node_id} created; fingerprint {descriptor.fingerprint}", to_stderr=True)
    say("hand this descriptor to peers (`tipnet node descriptor` prints it again):", to_stderr=True)
    print_raw(descriptor.to_json())


@node_app.command("descriptor")
@friendly_errors
def show_descriptor(
    out: Path | None = typer.Option(None, help="Write it to this file instead of printing."),
) -> None:
    """Print this node's signed descriptor, the file peers register it from."""
    ctx = context()
    with ctx.session_factory() as session:
        descriptor = node.descriptor(session=session, keyring=ctx.keyring)
    if out is None:
        print_raw(descriptor.to_json())  # never wrapped: a wrapped line breaks the signature
        return
    out.write_text(descriptor.to_json() + "\n", encoding="utf-8")
    say(f"descriptor of {descriptor.node_id} written to {out}")
    say(f"fingerprint {descriptor.fingerprint}: compare it with the peer by phone")


@node_app.command("pprl-secret")
@friendly_errors
def pprl_secret(
    generate: bool = typer.Option(False, help="Make a new secret (once per federation)."),
    secret: str | None = typer.Option(
        None, "--set", help="The federation's secret (base64), as its first node printed it."
    ),
) -> None:
    """Set the federation's shared secret for person encodings. One node generates it and the
    others set the same one (handed over out of band, like descriptors); nodes whose scheme
    fingerprints differ cannot match persons."""
    if generate == (secret is not None):
        raise InvalidInput("give either --generate or --set SECRET")
    raw = pprl.new_secret() if generate else _base64(secret or "")
    ctx = context()
    with ctx.transaction() as session:
        scheme = node.set_pprl_secret(
            session=session, keyring=ctx.keyring, secret=raw, actor=cli_actor()
        )
    if generate:  # the secret alone on stdout, the notes on stderr: SECRET=$(...) works
        say("federation secret (hand it to every other node, out of band):", to_stderr=True)
        print_raw(base64.b64encode(raw).decode())
    say(
        f"scheme fingerprint {scheme}: every node of the federation must show it",
        to_stderr=generate,
    )


@peers_app.command("add")
@friendly_errors
def add(
    descriptor_file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The peer's descriptor file."
    ),
    kinds: str = typer.Option(",".join(peers.DEFAULT_KINDS), help=KINDS_HELP),
    rate_limit: int = typer.Option(
        peers.DEFAULT_RATE_LIMIT, help="Elements per hour the peer may have evaluated here."
    ),
    image_lists: bool = typer.Option(
        False, "--image-lists/--no-image-lists", help="May the peer pull image hash lists?"
    ),
) -> None:
    """Register a peer from its descriptor, with what it may ask of this node. Compare the
    fingerprint printed here with the peer's administrator before relying on it."""
    ctx = context()
    with ctx.transaction() as session:
        peer = peers.add_peer(
            session=session,
            descriptor=descriptor_file.read_text(encoding="utf-8"),
            actor=cli_actor(),
            kinds=kinds.split(","),
            rate_limit=rate_limit,
            image_lists=image_lists,
        )
    say(
        f"peer {peer.id} {peer.node_id} ({peer.country}, {peer.name}) at {peer.url} added; "
        f"fingerprint {peer.fingerprint}"
    )


@peers_app.command("list")
@friendly_errors
def list_command(
    all_peers: bool = typer.Option(False, "--all", help="Include removed peers."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Registered peers and their agreements."""
    ctx = context()
    with ctx.session_factory() as session:
        found = peers.list_peers(session=session, keyring=ctx.keyring, include_removed=all_peers)
    if as_json:
        print_json([peer.model_dump(mode="json") for peer in found])
        return
    table = Table(
        "id", "node id", "country", "name", "url", "kinds", "rate/h", "images", "state", "health"
    )
    for peer in found:
        table.add_row(  # names and URLs come from the peers' descriptors: text, not markup
            str(peer.id),
            escape(peer.node_id),
            escape(peer.country),
            escape(peer.name),
            escape(peer.url),
            ",".join(peer.kinds),
            str(peer.rate_limit),
            "yes" if peer.image_lists else "no",
            "active" if peer.active else "removed",
            escape(peer.health.summary),  # names a peer's failure: text, not markup
        )
    console.print(table)


@peers_app.command("update")
@friendly_errors
def update(
    peer_id: int = typer.Argument(..., help="Peer id, from `tipnet peers list`."),
    kinds: str | None = typer.Option(None, help=KINDS_HELP),
    rate_limit: int | None = typer.Option(None, help="Elements per hour."),
    image_lists: bool | None = typer.Option(None, "--image-lists/--no-image-lists"),
) -> None:
    """Change a peer's agreement."""
    ctx = context()
    with ctx.transaction() as session:
        peer = peers.update_agreement(
            session=session,
            peer_id=peer_id,
            actor=cli_actor(),
            kinds=kinds.split(",") if kinds is not None else None,
            rate_limit=rate_limit,
            image_lists=image_lists,
        )
    say(f"peer {peer.id} may query {','.join(peer.kinds) or 'nothing'}")


@peers_app.command("remove")
@friendly_errors
def remove(peer_id: int = typer.Argument(..., help="Peer id, from `tipnet peers list`.")) -> None:
    """Stop trusting a peer: its requests are refused from now on (its history is kept)."""
    ctx = context()
    with ctx.transaction() as session:
        peer = peers.remove_peer(session=session, peer_id=peer_id, actor=cli_actor())
    say(f"peer {peer.id} {peer.node_id} ({peer.name}) removed")


@federation_app.command("share")
@friendly_errors
def share(
    report_ids: list[str] = typer.Argument(..., help="Report ids."),
    level: Level = typer.Option(..., help="local (this node only), peers, or federation."),
    peer: list[str] = typer.Option([], help="Node id of a peer that may match (level peers)."),
) -> None:
    """Set who may match these reports, and publish or withdraw their entries."""
    ctx = context()
    with ctx.transaction() as session:
        results = sharing.set_distribution(
            session=session,
            keyring=ctx.keyring,
            local=node.load(session=session, keyring=ctx.keyring),
            report_ids=[_report_id(text) for text in report_ids],
            level=level,
            peer_node_ids=peer,
            actor=cli_actor(),
        )
    for result in results:
        shared = ", ".join(f"{count} {kind}" for kind, count in sorted(result.shared.items()))
        say(f"{result.report_id}: {result.level.value} ({shared or 'nothing shared'})")


@federation_app.command("hash-list")
@friendly_errors
def hash_list(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="CSV with a pdq_hex column."
    ),
    name: str = typer.Option(..., help="The list's name; sharing a name again replaces it."),
    level: Level = typer.Option(..., help="local (withdraw), peers, or federation."),
    peer: list[str] = typer.Option([], help="Node id of a peer that may pull it (level peers)."),
) -> None:
    """Share a PDQ hash list (ThreatExchange-style CSV) with the peers allowed image lists;
    they pull it with their feed and match their images against it locally."""
    hashes = read_hash_list(file)
    ctx = context()
    with ctx.transaction() as session:
        shared = sharing.share_hash_list(
            session=session,
            keyring=ctx.keyring,
            name=name,
            hashes=[row.tobytes() for row in hashes.hashes],
            level=level,
            peer_node_ids=peer,
            actor=cli_actor(),
        )
    rejected = sum(hashes.reject_counts.values())
    say(
        f"hash list {shared.name!r}: {shared.hashes} hashes shared ({shared.level.value}); "
        f"{rejected} rows skipped" + (f" ({dict(hashes.reject_counts)})" if rejected else "")
    )


@federation_app.command("query")
@friendly_errors
def query(
    values: list[str] = typer.Argument(..., help="Selectors to look for (up to 10,000)."),
    kind: SelectorKind = typer.Option(..., help="What the values are."),
    country: str | None = typer.Option(None, help="Country to read national phone numbers in."),
    platform: str | None = typer.Option(None, help="Platform of handles."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Ask every peer, privately, which of these selectors it holds. Only blinded values leave
    this node; hits come with the peer's reference for a cooperation request."""
    ctx = context()
    request = SelectorQuery.model_validate(
        {"kind": kind, "values": values, "country": country, "platform": platform}
    )
    result = asyncio.run(hits.query_selectors(_federation(ctx), request, actor=cli_actor()))
    if as_json:
        print_raw(result.model_dump_json(indent=2))
        return
    for rejected in result.rejected:
        message = escape(f"{rejected.value!r}: {rejected.message}")
        errors.print(f"[yellow]not asked:[/yellow] {message}", soft_wrap=True)
    table = Table("peer", "country", "status", "selector", "reference")
    for outcome in result.peers:
        rows = [(hit.value, hit.reference) for hit in outcome.hits] or [("", outcome.detail or "")]
        for value, reference in rows:
            cells = (outcome.node_id, outcome.country, outcome.status, value, reference)
            table.add_row(*map(escape, cells))
    console.print(table)
    if result.partial:
        console.print("[yellow]partial results:[/yellow] some peers did not answer (see status)")


@federation_app.command("sync")
@friendly_errors
def sync() -> None:
    """Bring this node's copies of the peers' feeds up to date."""
    ctx = context()
    outcomes = asyncio.run(hits.sync_all(_federation(ctx), actor=cli_actor()))
    for outcome in outcomes:
        detail = f": {outcome.detail}" if outcome.detail else ""
        say(
            f"{outcome.node_id} {outcome.status}: +{outcome.added} -{outcome.removed}, "
            f"{outcome.entries} entries{detail}"
        )


@federation_app.command("deliver")
@friendly_errors
def deliver(
    loop: bool = typer.Option(False, help="Keep delivering until interrupted."),
    now: bool = typer.Option(False, help="Retry every pending message now, not when due."),
    interval: float = typer.Option(2.0, help="Seconds between rounds with --loop."),
) -> None:
    """Deliver the outbox (cooperation requests and answers) to peers. `tipnet serve` does it
    in the background too; this is for nodes run without it, or to retry now."""
    ctx = context()
    federation = _federation(ctx)
    if loop:
        asyncio.run(outbox.run(federation, asyncio.Event(), interval))
        return
    report = asyncio.run(outbox.deliver_due(federation, now_all=now))
    console.print(
        f"delivered {report.delivered}, will retry {report.retrying}, failed {report.failed}"
    )


@federation_app.command("outbox")
@friendly_errors
def show_outbox(pending: bool = typer.Option(False, help="Only undelivered messages.")) -> None:
    """Messages to peers and their delivery state."""
    ctx = context()
    with ctx.session_factory() as session:
        messages = outbox.list_messages(session=session, keyring=ctx.keyring, pending_only=pending)
    table = Table("message", "peer", "kind", "attempts", "delivered", "failed", "last error")
    for message in messages:
        table.add_row(
            str(message.message_id),
            escape(message.peer),
            message.kind,
            str(message.attempts),
            f"{message.delivered_at:%Y-%m-%d %H:%M:%S}" if message.delivered_at else "",
            f"{message.failed_at:%Y-%m-%d %H:%M:%S}" if message.failed_at else "",
            escape(message.last_error or ""),  # a peer's answer: text, not markup
        )
    console.print(table)


@federation_app.command("requests")
@friendly_errors
def list_requests(
    direction: Direction | None = typer.Option(None, help="incoming (peers ask us) or outgoing."),
    status: CooperationStatus | None = typer.Option(None, help="Only requests in this state."),
    overdue: bool = typer.Option(
        False, "--overdue", help="Only requests past due without a decision."
    ),
    limit: int = typer.Option(50, min=1, max=500, help="How many to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Cooperation requests: those received and waiting for a decision here first, soonest due
    first (48 hours after receipt by default, as in Prüm II), then the others newest first."""
    ctx = context()
    with ctx.session_factory() as session:
        found = cooperation.list_requests(
            session=session,
            keyring=ctx.keyring,
            direction=direction.value if direction else None,
            status=status.value if status else None,
            overdue=True if overdue else None,
            limit=limit,
            windows=ResponseWindows.of(ctx.settings),
        )
    if as_json:
        print_json([row.model_dump(mode="json") for row in found])
        return
    table = Table("id", "direction", "peer", "urgency", "status", "created", "due", "answer")
    for row in found:
        table.add_row(
            str(row.id),
            row.direction,
            escape(row.peer),
            row.urgency,
            row.status,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.due_at:%Y-%m-%d %H:%M}",
            _answer(row),
        )
    console.print(table)


def _answer(row: CooperationSummary) -> str:
    if row.answered_in_hours is not None:
        return f"in {row.answered_in_hours:.1f} h"
    return "[red]OVERDUE[/red]" if row.overdue else "waiting"


def _federation(ctx: Context) -> FederationContext:
    return FederationContext.of(ctx.session_factory, ctx.keyring)


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise InvalidInput("the secret is not base64") from None


def _report_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a report id (a UUID)") from None


# --- key rotation (issue 12: a peer that rotates its key) -------------------------------------


@node_app.command("rotate-key")
@friendly_errors
def rotate_key(
    out: Path | None = typer.Option(None, help="Write the statement to this file."),
) -> None:
    """Give this node a new signing key (a new node id). Prints the rotation statement, the new
    descriptor signed by the old key, which is then retired: every peer must accept it with
    `tipnet peers rotate FILE` before it trusts the new key. Printed again by
    `tipnet node rotation-statement`."""
    ctx = context()
    with ctx.transaction() as session:
        statement = node.rotate_key(session=session, keyring=ctx.keyring, actor=cli_actor())
    _statement_out(statement, out)


@node_app.command("rotation-statement")
@friendly_errors
def rotation_statement(
    out: Path | None = typer.Option(None, help="Write it to this file instead of printing."),
) -> None:
    """Print the statement of this node's last key rotation, to hand to a peer again."""
    ctx = context()
    with ctx.session_factory() as session:
        statement = node.last_rotation(session=session)
    _statement_out(statement, out)


@peers_app.command("rotate")
@friendly_errors
def rotate_peer(
    statement: Path = typer.Argument(..., help="The peer's rotation statement (JSON file)."),
) -> None:
    """Move a peer to its new key, if the statement is signed by the key registered here."""
    ctx = context()
    text = statement.read_text(encoding="utf-8")
    with ctx.transaction() as session:
        peer = peers.accept_rotation(session=session, statement=text, actor=cli_actor())
    say(f"peer {peer.id} ({peer.name}) now signs as {peer.node_id}")
    say(f"fingerprint {peer.fingerprint}; its old key is refused from now on")


def _statement_out(statement: str, out: Path | None) -> None:
    if out is None:
        print_raw(statement)  # never wrapped: a wrapped line breaks the signatures
        return
    out.write_text(statement + "\n", encoding="utf-8")
    say(f"rotation statement written to {out}: hand it to every peer (tipnet peers rotate FILE)")
