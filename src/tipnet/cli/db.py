"""`tipnet db`: create and upgrade the database schema."""

from __future__ import annotations

import typer

from tipnet import migrate
from tipnet.cli.common import console, context, friendly_errors, print_raw

app = typer.Typer(
    help="Create or upgrade the database schema (Alembic migrations).", no_args_is_help=True
)


@app.command()
@friendly_errors
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest). Safe to run repeatedly.

    With TIPNET_SECRET_KEY set, migrations that encrypt data stored in clear by older versions
    convert it; without it they refuse if there is anything to convert."""
    ctx = context()
    keyring = ctx.keyring if ctx.settings.secret_key is not None else None
    migrate.upgrade(ctx.engine, revision, keyring=keyring)
    console.print(f"database at revision {migrate.current_revision(ctx.engine)}")


@app.command()
@friendly_errors
def current() -> None:
    """Print the database's current migration revision."""
    print_raw(migrate.current_revision(context().engine) or "empty (run `tipnet db upgrade`)")
