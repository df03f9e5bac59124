"""A misbehaving peer for the fault tests: a proxy in front of a real node's server that is the
node's public URL and, on demand, answers late, answers garbage, strips or breaks signatures,
re-signs with a skewed clock, or signs a wrong answer with the node's own key (a node that is
compromised or buggy, not only a network in between)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tipnet.federation import httpsig

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
SIGNATURE_FIELDS = {"signature", "signature-input", "content-digest"}
CHUNK = 1024 * 1024


@dataclass
class Signer:
    """The proxied node's key, to sign answers it never gave."""

    key: Ed25519PrivateKey
    node_id: str


class FaultProxy:
    """Forwards to ``upstream``; ``fault`` chooses the misbehaviour (None: none). Only
    ``/federation/v1`` requests are tampered with; ``delay`` seconds apply to every fault."""

    FAULTS = (
        "slow",
        "invalid_json",
        "wrong_content_type",
        "huge",
        "huge_declared",
        "unsigned",
        "bad_signature",
        "schema",
        "clock_past",
        "clock_future",
        "clock_within",
    )

    def __init__(self, upstream: str, signer: Signer | None = None, delay: float = 0.0) -> None:
        self.upstream = upstream
        self.signer = signer
        self.fault: str | None = None
        self.delay = delay
        self.requests = 0
        self.huge_sent = 0  # bytes of the last huge answer written before the client hung up
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                proxy._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                proxy._handle(self)

            def log_message(self, *_args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True  # a handler asleep in "slow" must not hold the test's end
            block_on_close = False

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- one exchange ------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        request_headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        fault = self.fault if handler.path.startswith("/federation/v1/") else None
        self.requests += 1
        if fault == "slow":
            time.sleep(self.delay)
        if fault in ("huge", "huge_declared"):
            self._huge(handler, declared=fault == "huge_declared")
            return
        try:
            answer = httpx.request(
                handler.command,
                self.upstream + handler.path,
                content=body,
                headers=request_headers,
                timeout=30,
            )
            status, content, headers = answer.status_code, answer.content, dict(answer.headers)
        except httpx.HTTPError:
            status, content, headers = 502, b"bad gateway", {}
        if fault is not None and fault != "slow":
            status, content, headers = self._tamper(
                fault, status, content, headers, request_headers
            )
        self._send(handler, status, content, headers)

    def _tamper(
        self,
        fault: str,
        status: int,
        content: bytes,
        headers: dict[str, str],
        request_headers: dict[str, str],
    ) -> tuple[int, bytes, dict[str, str]]:
        plain = {k: v for k, v in headers.items() if k.lower() not in SIGNATURE_FIELDS}
        if fault == "unsigned":
            return status, content, plain
        if fault == "bad_signature":
            return status, content.replace(b"{", b"{ ", 1), headers  # digest no longer matches
        assert self.signer is not None, "give the proxy the node's key to sign with"
        now = int(time.time())
        if fault == "invalid_json":
            content = b'{"epoch": "x", "adds": [1, 2'
        elif fault == "wrong_content_type":
            plain["content-type"] = "text/html; charset=utf-8"
            content = b"<html><body>Welcome to nginx!</body></html>"
        elif fault == "schema":
            content = b'{"epoch": 7, "adds": "everything", "next": -1}'
        skews = {"clock_past": -600, "clock_future": 600, "clock_within": 40}
        signed = httpsig.sign_response(
            status,
            {"content-type": plain.get("content-type", "application/json")},
            content,
            self.signer.key,
            self.signer.node_id,
            request_headers,
            now=now + skews.get(fault, 0),
        )
        return status, content, plain | signed

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, content: bytes, headers: dict[str, str]
    ) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            if name.lower() not in HOP_BY_HOP:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def _huge(self, handler: BaseHTTPRequestHandler, *, declared: bool) -> None:
        """64 MiB of JSON-looking bytes: announced up front, or streamed in chunks unannounced."""
        total = 64 * CHUNK
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declared:
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        block = b" " * CHUNK
        self.huge_sent = 0
        try:
            for _ in range(total // CHUNK):
                if declared:
                    handler.wfile.write(block)
                else:
                    handler.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                self.huge_sent += len(block)
            if not declared:
                handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should
        handler.close_connection = True
