"""The outer edge of every HTTP exchange, as pure ASGI middleware (intake is hot, so no
``BaseHTTPMiddleware`` and its extra task per request).

- :class:`BodyGuard` refuses a body over the size limit (413) or nested too deep (422) before
  any route, dependency or other middleware parses it.
- :class:`SecurityHeaders` puts the browser-facing protections on every response, and turns an
  unexpected exception into a plain JSON 500 carrying an error id that is also logged, so no
  traceback, SQL or personal data ever reaches the caller.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tipnet.errors import InvalidInput
from tipnet.validation import MAX_JSON_DEPTH, check_json_depth

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Static assets (stylesheet, the vendored API docs) carry no personal data; "no-cache" lets a
# browser keep them but revalidate, so an upgrade is never served stale.
STATIC_PREFIX = "/static/"
STATIC_CACHE = "no-cache"
PRIVATE_CACHE = "no-store"
# Forms carry user text (brackets included) percent-encoded or in parts: not JSON, not counted.
_FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


class BodyGuard:
    """Refuse bodies over ``max_bytes`` (413) or JSON nested deeper than ``max_depth`` (422).

    The size is checked on the declared length and on the bytes actually streamed; the depth
    on the whole body, before its last chunk is handed on. Refusals are raised as
    ``HTTPException`` from ``receive``, which FastAPI passes through its body parsing to the
    error handlers unchanged; a reader outside FastAPI's routes is answered here.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _answer(self._too_large(), scope, send)
            return
        is_form = headers.get(b"content-type", b"").lower().startswith(_FORM_TYPES)
        chunks: list[bytes] = []
        received = 0

        async def guarded_receive() -> Message:
            nonlocal received
            message = await receive()
            body = message.get("body", b"")
            received += len(body)
            if received > self.max_bytes:
                raise self._too_large()
            if not is_form and message["type"] == "http.request":
                chunks.append(body)
                if not message.get("more_body", False):
                    self._check_depth(b"".join(chunks) if len(chunks) > 1 else body)
            return message

        responded = False

        async def tracked_send(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, tracked_send)
        except _BodyRefused as refused:
            if responded:
                raise
            await _answer(refused, scope, send)

    def _too_large(self) -> _BodyRefused:
        return _BodyRefused(
            413, f"request body is larger than {self.max_bytes} bytes; split the submission"
        )

    def _check_depth(self, body: bytes) -> None:
        try:
            check_json_depth(body, max_depth=self.max_depth)
        except InvalidInput as error:
            problem = {
                "field": "body",
                "message": error.message,
                "type": "json_too_deep",
                "loc": ["body"],
            }
            raise _BodyRefused(422, [problem]) from None


class SecurityHeaders:
    """Security headers on every response, and a generic JSON 500 for any unexpected error.

    A route may set its own, stricter Content-Security-Policy (the check page, the API docs);
    every other header here is added only where the response has not set it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in SECURITY_HEADERS.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache = STATIC_CACHE if scope["path"].startswith(STATIC_PREFIX) else PRIVATE_CACHE
        responded = False

        async def secured_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                message = {**message, "headers": self._with_headers(message, cache)}
            await send(message)

        try:
            await self.app(scope, receive, secured_send)
        except Exception:
            if responded:
                raise  # the status is already on the wire; the server closes the connection
            await _answer(_unexpected(scope), scope, secured_send)

    def _with_headers(self, start: Message, cache: str) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]] = list(start.get("headers", ()))
        present = {name.lower() for name, _value in headers}
        missing = [(name, value) for name, value in self.headers if name not in present]
        if b"cache-control" not in present:
            missing.append((b"cache-control", cache.encode()))
        return headers + missing


def _unexpected(scope: Scope) -> JSONResponse:
    """Log the exception being handled under a fresh id and answer with that id only."""
    error_id = uuid.uuid4().hex
    log.exception("unexpected error %s in %s %s", error_id, scope.get("method"), scope["path"])
    return JSONResponse(
        {
            "detail": "internal error; the node's administrators can find it in the log "
            "by this error id",
            "error_id": error_id,
        },
        status_code=500,
    )


async def _answer(response: HTTPException | JSONResponse, scope: Scope, send: Send) -> None:
    if isinstance(response, HTTPException):
        response = JSONResponse({"detail": response.detail}, status_code=response.status_code)
    await response(scope, _disconnected, send)


class _BodyRefused(HTTPException):
    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(status_code, detail)


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}
