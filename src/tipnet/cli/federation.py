"""`tipnet node`, `tipnet peers` and `tipnet federation`: this node's identity, its peers and
their agreements, and the federation's queries, feed sync and outbox delivery."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from tipnet.cli.common import cli_actor, console, context, friendly_errors
from tipnet.federation import node, peers
from tipnet.federation.schemas import AGREEMENT_KINDS

node_app = typer.Typer(help="This node's federation identity.", no_args_is_help=True)
peers_app = typer.Typer(help="Peers and their sharing agreements.", no_args_is_help=True)
federation_app = typer.Typer(
    help="Private hit/no-hit queries, feed sync and outbox delivery.", no_args_is_help=True
)

KINDS_HELP = f"Comma-separated kinds the peer may query here, among {', '.join(AGREEMENT_KINDS)}."


@node_app.command("init")
@friendly_errors
def init(
    country: str = typer.Option(..., help="ISO 3166-1 alpha-3 code of the member state."),
    name: str = typer.Option(..., help="The node's name, e.g. 'Spain - national contact point'."),
    url: str = typer.Option(..., help="Base URL peers reach this node at."),
) -> None:
    """Create this node's Ed25519 identity and OPRF keys (once), and print its descriptor."""
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
    console.print(f"node {descriptor.node_id} created; fingerprint {descriptor.fingerprint}")
    console.print("hand this descriptor to peers (`tipnet node descriptor` prints it again):")
    console.print(descriptor.to_json(), highlight=False)


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
        console.print(descriptor.to_json(), highlight=False)
        return
    out.write_text(descriptor.to_json() + "\n", encoding="utf-8")
    console.print(f"descriptor of {descriptor.node_id} written to {out}")
    console.print(f"fingerprint {descriptor.fingerprint}: compare it with the peer by phone")


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
    console.print(
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
        found = peers.list_peers(session=session, include_removed=all_peers)
    if as_json:
        console.print_json(json.dumps([peer.model_dump(mode="json") for peer in found]))
        return
    table = Table("id", "node id", "country", "name", "url", "kinds", "rate/h", "images", "state")
    for peer in found:
        table.add_row(
            str(peer.id),
            peer.node_id,
            peer.country,
            peer.name,
            peer.url,
            ",".join(peer.kinds),
            str(peer.rate_limit),
            "yes" if peer.image_lists else "no",
            "active" if peer.active else "removed",
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
    console.print(f"peer {peer.id} may query {','.join(peer.kinds) or 'nothing'}")


@peers_app.command("remove")
@friendly_errors
def remove(peer_id: int = typer.Argument(..., help="Peer id, from `tipnet peers list`.")) -> None:
    """Stop trusting a peer: its requests are refused from now on (its history is kept)."""
    ctx = context()
    with ctx.transaction() as session:
        peer = peers.remove_peer(session=session, peer_id=peer_id, actor=cli_actor())
    console.print(f"peer {peer.id} {peer.node_id} ({peer.name}) removed")
