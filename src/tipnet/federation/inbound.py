"""The door of ``/federation/v1``: every request there must carry a valid HTTP message signature
(RFC 9421) of an active peer, and every answer to such a request is signed by this node.

:func:`signed_peer` is the route dependency. It checks the signature against the URL the peer
addressed (this node's public URL, not the Host header), the body digest, the freshness and
the nonce (in the database, shared by every worker), before any of the body is parsed. A
refusal is answered 401 (or 403 for a replay) and goes to the audit log with its reason through
:class:`~tipnet.federation.refusals.RefusalLog`, which aggregates and caps the rows (anyone can
make a request fail) and names the sender ``unverified:<address>``, its key id only a claim.
Nothing under ``/federation/v1`` can be reached without it: the router carries it as a
router-level dependency, and the route walk test checks every route.

:class:`SignedResponses` is the ASGI middleware that signs answers (status, body digest, and
the request's signature, so a peer can tell the answer is to *its* request).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tipnet.audit import service as audit
from tipnet.audit.service import Actor, Event
from tipnet.db import transaction
from tipnet.errors import InvalidInput, TipnetError
from tipnet.federation import httpsig, peers, signature_errors
from tipnet.federation.models import Peer
from tipnet.federation.node import IdentityCache
from tipnet.federation.refusals import Refusal, RefusalLog

SIGNED_PREFIX = "/federation/v1"
ModelT = TypeVar("ModelT", bound=BaseModel)
VERIFIED_FLAG = "federation_verified"

signature_header = APIKeyHeader(
    name="Signature",
    auto_error=False,
    scheme_name="HTTPMessageSignature",
    description="RFC 9421 signature (Ed25519, tag 'tipnet') of a registered peer, with "
    "Signature-Input covering @method @authority @path @query content-digest.",
)


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature checked out: who sent it, and its body as signed."""

    peer_id: int
    node_id: str
    name: str
    country: str
    kinds: frozenset[str]
    image_lists: bool
    rate_limit: int
    body: bytes
    remote_addr: str | None

    @property
    def actor(self) -> Actor:
        return Actor(f"peer:{self.node_id}", None, self.remote_addr)

    def parsed(self, model: type[ModelT]) -> ModelT:
        """The body as ``model``; a 422 naming each bad field, as for any other route."""
        try:
            return model.model_validate_json(self.body)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
                for item in error.errors()[:10]
            )
            raise InvalidInput(f"invalid {model.__name__}: {problems}") from error


async def signed_peer(
    request: Request, _signature: Annotated[str | None, Depends(signature_header)]
) -> SignedRequest:
    """Route dependency: the verified peer, or a refusal (audited) saying why."""
    body = await request.body()
    runtime: InboundContext = request.app.state.federation_inbound
    remote = request.client.host if request.client else None
    headers = _joined(request.headers.items())
    try:
        addressed = _addressed_url(runtime, request.scope)
        signed = await run_in_threadpool(
            runtime.verify, request.method, addressed, headers, body, remote
        )
    except signature_errors.SignatureRejected as error:
        await run_in_threadpool(runtime.audit_refusal, request, headers, error.reason, remote)
        raise
    request.state.federation_verified = True
    return signed


SignedPeer = Annotated[SignedRequest, Depends(signed_peer)]


