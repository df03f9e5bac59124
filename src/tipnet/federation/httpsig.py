"""Signed HTTP messages between nodes: RFC 9421 HTTP Message Signatures with Ed25519.

A request covers ``"@method" "@authority" "@path" "@query" "content-digest"`` (and
``"content-type"`` when it has one), with the parameters ``created``, ``expires``, ``nonce``,
``keyid``, ``alg="ed25519"`` and ``tag="tipnet"``. The body is covered through its RFC 9530
``Content-Digest`` (sha-512), which the verifier recomputes. ``@authority`` + ``@path`` +
``@query`` rather than ``@target-uri``: the scheme is left out because a TLS-terminating proxy
changes it on the way in, while the authority must stay, or a peer could replay a request that
was signed for it to another node. A response covers ``"@status" "content-digest"`` and the
request's signature (``"signature";req;key=...``), so the querier knows the answer is the
peer's answer to *this* request, not a replay of an older one.

Verification order: parse, required components, key, signature, freshness, digest, replay.
Every failure raises a :class:`SignatureRejected` subclass whose ``reason`` is a short code for
the audit log; those raised after the signature check concern a signature the peer really made.
Structured fields (RFC 8941) are parsed and serialised by :mod:`.structured_fields`.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tipnet.errors import InvalidInput, Unavailable
from tipnet.federation.signature_errors import (
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    MissingComponent,
    ReplayedMessage,
    SignatureExpired,
    SignatureFromFuture,
    UnknownKey,
    UnsignedMessage,
)
from tipnet.federation.structured_fields import (
    BareItem,
    InnerList,
    Item,
    Params,
    Token,
    parse_dictionary,
    parse_item,
    serialize_bare,
    serialize_inner_list,
    serialize_item,
    serialize_member,
)

LABEL = "tipnet"
TAG = "tipnet"
ALGORITHM = "ed25519"
DEFAULT_LIFETIME = 300  # seconds a signature says it is valid for (its ``expires``)
DEFAULT_MAX_AGE = 300  # seconds after ``created`` a verifier still accepts a signature
DEFAULT_CLOCK_SKEW = 60  # seconds two nodes' clocks may disagree by
MAX_ID_CHARS = 128  # longest keyid or nonce: replay guards store them in bounded columns
REQUEST_COMPONENTS = ('"@method"', '"@authority"', '"@path"', '"@query"', '"content-digest"')
RESPONSE_COMPONENTS = ('"@status"', '"content-digest"')


# --- public API ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    key_id: str
    created: int
    nonce: str


@dataclass(frozen=True, slots=True)
class VerifiedResponse:
    key_id: str
    created: int


class ReplayGuard(Protocol):
    """Remembers the nonces of accepted requests for as long as their signature is valid."""

    def seen(self, key_id: str, nonce: str, *, now: int, keep_until: int) -> bool:
        """Record ``(key_id, nonce)`` until ``keep_until``; True if it was already recorded.

        Entries whose ``keep_until`` is before ``now`` may be forgotten: the verifier refuses
        their signatures as too old anyway.
        """
        ...


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    key: Ed25519PrivateKey,
    key_id: str,
    *,
    now: int | None = None,
    nonce: str | None = None,
    lifetime: int = DEFAULT_LIFETIME,
) -> dict[str, str]:
    """Headers to add to an outgoing request: ``Content-Digest``, ``Signature-Input``,
    ``Signature``. ``url`` is the full URL as sent (percent-encoded); ``headers`` the others."""
    digest = content_digest(body)
    message = request_message(method, url, _lowercase(headers) | {"content-digest": digest})
    covered = _request_components(message.headers)
    return {"Content-Digest": digest} | _sign(message, covered, key, key_id, now, nonce, lifetime)


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: Callable[[str], Ed25519PublicKey | None],
    replay_guard: ReplayGuard,
    *,
    now: int | None = None,
    max_age: int = DEFAULT_MAX_AGE,
    clock_skew: int = DEFAULT_CLOCK_SKEW,
) -> VerifiedRequest:
    """Check an incoming request's tipnet signature, or raise the SignatureRejected saying why.

    ``url`` must be the URL the sender addressed: this node's public authority, and the path
    and query as received, still percent-encoded (ASGI ``raw_path`` and ``query_string``).
    """
    message = request_message(method, url, headers)
    signature = _find_signature(message.headers, "request")
    _require(signature, _request_components(message.headers), "request")
    if signature.nonce is None:
        raise MalformedSignature("the request signature has no nonce parameter")
    public_key = resolve_key(signature.key_id)
    if public_key is None:
        raise UnknownKey(
            f"unknown key: no registered peer has key id {signature.key_id!r}. If the peer "
            "rotated its key, this node must accept its rotation statement first "
            "(`tipnet peers rotate FILE`)"
        )
    _check_signature(message, signature, public_key, "request")
    now = int(time.time()) if now is None else now
    _check_freshness(signature, now, max_age, clock_skew, "request")
    _check_digest(message.headers, body, "request")
    keep_until = signature.created + max_age + clock_skew
    if replay_guard.seen(signature.key_id, signature.nonce, now=now, keep_until=keep_until):
        raise ReplayedMessage(
            f"nonce {signature.nonce!r} of {signature.key_id!r} was already used; sign again"
        )
    return VerifiedRequest(signature.key_id, signature.created, signature.nonce)


def sign_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    key: Ed25519PrivateKey,
    key_id: str,
    request_headers: Mapping[str, str],
    *,
    now: int | None = None,
    nonce: str | None = None,
    lifetime: int = DEFAULT_LIFETIME,
) -> dict[str, str]:
    """Headers to add to the response to a verified request, bound to that request's signature."""
    digest = content_digest(body)
    request = HttpMessage(headers=_lowercase(request_headers))
    request_label = _find_signature(request.headers, "request").label
    message = HttpMessage(
        headers=_lowercase(headers) | {"content-digest": digest}, status=status, request=request
    )
    covered = _response_components(message.headers, request_label)
    return {"Content-Digest": digest} | _sign(message, covered, key, key_id, now, nonce, lifetime)


