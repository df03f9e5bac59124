"""Talking to peers: every request signed by this node, every answer's signature checked
against the peer that was asked, per-peer timeouts, retries with backoff.

A peer that is down, slow, or answers garbage becomes a :class:`PeerError` the caller can
label, never a hang or a crash: the caller asks peers concurrently and reports each one's
outcome (``ok``, ``unreachable``, ``refused`` or ``error``), so results are partial, and
labelled so, when a peer fails. Each attempt has a deadline for the whole answer (a peer
that trickles bytes is cut off like a silent one), a timeout is not retried (a slow peer would
hold the caller for a multiple of it), and an answer is read while it streams in and dropped
past :data:`MAX_RESPONSE_BYTES`. An answer must be signed by the peer's registered key, be JSON
and match the expected schema; each failure has its own message. Every outcome goes to the
peer's health record (:mod:`.health`): the error's message, which may quote the peer's own
text, goes to the encrypted record, and its ``logged`` twin, in our own words, to the log.
Retries re-sign the request (a fresh nonce), since the peer refuses a nonce it has seen; the
operations that are retried are safe to repeat (OPRF evaluations, feed reads, and messages the
peer deduplicates by their id).
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
from tipnet.federation import httpsig, signature_errors
from tipnet.federation.health import HealthRecorder
from tipnet.federation.models import Peer
from tipnet.federation.node import LocalIdentity

DEFAULT_TIMEOUT = 10.0  # seconds for one attempt, the whole answer included
DEFAULT_RETRIES = 2  # attempts after the first, for connection failures and 502/503/504
DEFAULT_BACKOFF = 0.25  # seconds before the first retry; doubles each time, with jitter
RETRY_STATUSES = frozenset({502, 503, 504})
# The largest answer read from a peer (a full feed page or evaluation round is about 1 MB):
# a bigger one is cut off while it streams in, never held whole in memory.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
JSON_TYPE = "application/json"
# Content types a wrong answer commonly has (a proxy's error page...), named in log lines.
USUAL_TYPES = frozenset(
    {"", "text/html", "text/plain", "text/xml", "application/xml", "application/octet-stream"}
    | {"application/problem+json", "application/x-www-form-urlencoded", "multipart/form-data"}
)
ResponseT = TypeVar("ResponseT", bound=BaseModel)


class _Quoting(TipnetError):
    """An error whose message may quote the peer (its error text, a header it chose): the
    health record keeps the message, encrypted; log lines use ``logged``, the same in our own
    words (what failed, statuses, sizes), with what the peer wrote only as its length."""

    def __init__(self, message: str, *, logged: str | None = None) -> None:
        super().__init__(message)
        self.logged = message if logged is None else logged


class PeerError(_Quoting):
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

    def __init__(self, message: str, peer_status: int, *, logged: str | None = None) -> None:
        super().__init__(message, logged=logged)
        self.peer_status = peer_status


class PeerMisbehaved(PeerError):
    """An answer that is not signed by the peer, not for our request, or not what we asked."""


class PeerKeyChanged(PeerMisbehaved):
    """An answer signed by another key than the peer's registered one: perhaps a rotation."""


@dataclass(frozen=True)
class PeerAddress:
    """Where a peer is and the key its answers must be signed with."""

    node_id: str
    name: str
    url: str
    public_key: bytes
    peer_id: int | None = None  # the row whose health record the outcome goes to
    timeout: float | None = None  # seconds for one attempt; None: the client's default

    @classmethod
    def of(cls, peer: Peer) -> PeerAddress:
        return cls(peer.key_id, peer.name, peer.url, peer.public_key, peer.id, peer.timeout_seconds)


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
        health: HealthRecorder | None = None,
    ) -> None:
        self._local = local
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._health = health
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
        limit = timeout or peer.timeout or self._timeout
        try:
            result = await self._with_retries(peer, method, url, content, limit, answer)
        except PeerError as error:
            await self._record_failure(peer, error)
            raise
        await self._record_success(peer)
        return result

    async def _with_retries(
        self,
        peer: PeerAddress,
        method: str,
        url: str,
        content: bytes,
        limit: float,
        answer: type[ResponseT],
    ) -> ResponseT:
        for attempt in range(self._retries + 1):
            try:
                async with asyncio.timeout(limit):
                    status, payload = await self._attempt(peer, method, url, content, limit)
            except TimeoutError:
                # Not retried: a slow peer would hold the caller for a multiple of its timeout.
                raise PeerUnreachable(
                    f"{peer.name}: timeout: no answer within {limit:g} s"
                ) from None
            except (PeerUnreachable, _Retry) as error:
                if attempt == self._retries:
                    raise PeerUnreachable(
                        f"{peer.name}: {error.message}", logged=f"{peer.name}: {error.logged}"
                    ) from None
                await asyncio.sleep(self._backoff * 2**attempt * random.uniform(0.5, 1.5))
                continue
            return _parsed(peer, status, payload, answer)
        raise AssertionError("unreachable")  # the loop either returns or raises

    async def _attempt(
        self, peer: PeerAddress, method: str, url: str, content: bytes, limit: float
    ) -> tuple[int, bytes]:
        headers = {"Content-Type": JSON_TYPE} if content else {}
        identity = self._local.identity
        headers |= httpsig.sign_request(
            method, url, headers, content, identity.private_key, self._local.node_id
        )
        try:
            response, body = await self._send(peer, method, url, content, headers, limit)
        except httpx.TimeoutException as error:
            raise TimeoutError from error  # one message for every kind of timeout
        except httpx.TransportError as error:
            raise PeerUnreachable(f"cannot connect: {type(error).__name__}") from error
        signed = "signature" in response.headers
        if signed:
            _verify(peer, response, body, headers)
        elif response.status_code in RETRY_STATUSES:
            raise _Retry(f"answered {response.status_code} (unsigned, perhaps a proxy)")
        elif response.status_code < 400 or response.status_code >= 500:
            raise PeerMisbehaved(
                f"{peer.name}: response not signed (status {response.status_code}): refused"
            )
        if response.status_code in RETRY_STATUSES:
            said = f"answered {response.status_code}"
            raise _Retry(f"{said}: {_detail(body)}", logged=f"{said}{_length(body)}")
        if response.status_code >= 400:
            said = f"{peer.name} refused with {response.status_code}"
            said += "" if signed else " (unsigned answer)"
            raise PeerRefused(
                f"{said}: {_detail(body)}", response.status_code, logged=f"{said}{_length(body)}"
            )
        _check_content_type(peer, response)
        return response.status_code, body

    async def _send(
        self,
        peer: PeerAddress,
        method: str,
        url: str,
        content: bytes,
        headers: Mapping[str, str],
        limit: float,
    ) -> tuple[httpx.Response, bytes]:
        """The response and its body, read while it streams in and cut off past the limit."""
        request = self._http.build_request(
            method, url, content=content, headers=headers, timeout=limit
        )
        response = await self._http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise _too_big(peer, f"{int(declared)} bytes announced")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _too_big(peer, "more than that sent")
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response, b"".join(chunks)

    async def _record_success(self, peer: PeerAddress) -> None:
        if self._health is not None and peer.peer_id is not None:
            if self._health.needs_success_write(peer.peer_id):
                await asyncio.to_thread(self._health.success, peer.peer_id)

    async def _record_failure(self, peer: PeerAddress, error: PeerError) -> None:
        """A refusal on the peer's business grounds (a rate limit, a kind not agreed) shows
        the peer is up and talking to us; one on authentication (401) does not."""
        if isinstance(error, PeerRefused) and error.peer_status != 401:
            await self._record_success(peer)
            return
        if self._health is not None and peer.peer_id is not None:
            await asyncio.to_thread(
                self._health.failure,
                peer.peer_id,
                peer.name,
                peer.node_id,
                error.outcome,
                error.message,
                logged=error.logged,
            )


