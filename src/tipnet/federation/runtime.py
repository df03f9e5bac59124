"""How the federation plugs into a node's app: the signed ``/federation/v1`` routes, the
middleware that signs their answers, the shared state they use, and the background work of
the app's lifespan (the outbox delivery loop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tipnet.federation import oprf, routes
from tipnet.federation.context import FederationContext
from tipnet.federation.inbound import InboundContext, SignedResponses
from tipnet.federation.node import IdentityCache


def install(app: FastAPI) -> None:
    """Mount the signed routes and their response signing; call after ``app.state`` has its
    session factory and keyring."""
    identities = IdentityCache(app.state.session_factory, app.state.keyring)
    app.state.federation_identities = identities
    app.state.federation_inbound = InboundContext(app.state.session_factory, identities)
    app.state.federation = FederationContext(
        app.state.session_factory, app.state.keyring, identities
    )
    app.add_middleware(SignedResponses, identities=identities)
    app.include_router(routes.router)


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    """Run the federation's background work for as long as the app serves."""
    try:
        yield
    finally:
        oprf.close_worker_pools()