def verify_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    request_headers: Mapping[str, str],
    peer_key: Ed25519PublicKey,
    peer_key_id: str,
    *,
    now: int | None = None,
    max_age: int = DEFAULT_MAX_AGE,
    clock_skew: int = DEFAULT_CLOCK_SKEW,
) -> VerifiedResponse:
    """Check that a response was signed by the peer that was asked, for the request we sent
    (``request_headers`` as sent, with their Signature)."""
    request = HttpMessage(headers=_lowercase(request_headers))
    request_label = _find_signature(request.headers, "request").label
    message = HttpMessage(headers=_lowercase(headers), status=status, request=request)
    signature = _find_signature(message.headers, "response")
    _require(signature, _response_components(message.headers, request_label), "response")
    if signature.key_id != peer_key_id:
        raise UnknownKey(f"the response is signed by {signature.key_id!r}, not {peer_key_id!r}")
    _check_signature(message, signature, peer_key, "response")
    now = int(time.time()) if now is None else now
    _check_freshness(signature, now, max_age, clock_skew, "response")
    _check_digest(message.headers, body, "response")
    return VerifiedResponse(signature.key_id, signature.created)


def content_digest(body: bytes) -> str:
    """RFC 9530 ``Content-Digest`` field value of a body, with sha-512."""
    return f"sha-512={serialize_bare(hashlib.sha512(body).digest())}"