class _Retry(_Quoting):
    """A transient failure worth another attempt."""


def _verify(
    peer: PeerAddress, response: httpx.Response, body: bytes, sent: Mapping[str, str]
) -> None:
    try:
        httpsig.verify_response(
            response.status_code,
            dict(response.headers.items()),
            body,
            sent,
            Ed25519PublicKey.from_public_bytes(peer.public_key),
            peer.node_id,
        )
    # httpsig's messages quote the signature's parameters (its keyid, label), which the peer
    # chose: the log names the kind of failure instead.
    except signature_errors.UnknownKey as error:
        advice = (
            "The peer may have rotated its key: get its rotation statement and run "
            "`tipnet peers rotate FILE`"
        )
        raise PeerKeyChanged(
            f"{peer.name}: unknown key: {error.message}. {advice}",
            logged=f"{peer.name}: the response is signed by an unknown key. {advice}",
        ) from None
    except (signature_errors.SignatureFromFuture, signature_errors.SignatureExpired) as error:
        raise PeerMisbehaved(f"{peer.name}: {error.message}") from None  # our words and numbers
    except signature_errors.SignatureRejected as error:
        raise PeerMisbehaved(
            f"{peer.name}: response signature invalid: {error.message}",
            logged=f"{peer.name}: response signature invalid ({error.reason})",
        ) from None


def _check_content_type(peer: PeerAddress, response: httpx.Response) -> None:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JSON_TYPE:
        named = repr(media or "missing")
        # The header is the peer's text: logged only when it is one of the usual types.
        usual = named if media in USUAL_TYPES else f"unusual ({len(media)} chars)"
        raise PeerMisbehaved(
            f"{peer.name}: response content type is {named}, not {JSON_TYPE}",
            logged=f"{peer.name}: response content type is {usual}, not {JSON_TYPE}",
        )


def _too_big(peer: PeerAddress, what: str) -> PeerMisbehaved:
    return PeerMisbehaved(
        f"{peer.name}: response too large: over the {MAX_RESPONSE_BYTES} byte limit ({what})"
    )


def _parsed(peer: PeerAddress, status: int, payload: bytes, answer: type[ResponseT]) -> ResponseT:
    try:
        return answer.model_validate_json(payload)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise PeerMisbehaved(
                f"{peer.name}: response is not valid JSON (status {status})"
            ) from None
        where = "; ".join(
            ".".join(str(part) for part in item["loc"]) or "body" for item in error.errors()[:5]
        )
        problems = f"{peer.name}: response does not match the {answer.__name__} schema "
        problems += f"({error.error_count()} problems"
        # Where may name keys of the peer's JSON: kept for the health record, not logged.
        raise PeerMisbehaved(f"{problems}, at {where})", logged=f"{problems})") from None


def _length(content: bytes) -> str:
    """What the log says of a peer's error text: its length, never the text."""
    return f"; its detail: {len(_detail(content))} chars"


def _detail(content: bytes) -> str:
    """The ``detail`` of an error answer, shortened; the raw start of anything else."""
    try:
        detail: Any = json.loads(content).get("detail")
    except (ValueError, AttributeError):
        detail = content[:200].decode("utf-8", "replace")
    return (detail if isinstance(detail, str) else json.dumps(detail))[:300]
