"""`tipnet admin`: keys, organisations, users and API tokens."""

from __future__ import annotations

import base64
import os

import typer
from rich.markup import escape
from rich.table import Table

from tipnet.auth import service
from tipnet.auth.permissions import OrganisationKind, Role
from tipnet.cli.common import cli_actor, console, context, friendly_errors, print_raw, say
from tipnet.cli.key_rotation import key_status, rotate_key

app = typer.Typer(
    help="Administer the node: keys, organisations, users, API tokens.", no_args_is_help=True
)


@app.command("gen-key")
def gen_key() -> None:
    """Print a new random TIPNET_SECRET_KEY line for .env. Keep it safe: without it the
    encrypted personal data cannot be read."""
    print_raw(f"TIPNET_SECRET_KEY={base64.b64encode(os.urandom(32)).decode()}")


app.command("rotate-key")(rotate_key)
app.command("key-status")(key_status)


@app.command("create-org")
@friendly_errors
def create_org(
    name: str = typer.Argument(..., help="Organisation name, unique on this node."),
    kind: OrganisationKind = typer.Option(..., help="What kind of organisation it is."),
    country: str | None = typer.Option(None, help="ISO 3166 alpha-3 country, e.g. ESP."),
) -> None:
    """Register an organisation (a platform, an ISP, a police unit, an NGO...)."""
    ctx = context()
    with ctx.transaction() as session:
        organisation = service.create_organisation(
            session=session,
            actor=cli_actor(),
            name=name,
            kind=kind,
            country=service.parse_country(country),
        )
        say(f"organisation {organisation.id} {name!r} created")


@app.command("create-user")
@friendly_errors
def create_user(
    username: str = typer.Argument(..., help="Unique user name."),
    org: str = typer.Option(..., help="Name of the user's organisation."),
    role: Role = typer.Option(..., help="reporter (platform), investigator, analyst (NGO), admin."),
) -> None:
    """Create a user of an organisation with one role."""
    ctx = context()
    with ctx.transaction() as session:
        user = service.create_user(
            session=session, actor=cli_actor(), organisation_name=org, username=username, role=role
        )
        say(f"user {user.id} {username!r} ({role.value}) created")


@app.command("create-token")
@friendly_errors
def create_token(
    username: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option("default", help="A label, e.g. the system that will use it."),
) -> None:
    """Issue an API token. It is printed once and stored only as a hash: copy it now."""
    ctx = context()
    with ctx.transaction() as session:
        issued = service.issue_token(
            session=session, actor=cli_actor(), username=username, name=name
        )
    say(f"token {issued.token_id} for {username!r} (shown once):")
    print_raw(issued.token)


@app.command("revoke-token")
@friendly_errors
def revoke_token(
    token_id: int = typer.Argument(..., help="Token id, from `tipnet admin tokens`."),
) -> None:
    """Revoke an API token at once: every server worker refuses it from its next request
    (tokens are looked up on every request, never trusted from a cache)."""
    ctx = context()
    with ctx.transaction() as session:
        service.revoke_token(session=session, actor=cli_actor(), token_id=token_id)
    console.print(f"token {token_id} revoked")


@app.command("deactivate-user")
@friendly_errors
def deactivate_user(username: str) -> None:
    """Deactivate a user: all their tokens stop working at once, on every server worker."""
    ctx = context()
    with ctx.transaction() as session:
        service.deactivate_user(session=session, actor=cli_actor(), username=username)
    say(f"user {username!r} deactivated")


@app.command("tokens")
@friendly_errors
def tokens() -> None:
    """List API tokens (never the tokens themselves)."""
    ctx = context()
    table = Table("id", "user", "name", "prefix", "created", "revoked")
    with ctx.session_factory() as session:
        for token, user in service.list_tokens(session=session):
            table.add_row(
                str(token.id),
                escape(user.username),
                escape(token.name),
                token.prefix + "…",
                f"{token.created_at:%Y-%m-%d %H:%M}",
                f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
            )
    console.print(table)