class MemoryReplayGuard:
    """A :class:`ReplayGuard` in one process's memory, safe to share between threads.

    Entries are forgotten once their ``keep_until`` has passed, so memory holds at most the
    requests of one signature lifetime; ``max_entries`` caps it even under a flood from a peer.
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self._max_entries = max_entries
        self._keep_until: dict[tuple[str, str], int] = {}
        self._by_expiry: list[tuple[int, str, str]] = []  # heap: earliest keep_until first
        self._lock = threading.Lock()

    def seen(self, key_id: str, nonce: str, *, now: int, keep_until: int) -> bool:
        with self._lock:
            self._forget_before(now)
            if (key_id, nonce) in self._keep_until:
                return True
            if len(self._keep_until) >= self._max_entries:
                raise Unavailable("too many signed requests in the replay window; retry later")
            self._keep_until[(key_id, nonce)] = keep_until
            heapq.heappush(self._by_expiry, (keep_until, key_id, nonce))
            return False

    def __len__(self) -> int:
        with self._lock:
            return len(self._keep_until)

    def _forget_before(self, now: int) -> None:
        while self._by_expiry and self._by_expiry[0][0] < now:
            _, key_id, nonce = heapq.heappop(self._by_expiry)
            del self._keep_until[(key_id, nonce)]


# --- messages and signature bases ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpMessage:
    """What a signature can cover: a request (method, URL parts) or a response (status)."""

    headers: Mapping[str, str]  # lowercase names
    method: str | None = None
    scheme: str | None = None
    authority: str | None = None
    path: str | None = None
    query: str | None = None
    status: int | None = None
    request: HttpMessage | None = None  # the request a response answers, for ``;req``


def signature_base(message: HttpMessage, signature_input: str, label: str) -> bytes:
    """RFC 9421 section 2.5 signature base for the signature ``label`` of a Signature-Input."""
    member = parse_dictionary(signature_input, "Signature-Input", MalformedSignature).get(label)
    if not isinstance(member, InnerList):
        raise MalformedSignature(f"Signature-Input has no inner list labelled {label!r}")
    return _signature_base(message, member)


def _signature_base(message: HttpMessage, covered: InnerList) -> bytes:
    lines = []
    for component in covered.items:
        value = _component_value(message, component)
        if "\n" in value or not value.isascii():
            raise MalformedSignature(f"component {serialize_item(component)} is not one line")
        lines.append(f"{serialize_item(component)}: {value}")
    identifiers = [line.partition(": ")[0] for line in lines]
    if len(set(identifiers)) != len(identifiers):
        raise MalformedSignature("the signature covers a component twice")
    lines.append(f'"@signature-params": {serialize_inner_list(covered)}')
    return "\n".join(lines).encode("ascii")


def _component_value(message: HttpMessage, component: Item) -> str:
    name, params = component.value, component.params
    if not isinstance(name, str) or isinstance(name, Token) or name != name.lower():
        raise MalformedSignature("a component identifier must be a lowercase string")
    if set(params) - {"req", "key"}:
        raise MalformedSignature(f"unsupported component parameters {sorted(params)} on {name}")
    if params.get("req") is True:
        if message.request is None:
            raise MalformedSignature(f"{name};req is only meaningful on a response")
        message = message.request
    if name.startswith("@"):
        return _derived_value(message, name)
    value = message.headers.get(name)
    if value is None:
        raise MissingComponent(f"the signature covers the {name} field but it is absent")
    if "key" in params:
        member = parse_dictionary(value, name, MalformedSignature).get(str(params["key"]))
        if member is None:
            raise MissingComponent(f"the {name} field has no member {params['key']!r}")
        return serialize_member(member)
    return value


def _derived_value(message: HttpMessage, name: str) -> str:
    values = {
        "@method": message.method,
        "@authority": message.authority,
        "@scheme": message.scheme,
        "@path": message.path,
        "@query": message.query,
        "@target-uri": None
        if message.path is None
        else f"{message.scheme}://{message.authority}{message.path}{message.query}",
        "@status": None if message.status is None else str(message.status),
    }
    if name not in values:
        raise MalformedSignature(f"unsupported derived component {name}")
    value = values[name]
    if value is None:
        raise MalformedSignature(f"{name} does not apply to this message")
    return value


def request_message(method: str, url: str, headers: Mapping[str, str]) -> HttpMessage:
    """A request as signatures see it: header names lowercased; @scheme, @authority (lowercase
    host, default port dropped), @path and @query taken from its percent-encoded URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not url.isascii():
        raise InvalidInput(f"{url!r} is not an absolute, percent-encoded http(s) URL")
    try:
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"{url!r} has an invalid port") from error
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    default_port = {"http": 80, "https": 443}[parts.scheme]
    authority = host if port in (None, default_port) else f"{host}:{port}"
    return HttpMessage(
        headers=_lowercase(headers),
        method=method,
        scheme=parts.scheme,
        authority=authority,
        path=parts.path or "/",
        query=f"?{parts.query}",
    )


