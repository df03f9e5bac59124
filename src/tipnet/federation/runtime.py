"""How the federation plugs into a node's app: the signed ``/federation/v1`` routes, the
middleware that signs their answers, the shared state they use, and the background work of
the app's lifespan (the outbox delivery loop)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tipnet.federation import oprf, outbox, routes
from tipnet.federation.context import FederationContext
from tipnet.federation.inbound import InboundContext, SignedResponses
from tipnet.federation.node import IdentityCache

DELIVERY_INTERVAL = 2.0  # seconds between outbox rounds when nothing wakes the loop


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
    """Deliver the outbox for as long as the app serves: every few seconds, and at once when a
    route has queued a message (:func:`wake`)."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    app.state.federation_wake = lambda: loop.call_soon_threadsafe(event.set)
    task = asyncio.create_task(outbox.run(app.state.federation, event, DELIVERY_INTERVAL))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        oprf.close_worker_pools()


def wake(app: FastAPI) -> None:
    """Tell the delivery loop that a message is waiting (no-op when no loop runs, as in tests
    that drive an app without its lifespan). Thread-safe; call once the message is committed."""
    nudge = getattr(app.state, "federation_wake", None)
    if nudge is not None:
        nudge()
