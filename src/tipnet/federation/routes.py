"""What nodes say to each other, under ``/federation/v1``. Every route is reached only through
:func:`tipnet.federation.inbound.signed_peer` (a router-level dependency): an unsigned, badly
signed, stale, replayed or unknown-peer request never gets here. Bodies are parsed after the
signature check, from the bytes that were signed, and a signed request refused after that
(bad body, kind not agreed, rate limit) is audited too. Answers are signed by the middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tipnet.db import transaction
from tipnet.errors import TipnetError
from tipnet.federation import cooperation, oprf, persons
from tipnet.federation import feed as feeds
from tipnet.federation.context import FederationContext
from tipnet.federation.inbound import SIGNED_PREFIX, InboundContext, SignedPeer, signed_peer
from tipnet.federation.schemas import (
    MAX_FEED_PAGE,
    CooperationAnswerMessage,
    CooperationRequestMessage,
    EvaluateRequest,
    EvaluateResponse,
    FeedPage,
    MessageReceipt,
    PersonMatchRequest,
    PersonMatchResponse,
    Pong,
)

router = APIRouter(
    prefix=SIGNED_PREFIX,
    tags=["federation (signed, node to node)"],
    dependencies=[Depends(signed_peer)],
)
T = TypeVar("T")


SELF_PARSED_BODIES: list[type[BaseModel]] = []
"""Models of bodies the routes parse themselves: the app adds them to the OpenAPI components."""


def _body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI of a body the route parses itself (after the signature check)."""
    SELF_PARSED_BODIES.append(model)
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.get("/ping", response_model=Pong)
async def ping(request: Request, peer: SignedPeer) -> Response:
    """A signed no-op: checks that both nodes trust each other's keys and clocks."""
    return _json(Pong(node_id=_ctx(request).local.node_id, peer=peer.node_id))


@router.get("/feed", response_model=FeedPage)
async def feed(
    request: Request,
    peer: SignedPeer,
    since: Annotated[int, Query(ge=0, le=2**62, description="Last sequence number applied.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = MAX_FEED_PAGE,
) -> Response:
    """What the peer may see of this node's shared entries, changed after ``since``: OPRF
    tokens of the selector kinds its agreement covers, and PDQ hashes if it may have image
    lists, each under an opaque reference; and references withdrawn."""
    ctx = _ctx(request)

    def read() -> FeedPage:
        with transaction(ctx.session_factory) as session:
            page = feeds.feed_page(
                session=session,
                local=ctx.local,
                peer_id=peer.peer_id,
                kinds=peer.kinds,
                image_lists=peer.image_lists,
                since=since,
                limit=limit,
            )
            feeds.audit_feed_read(session=session, actor=peer.actor, page=page)
            return page

    return _json(await _guarded(request, peer, lambda: run_in_threadpool(read)))


@router.post(
    "/oprf/evaluate", response_model=EvaluateResponse, openapi_extra=_body(EvaluateRequest)
)
async def evaluate(request: Request, peer: SignedPeer) -> Response:
    """Apply this node's OPRF key for one selector kind to a batch of blinded elements (RFC
    9497 BlindEvaluate). Counted against the peer's hourly limit; audited with the count."""
    ctx = _ctx(request)

    async def answer() -> EvaluateResponse:
        asked = peer.parsed(EvaluateRequest)
        kind = asked.kind.value

        def admit() -> None:
            with transaction(ctx.session_factory) as session:
                feeds.admit_evaluation(
                    session=session,
                    peer_id=peer.peer_id,
                    kinds=peer.kinds,
                    kind=kind,
                    count=len(asked.elements),
                    actor=peer.actor,
                )

        await run_in_threadpool(admit)
        key = ctx.local.oprf_key(kind)
        evaluated = await run_in_threadpool(oprf.evaluate_batch, key, asked.elements)
        return EvaluateResponse(kind=kind, elements=evaluated)

    return _json(await _guarded(request, peer, answer))


@router.post(
    "/persons/match",
    response_model=PersonMatchResponse,
    openapi_extra=_body(PersonMatchRequest),
)
async def match_persons(request: Request, peer: SignedPeer) -> Response:
    """Compare person encodings (CLKs under the federation secret) with the persons this node
    shares with the peer; answers, for each encoding that matches, the references. Counted
    against the peer's hourly limit; audited with the count."""
    ctx = _ctx(request)

    async def answer() -> PersonMatchResponse:
        asked = peer.parsed(PersonMatchRequest)

        def admit() -> bytes:
            with transaction(ctx.session_factory) as session:
                return persons.admit_person_match(
                    session=session,
                    peer_id=peer.peer_id,
                    kinds=peer.kinds,
                    secret=ctx.local.pprl_secret,
                    request=asked,
                    actor=peer.actor,
                )

        secret = await run_in_threadpool(admit)

        def compare() -> PersonMatchResponse:
            with ctx.session_factory() as session:
                return persons.match_persons(
                    session=session, secret=secret, peer_id=peer.peer_id, request=asked
                )

        return await run_in_threadpool(compare)

    return _json(await _guarded(request, peer, answer))


@router.post(
    "/cooperation/requests",
    response_model=MessageReceipt,
    openapi_extra=_body(CooperationRequestMessage),
)
async def cooperation_request(request: Request, peer: SignedPeer) -> Response:
    """A peer's cooperation request about one of our references: kept pending until an
    investigator here decides. Delivered again, the same message_id is answered 'duplicate'."""
    ctx = _ctx(request)

    async def receive() -> MessageReceipt:
        message = peer.parsed(CooperationRequestMessage)

        def store() -> MessageReceipt:
            with transaction(ctx.session_factory) as session:
                return cooperation.receive_request(
                    session=session, keyring=ctx.keyring, sender=peer, message=message
                )

        return await run_in_threadpool(store)

    return _json(await _guarded(request, peer, receive))


@router.post(
    "/cooperation/answers",
    response_model=MessageReceipt,
    responses={404: {"description": "No such request was sent to this peer."}},
    openapi_extra=_body(CooperationAnswerMessage),
)
async def cooperation_answer(request: Request, peer: SignedPeer) -> Response:
    """A peer's decision on a request we sent it, with the released data if approved."""
    ctx = _ctx(request)

    async def receive() -> MessageReceipt:
        message = peer.parsed(CooperationAnswerMessage)

        def store() -> MessageReceipt:
            with transaction(ctx.session_factory) as session:
                return cooperation.receive_answer(
                    session=session, keyring=ctx.keyring, sender=peer, message=message
                )

        return await run_in_threadpool(store)

    return _json(await _guarded(request, peer, receive))


def _ctx(request: Request) -> FederationContext:
    ctx: FederationContext = request.app.state.federation
    return ctx


async def _guarded(request: Request, peer: Any, work: Callable[[], Awaitable[T]]) -> T:
    """Run a signed request's work; a refusal is audited (in its own transaction) and sent."""
    try:
        return await work()
    except TipnetError as error:
        inbound: InboundContext = request.app.state.federation_inbound
        await run_in_threadpool(inbound.audit_refusal_of, peer, request.url.path, error)
        raise


def _json(model: BaseModel) -> Response:
    # Sent as serialised: FastAPI's response validation would read base64 fields back as text.
    return Response(model.model_dump_json(), media_type="application/json")