def _lowercase(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lowercased; repeated names combined with ", " as RFC 9421 2.1 says."""
    combined: dict[str, str] = {}
    for name, value in headers.items():
        name, value = name.lower(), value.strip()
        combined[name] = f"{combined[name]}, {value}" if name in combined else value
    return combined


# --- signing and the checks ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Signature:
    label: str
    covered: InnerList
    value: bytes
    key_id: str
    created: int
    expires: int | None
    nonce: str | None


def _request_components(headers: Mapping[str, str]) -> list[str]:
    return [*REQUEST_COMPONENTS, *(['"content-type"'] if "content-type" in headers else [])]


def _response_components(headers: Mapping[str, str], request_label: str) -> list[str]:
    bound = f'"signature";req;key={serialize_bare(request_label)}'
    return [*RESPONSE_COMPONENTS, *(['"content-type"'] if "content-type" in headers else []), bound]


def _sign(
    message: HttpMessage,
    components: Sequence[str],
    key: Ed25519PrivateKey,
    key_id: str,
    now: int | None,
    nonce: str | None,
    lifetime: int,
) -> dict[str, str]:
    created = int(time.time()) if now is None else now
    nonce = secrets.token_urlsafe(16) if nonce is None else nonce
    for what, text in (("key id", key_id), ("nonce", nonce)):
        if not _is_short_text(text) or not all(" " <= char <= "~" for char in text):
            raise InvalidInput(
                f"the {what} must be 1 to {MAX_ID_CHARS} printable ASCII characters, not {text!r}"
            )
    params: Params = {
        "created": created,
        "expires": created + lifetime,
        "nonce": nonce,
        "keyid": key_id,
        "alg": ALGORITHM,
        "tag": TAG,
    }
    covered = InnerList(tuple(parse_item(text, MalformedSignature) for text in components), params)
    signature = key.sign(_signature_base(message, covered))
    return {
        "Signature-Input": f"{LABEL}={serialize_inner_list(covered)}",
        "Signature": f"{LABEL}={serialize_bare(signature)}",
    }


def _find_signature(headers: Mapping[str, str], what: str) -> _Signature:
    """The one signature tagged ``tipnet`` (labels may be renamed on the way; tags may not)."""
    if "signature-input" not in headers or "signature" not in headers:
        raise UnsignedMessage(f"the {what} has no Signature-Input and Signature headers")
    inputs = parse_dictionary(headers["signature-input"], "Signature-Input", MalformedSignature)
    ours = [
        (label, member)
        for label, member in inputs.items()
        if isinstance(member, InnerList) and member.params.get("tag") == TAG
    ]
    if len(ours) != 1:
        raise UnsignedMessage(f"the {what} has {len(ours)} signatures tagged {TAG!r}, not one")
    label, covered = ours[0]
    value = parse_dictionary(headers["signature"], "Signature", MalformedSignature).get(label)
    if not isinstance(value, Item) or not isinstance(value.value, bytes):
        raise MalformedSignature(f"the Signature header has no byte sequence labelled {label!r}")
    params = covered.params
    key_id = _short_text(params.get("keyid"), "keyid", what)
    nonce = None if "nonce" not in params else _short_text(params["nonce"], "nonce", what)
    created, expires = params.get("created"), params.get("expires")
    if not isinstance(created, int) or isinstance(created, bool):
        raise MalformedSignature(f"the {what} signature needs an integer created parameter")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise MalformedSignature(f"the {what} signature's expires parameter must be an integer")
    if params.get("alg", ALGORITHM) != ALGORITHM:
        raise MalformedSignature(f"the {what} signature's alg must be {ALGORITHM!r}")
    return _Signature(label, covered, value.value, key_id, created, expires, nonce)


def _require(signature: _Signature, components: Sequence[str], what: str) -> None:
    covered = {serialize_item(item) for item in signature.covered.items}
    missing = [component for component in components if component not in covered]
    if missing:
        raise MissingComponent(f"the {what} signature must cover {', '.join(missing)}")


def _check_signature(
    message: HttpMessage, signature: _Signature, key: Ed25519PublicKey, what: str
) -> None:
    try:
        key.verify(signature.value, _signature_base(message, signature.covered))
    except InvalidSignature as error:
        raise BadSignature(
            f"the {what} signature by {signature.key_id!r} does not match the {what} as received"
        ) from error


def _check_freshness(
    signature: _Signature, now: int, max_age: int, clock_skew: int, what: str
) -> None:
    """Refuse a signature made too far in the future or the past. Either usually means the
    two nodes' clocks disagree, so the message says so, and by how much."""
    check = "check both nodes' clocks (NTP)"
    if signature.created > now + clock_skew:
        raise SignatureFromFuture(
            f"clock skew: the {what} was signed {signature.created - now} s in the future, "
            f"beyond the allowed {clock_skew} s; {check}"
        )
    if now > signature.created + max_age + clock_skew:
        raise SignatureExpired(
            f"clock skew or a replay: the {what} was signed {now - signature.created} s ago, "
            f"beyond the {max_age} s a signature is valid and the allowed {clock_skew} s of "
            f"skew; {check}"
        )
    if signature.expires is not None and now > signature.expires + clock_skew:
        raise SignatureExpired(
            f"clock skew or a replay: the {what} signature expired {now - signature.expires} s "
            f"ago, beyond the allowed {clock_skew} s of skew; {check}"
        )


def _check_digest(headers: Mapping[str, str], body: bytes, what: str) -> None:
    digests = parse_dictionary(headers["content-digest"], "Content-Digest", MalformedSignature)
    sha512 = digests.get("sha-512")
    if not isinstance(sha512, Item) or not isinstance(sha512.value, bytes):
        raise DigestMismatch(f"the {what}'s Content-Digest has no sha-512 digest")
    if not hmac.compare_digest(sha512.value, hashlib.sha512(body).digest()):
        raise DigestMismatch(f"the {what} body does not match its Content-Digest")


def _is_short_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


def _short_text(value: BareItem | None, name: str, what: str) -> str:
    if not _is_short_text(value):
        raise MalformedSignature(
            f"the {what} signature's {name} must be a string of 1 to {MAX_ID_CHARS} characters"
        )
    return value