class InboundContext:
    """What the door needs: sessions, this node's identity, and the shared replay guard."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        identities: IdentityCache,
        refusals: RefusalLog | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.identities = identities
        self.replay_guard = peers.DatabaseReplayGuard(session_factory)
        self.refusals = refusals or RefusalLog()

    def verify(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, remote: str | None
    ) -> SignedRequest:
        found: list[Peer] = []

        def resolve(key_id: str) -> Ed25519PublicKey | None:
            # A short session of its own: on SQLite every transaction takes the write lock,
            # and the replay guard needs it next.
            with self.session_factory() as session:
                peer = peers.peer_by_key(session=session, key_id=key_id)
            if peer is None:
                return None
            found.append(peer)
            return Ed25519PublicKey.from_public_bytes(peer.public_key)

        httpsig.verify_request(method, url, headers, body, resolve, self.replay_guard)
        peer = found[0]
        return SignedRequest(
            peer_id=peer.id,
            node_id=peer.key_id,
            name=peer.name,
            country=peer.country,
            kinds=peers.kinds_of(peer),
            image_lists=peer.image_lists,
            rate_limit=peer.rate_limit,
            body=body,
            remote_addr=remote,
        )

    def audit_refusal(
        self, request: Request, headers: Mapping[str, str], reason: str, remote: str | None
    ) -> None:
        """Record a refused request (the key id it claimed, what it asked, why it was refused):
        the sender is unverified, so it is named by its address, never by the claimed peer."""
        claimed = _claimed_key_id(headers)
        refusal = Refusal.unverified(remote, claimed, reason, request.method, request.url.path)
        self._write(self.refusals.admit(refusal))

    def audit_refusal_of(self, peer: SignedRequest, path: str, error: TipnetError) -> None:
        """Record a signed request refused after verification (kind not agreed, rate limit)."""
        refusal = Refusal(
            actor=peer.actor.name,
            remote=peer.remote_addr,
            claimed_key_id=peer.node_id,
            reason=type(error).__name__,
            method="",
            path=path,
            status=error.status_code,
        )
        self._write(self.refusals.admit(refusal))

    def flush_refusals(self, *, everything: bool = False) -> int:
        """Write the counts of refusal windows that have closed (all of them when the app
        stops); returns the rows written."""
        events = self.refusals.due(everything=everything)
        self._write(events)
        return len(events)

    def _write(self, events: list[Event]) -> None:
        if events:
            with transaction(self.session_factory) as session:
                audit.record_many(session=session, events=events)


class SignedResponses:
    """Sign every answer to a verified ``/federation/v1`` request, error answers included."""

    def __init__(self, app: ASGIApp, identities: IdentityCache) -> None:
        self.app = app
        self.identities = identities

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SIGNED_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await send(self._signed(scope, start, b"".join(chunks)))
            await send({"type": "http.response.body", "body": b"".join(chunks)})

        await self.app(scope, receive, buffered_send)

    def _signed(self, scope: Scope, start: Message, body: bytes) -> Message:
        if not scope.get("state", {}).get(VERIFIED_FLAG):
            return start  # refused before verification: nothing to bind a signature to
        local = self.identities.get()
        response_headers = _joined(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]
        )
        request_headers = _joined(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        )
        added = httpsig.sign_response(
            start["status"],
            response_headers,
            body,
            local.identity.private_key,
            local.node_id,
            request_headers,
        )
        extra = [(name.lower().encode(), value.encode()) for name, value in added.items()]
        return {**start, "headers": [*start["headers"], *extra]}


def _addressed_url(runtime: InboundContext, scope: Scope) -> str:
    """The URL the peer signed: this node's public base URL, then the path and query exactly
    as received. A base URL with a path (behind a proxy) is put back in front of the path."""
    base = urlsplit(runtime.identities.get().identity.url)
    raw_path = scope.get("raw_path") or scope["path"].encode()
    path = raw_path.decode("latin-1")
    prefix = base.path.rstrip("/")
    if prefix and not path.startswith(prefix + "/"):
        path = prefix + path
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{base.scheme}://{base.netloc}{path}" + (f"?{query}" if query else "")


def _joined(items: Any) -> dict[str, str]:
    """Header pairs as one lowercase-keyed mapping; repeated fields combined with ", "."""
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _claimed_key_id(headers: Mapping[str, str]) -> str | None:
    text = headers.get("signature-input", "")
    marker = 'keyid="'
    start = text.find(marker)
    if start < 0:
        return None
    end = text.find('"', start + len(marker))
    return text[start + len(marker) : end][:128] if end > 0 else None
