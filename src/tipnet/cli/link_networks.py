"""`tipnet link list|show|export`: the networks stored in the node's database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from tipnet.cli.common import cli_actor, console, context, friendly_errors, print_raw, say
from tipnet.errors import InvalidInput

if TYPE_CHECKING:
    from tipnet.link.schemas import NetworkItemRead

EXPORT_FORMATS = ("graphml", "gexf", "stix", "i2", "parquet")
SINGLE_FILE = {"graphml": ".graphml", "gexf": ".gexf", "stix": ".json"}


def register(app: typer.Typer) -> None:
    app.command("list")(friendly_errors(list_command))
    app.command("show")(friendly_errors(show_command))
    app.command("export")(friendly_errors(export_command))


def list_command(
    transnational: bool = typer.Option(
        False, "--transnational", help="Only networks spanning several countries."
    ),
    country: str | None = typer.Option(None, help="Only networks seen in this ISO alpha-3."),
    min_risk: float = typer.Option(0.0, min=0.0, max=1.0, help="Lowest aggregate risk shown."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many networks to show."),
) -> None:
    """The node's active networks, riskiest first."""
    from tipnet.link import service

    if country is not None and (len(country) != 3 or not country.isalpha()):
        raise InvalidInput(f"--country takes an ISO 3166 alpha-3 code such as ESP, not {country!r}")
    with context().transaction() as session:
        networks = service.list_networks(
            session=session,
            transnational=True if transnational else None,
            min_risk=min_risk,
            country=country,
            limit=limit,
        )
    if not networks:
        console.print("no networks (run `tipnet link run` first)")
        return
    table = Table("risk", "items", "countries", "seen")
    table.add_column("network", no_wrap=True)  # an id must be copied whole
    for network in networks:
        table.add_row(
            f"{network.risk:.2f}",
            f"{network.items:,}",
            " > ".join(network.countries) + (" *" if network.transnational else ""),
            f"{_day(network.first_seen)} to {_day(network.last_seen)}",
            network.id,
        )
    console.print(table)
    console.print("* transnational: candidates for cross-border queries")


def show_command(
    network_id: str = typer.Argument(..., help="A network id, as `tipnet link list` shows it."),
    items: int = typer.Option(20, min=0, help="How many of its items to list."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole network as JSON."),
) -> None:
    """One network: route, signals, selectors, items and cases. The read is audited."""
    from tipnet.link import service

    ctx = context()
    with ctx.transaction() as session:
        network = service.read_network(
            session=session, keyring=ctx.keyring, network_id=network_id, actor=cli_actor()
        )
    if as_json:
        print_raw(network.model_dump_json(indent=2))
        return
    console.print(
        f"[bold]{escape(network.id)}[/bold] ({network.status}"
        + (f" into {network.merged_into}" if network.merged_into else "")
        + f"): risk {network.risk:.2f}, {network.items:,} items, {network.selectors:,} "
        f"selectors, {_day(network.first_seen)} to {_day(network.last_seen)}"
        + (", transnational" if network.transnational else ""),
        highlight=False,
    )
    route = " > ".join(
        f"{stop.country}{'/' + stop.city if stop.city else ''} ({stop.items})"
        for stop in network.route
    )
    say(f"route: {route or 'unknown'}")  # places and selectors come from reports: not markup
    signals = ", ".join(f"{kind} {count}" for kind, count in network.signals.items())
    say(f"tied by: {signals or 'nothing recorded'}")
    for selector in network.network_selectors[:20]:
        say(f"- {selector.kind} {selector.value} ({selector.items} items)")
    _print_items(network.network_items, items)
    if network.cases:
        console.print("cases: " + ", ".join(str(case) for case in network.cases))


def export_command(
    network_ids: list[str] = typer.Argument(..., help="One or more network ids."),
    file_format: str = typer.Option(
        "graphml", "--format", help="graphml, gexf (Gephi), stix (MISP, OpenCTI), i2, parquet."
    ),
    out: Path = typer.Option(
        ..., "--out", help="A file for graphml/gexf/stix, a directory for i2 and parquet."
    ),
) -> None:
    """Export networks for the tools analysts use: GraphML and GEXF for Gephi, a STIX 2.1
    bundle (TLP:RED) for MISP and OpenCTI, entity and link CSV tables for i2 Analyst's
    Notebook, Parquet tables for notebooks. Every network read is audited."""
    from tipnet.interop import exports
    from tipnet.link import service

    if file_format not in EXPORT_FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    if file_format in SINGLE_FILE and out.is_dir():
        out = out / f"{network_ids[0]}{SINGLE_FILE[file_format]}"
    ctx = context()
    with ctx.transaction() as session:
        graph = service.export_network(
            session=session, keyring=ctx.keyring, network_ids=network_ids, actor=cli_actor()
        )
    if file_format not in SINGLE_FILE:
        out.mkdir(parents=True, exist_ok=True)
    for path in exports.write(graph, file_format, out):
        console.print(f"wrote {path}")


def _print_items(network_items: list[NetworkItemRead], limit: int) -> None:
    if not limit or not network_items:
        return
    table = Table("kind", "seen", "place", "risk")
    table.add_column("item", no_wrap=True)
    for item in network_items[:limit]:
        table.add_row(
            item.kind,
            _day(item.seen_at),
            escape("/".join(p for p in (item.country, item.city) if p)),
            "" if item.risk is None else f"{item.risk:.2f}",
            escape(item.item_ref),
        )
    console.print(table)
    if len(network_items) > limit:
        console.print(f"... and {len(network_items) - limit:,} more (--items N, or --json)")


def _day(moment: dt.datetime | None) -> str:
    return moment.date().isoformat() if moment is not None else "unknown"
