"""How the federation plugs into a node's app: the signed ``/federation/v1`` routes, the
middleware that signs their answers, the shared state they use, and the background work of
the app's lifespan (the outbox delivery loop, and writing the counts of refused requests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tipnet.federation import oprf, outbox, routes
from tipnet.federation.context import FederationContext
from tipnet.federation.inbound import InboundContext, SignedResponses
from tipnet.federation.node import IdentityCache

logger = logging.getLogger(__name__)
DELIVERY_INTERVAL = 2.0  # seconds between outbox rounds when nothing wakes the loop
REFUSALS_INTERVAL = 15.0  # seconds between writes of closed refusal windows (see refusals.py)


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
    inbound: InboundContext = app.state.federation_inbound
    tasks = [
        asyncio.create_task(outbox.run(app.state.federation, event, DELIVERY_INTERVAL)),
        asyncio.create_task(_write_refusals(inbound, REFUSALS_INTERVAL)),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Counts still open would be lost with the process: write them all now.
        with contextlib.suppress(Exception):
            await asyncio.to_thread(inbound.flush_refusals, everything=True)
        oprf.close_worker_pools()


def wake(app: FastAPI) -> None:
    """Tell the delivery loop that a message is waiting (no-op when no loop runs, as in tests
    that drive an app without its lifespan). Thread-safe; call once the message is committed."""
    nudge = getattr(app.state, "federation_wake", None)
    if nudge is not None:
        nudge()


async def _write_refusals(inbound: InboundContext, interval: float) -> None:
    """Write the aggregate rows of refusal windows that closed with no refusal after them."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(inbound.flush_refusals)
        except Exception:  # the loop must outlive a database hiccup; that round's counts are lost
            logger.exception(
                "could not write counts of refused federation requests to the audit log"
            )
