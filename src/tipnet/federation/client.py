"""Talking to peers: every request signed by this node, every answer's signature checked
against the peer that was asked, per-peer timeouts, retries with backoff.

A peer that is down, slow, or answers garbage becomes a :class:`PeerError` the caller can
label, never a hang or a crash: the caller asks peers concurrently and reports each one's
outcome (``ok``, ``unreachable``, ``refused`` or ``error``), so results are partial, and
labelled so, when a peer fails. Retries re-sign the request (a fresh nonce), since the peer
refuses a nonce it has seen; the operations that are retried are safe to repeat (OPRF
evaluations, feed reads, and messages the peer deduplicates by their id).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ValidationError

from tipnet.errors import TipnetError
from tipnet.federation import httpsig
from tipnet.federation.models import Peer
from tipnet.federation.node import LocalIdentity

DEFAULT_TIMEOUT = 10.0  # seconds for one attempt
DEFAULT_RETRIES = 2  # attempts after the first, for network errors and 502/503/504
DEFAULT_BACKOFF = 0.25  # seconds before the first retry; doubles each time, with jitter
RETRY_STATUSES = frozenset({502, 503, 504})
ResponseT = TypeVar("ResponseT", bound=BaseModel)


class PeerError(TipnetError):
    """A peer did not give a usable answer; ``outcome`` labels it for partial results."""

    status_code = 502
    outcome = "error"


class PeerUnreachable(PeerError):
    """No answer in time, a connection failure, or the peer said it is unavailable."""

    status_code = 504
    outcome = "unreachable"


class PeerRefused(PeerError):
    """The peer answered, and refused (not allowed, rate-limited, bad request...)."""

    outcome = "refused"

    def __init__(self, message: str, peer_status: int) -> None:
        super().__init__(message)
        self.peer_status = peer_status


class PeerMisbehaved(PeerError):
    """An answer that is not signed by the peer, not for our request, or not what we asked."""


@dataclass(frozen=True)
class PeerAddress:
    """Where a peer is and the key its answers must be signed with."""

    node_id: str
    name: str
    url: str
    public_key: bytes

    @classmethod
    def of(cls, peer: Peer) -> PeerAddress:
        return cls(peer.key_id, peer.name, peer.url, peer.public_key)


class FederationClient:
    """An async HTTP client that signs as this node. Use as ``async with``."""

    def __init__(
        self,
        local: LocalIdentity,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._local = local
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._http = httpx.AsyncClient(transport=transport, follow_redirects=False)

    async def __aenter__(self) -> FederationClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._http.aclose()

    async def call(
        self,
        peer: PeerAddress,
        method: str,
        path: str,
        answer: type[ResponseT],
        *,
        body: BaseModel | bytes | None = None,
        params: Mapping[str, str | int] | None = None,
        timeout: float | None = None,
    ) -> ResponseT:
        """Send a signed request and return the peer's verified answer as ``answer``. ``body``
        is a model, or JSON already serialised (an outbox message as it was stored)."""
        if isinstance(body, BaseModel):
            content = body.model_dump_json().encode()
        else:
            content = body or b""
        url = peer.url + path + (f"?{urlencode(params)}" if params else "")
        for attempt in range(self._retries + 1):
            try:
                status, payload = await self._attempt(peer, method, url, content, timeout)
                return _parsed(peer, status, payload, answer)
            except (PeerUnreachable, _Retry) as error:
                if attempt == self._retries:
                    raise PeerUnreachable(f"{peer.name}: {error.message}") from None
                await asyncio.sleep(self._backoff * 2**attempt * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")  # the loop either returns or raises

    async def _attempt(
        self, peer: PeerAddress, method: str, url: str, content: bytes, timeout: float | None
    ) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if content else {}
        identity = self._local.identity
        headers |= httpsig.sign_request(
            method, url, headers, content, identity.private_key, self._local.node_id
        )
        try:
            response = await self._http.request(
                method, url, content=content, headers=headers, timeout=timeout or self._timeout
            )
        except httpx.TimeoutException as error:
            raise PeerUnreachable(f"no answer within {timeout or self._timeout} s") from error
        except httpx.TransportError as error:
            raise PeerUnreachable(f"cannot connect: {type(error).__name__}") from error
        signed = "signature" in response.headers
        if signed:
            _verify(peer, response, headers)
        elif response.status_code in RETRY_STATUSES:
            raise _Retry(f"answered {response.status_code} (unsigned, perhaps a proxy)")
        elif response.status_code < 400 or response.status_code >= 500:
            raise PeerMisbehaved(f"{peer.name} answered {response.status_code} without a signature")
        if response.status_code in RETRY_STATUSES:
            raise _Retry(f"answered {response.status_code}: {_detail(response.content)}")
        if response.status_code >= 400:
            verified = "" if signed else " (unsigned answer)"
            raise PeerRefused(
                f"{peer.name} refused with {response.status_code}{verified}: "
                f"{_detail(response.content)}",
                response.status_code,
            )
        return response.status_code, response.content


class _Retry(TipnetError):
    """A transient failure worth another attempt."""


def _verify(peer: PeerAddress, response: httpx.Response, sent: Mapping[str, str]) -> None:
    try:
        httpsig.verify_response(
            response.status_code,
            dict(response.headers.items()),
            response.content,
            sent,
            Ed25519PublicKey.from_public_bytes(peer.public_key),
            peer.node_id,
        )
    except httpsig.SignatureRejected as error:
        raise PeerMisbehaved(f"{peer.name}'s answer failed its signature check: {error}") from None


def _parsed(peer: PeerAddress, status: int, payload: bytes, answer: type[ResponseT]) -> ResponseT:
    try:
        return answer.model_validate_json(payload)
    except ValidationError as error:
        raise PeerMisbehaved(
            f"{peer.name} answered {status} with a body that is not a {answer.__name__} "
            f"({error.error_count()} problems)"
        ) from None


def _detail(content: bytes) -> str:
    """The ``detail`` of an error answer, shortened; the raw start of anything else."""
    try:
        detail: Any = json.loads(content).get("detail")
    except (ValueError, AttributeError):
        detail = content[:200].decode("utf-8", "replace")
    return (detail if isinstance(detail, str) else json.dumps(detail))[:300]
