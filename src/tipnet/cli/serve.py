"""`tipnet serve`: run the API server."""

from __future__ import annotations

import typer
import uvicorn

from tipnet.cli.common import context, friendly_errors
from tipnet.keyrotation.service import check_key


@friendly_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (PostgreSQL only; SQLite wants 1)."),
) -> None:
    """Serve the API and its OpenAPI docs (/docs) until interrupted."""
    ctx = context()
    settings = ctx.settings
    # fail now, with the message, rather than in every worker: no key, or a key that a key
    # rotation retired (or half a rotation without the previous key)
    with ctx.session_factory() as session:
        check_key(session=session, keyring=ctx.keyring)
    proxies = settings.trusted_proxies
    uvicorn.run(
        "tipnet.asgi:app",
        host=host,
        port=port,
        workers=workers,
        factory=False,
        log_level="info",
        access_log=False,
        # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, letting anyone on
        # the host choose the address the check page's rate limit and the audit log see
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else None,
    )
