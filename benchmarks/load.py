"""Intake under load: 200 concurrent platform clients with retries against a real node.

A fresh node (PostgreSQL by default) runs as a separate server process on a loopback port. Many
platform clients (asyncio connections spread over a few client processes) each file their share
of generated reports, one report per request, and retry what was not confirmed (connection
error, timeout, 503) with the same ``reporter.report_id``, backing off as a platform would. While
intake is saturated an investigator reads the triage queue every 100 ms; its latency says
whether the node stays usable. After the run the rows are counted: every report that got a
receipt must exist exactly once, and no report may be lost or duplicated.

In the same run, the same clients post the same bodies to a bare ASGI endpoint that answers 201
without any work (benchmarks/bare_endpoint.py): the ratio says how close intake gets to what the
HTTP stack alone allows on this machine.

    python benchmarks/load.py --reports 20000 --clients 200 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.intake import (
    DEFAULT_POSTGRES,
    ROOT,
    _bodies,
    _database,
    _free_port,
    _prepare_node,
    _wait_for,
)

GOAL = 1000  # reports/s, one report per request, from issue 12
CLIENT_PROCESSES = 4
REQUEST_TIMEOUT = 30.0


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)  # reporter id -> tipnet report id
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    gave_up: int = 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=200, help="concurrent platform clients")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("TIPNET_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    bodies = _bodies(args.reports)
    print(
        f"{args.reports} reports, {args.clients} concurrent clients in {CLIENT_PROCESSES} "
        f"processes, {args.workers} server worker(s), {os.cpu_count()} cores, {args.backend}"
    )
    reference_rate = None
    if not args.skip_reference:
        reference = _run_reference(bodies, args.clients, args.workers)
        reference_rate = reference["rate"]
        _print_intake("reference: bare ASGI endpoint", reference)
    workers = 1 if args.backend == "sqlite" else args.workers
    _run_node(args.backend, bodies, args.clients, workers, args.postgres_url, reference_rate)


def _run_node(
    backend: str,
    bodies: list[bytes],
    clients: int,
    workers: int,
    postgres_url: str,
    reference_rate: float | None,
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url, cleanup = _database(backend, Path(directory), postgres_url)
        try:
            env = {
                **os.environ,
                "TIPNET_DATABASE_URL": url,
                "TIPNET_SECRET_KEY": _random_key(),
            }
            token = _prepare_node(env)
            investigator = _investigator_token(env)
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "tipnet.cli", "serve", "--port", str(port)]
                + ["--workers", str(workers)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                _wait_for(port)
                result, triage = _load(port, bodies, clients, token, investigator)
            finally:
                server.terminate()
                server.wait(30)
            lost, duplicated, unmatched = _count(url, bodies, result["receipts"])
        finally:
            cleanup()
    _print_intake(f"tipnet intake on {backend}, one report per request", result)
    print(
        f"  lost {lost}, duplicated {duplicated}, receipts not matching a stored report "
        f"{unmatched}; retries {result['retries']}, gave up {result['gave_up']}; "
        f"statuses {result['statuses']}"
    )
    ratios = f"{result['rate'] / GOAL:.2f} x the goal of {GOAL}/s"
    if reference_rate:
        ratios = f"{result['rate'] / reference_rate:.2f} x the bare endpoint; " + ratios
    print(f"  {ratios}")
    print(
        f"investigator triage while intake is saturated: {triage['count']} reads, "
        f"p50 {triage['p50']:.1f} ms, p99 {triage['p99']:.1f} ms, max {triage['max']:.1f} ms, "
        f"{triage['failed']} failed"
    )


def _investigator_token(env: dict[str, str]) -> str:
    def tipnet(*arguments: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "tipnet.cli", *arguments],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    tipnet("admin", "create-org", "Bench Police", "--kind", "law_enforcement")
    tipnet("admin", "create-user", "detective", "--org", "Bench Police", "--role", "investigator")
    return tipnet("admin", "create-token", "detective").strip().splitlines()[-1].strip()


def _load(
    port: int, bodies: list[bytes], clients: int, token: str, investigator: str
) -> tuple[dict[str, Any], dict[str, float]]:
    per_process = [
        list(range(index, clients, CLIENT_PROCESSES)) for index in range(CLIENT_PROCESSES)
    ]
    shares = [
        [[bodies[i] for i in range(client, len(bodies), clients)] for client in group]
        for group in per_process
    ]
    stop = multiprocessing.Event()
    prober_queue: multiprocessing.Queue[list[float | None]] = multiprocessing.Queue()
    prober = multiprocessing.Process(
        target=_triage_prober, args=(port, investigator, stop, prober_queue)
    )
    prober.start()
    started = time.perf_counter()
    with multiprocessing.Pool(CLIENT_PROCESSES) as pool:
        outcomes = pool.starmap(_client_process, [(port, share, token) for share in shares])
    elapsed = time.perf_counter() - started
    stop.set()
    triage_latencies = prober_queue.get(timeout=60)
    prober.join(30)
    return _summary(outcomes, len(bodies), elapsed), _triage_summary(triage_latencies)


def _summary(outcomes: list[ClientResult], count: int, elapsed: float) -> dict[str, Any]:
    latencies = sorted(latency for outcome in outcomes for latency in outcome.latencies)
    statuses: dict[int, int] = {}
    receipts: dict[str, str] = {}
    for outcome in outcomes:
        receipts.update(outcome.receipts)
        for code, seen in outcome.statuses.items():
            statuses[code] = statuses.get(code, 0) + seen
    return {
        "rate": len(receipts) / elapsed,
        "seconds": elapsed,
        "failures": count - len(receipts),
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": _percentile(latencies, 0.99) * 1000,
        "receipts": receipts,
        "retries": sum(outcome.retries for outcome in outcomes),
        "gave_up": sum(outcome.gave_up for outcome in outcomes),
        "statuses": statuses,
    }


def _client_process(port: int, shares: list[list[bytes]], token: str) -> ClientResult:
    return asyncio.run(_clients(port, shares, token))


async def _clients(port: int, shares: list[list[bytes]], token: str) -> ClientResult:
    result = ClientResult()
    await asyncio.gather(*(_platform_client(port, share, token, result) for share in shares))
    return result


async def _platform_client(port: int, share: list[bytes], token: str, result: ClientResult) -> None:
    """One platform: posts its reports in order over one keep-alive connection, retrying each
    until it has a receipt (a new connection after any error), as the README tells platforms."""
    connection: _Connection | None = None
    for body in share:
        reporter_id = json.loads(body)["reporter"]["report_id"]
        for attempt in range(12):
            try:
                if connection is None:
                    connection = await _Connection.open(port)
                started = time.perf_counter()
                status, answer = await asyncio.wait_for(
                    connection.request("POST", "/api/v1/reports", body, token), REQUEST_TIMEOUT
                )
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                status, answer = 0, b""
                if connection is not None:
                    connection.close()
                connection = None
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status in (200, 201):
                result.latencies.append(time.perf_counter() - started)
                result.receipts[reporter_id] = json.loads(answer)["report_id"]
                break
            if status not in (0, 429, 503):
                raise RuntimeError(f"unexpected {status}: {answer[:200]!r}")
            result.retries += 1
            await asyncio.sleep(min(5.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.5))
        else:
            result.gave_up += 1
    if connection is not None:
        connection.close()


def _triage_prober(
    port: int, token: str, stop: Any, queue: multiprocessing.Queue[list[float | None]]
) -> None:
    async def probe() -> list[float | None]:
        latencies: list[float | None] = []
        connection = await _Connection.open(port)
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(
                    connection.request("GET", "/api/v1/triage?limit=50", b"", token), 30
                )
                latencies.append(time.perf_counter() - started if status == 200 else None)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                latencies.append(None)
                connection.close()
                connection = await _Connection.open(port)
            await asyncio.sleep(0.1)
        connection.close()
        return latencies

    queue.put(asyncio.run(probe()))


def _triage_summary(latencies: list[float | None]) -> dict[str, float]:
    good = sorted(latency for latency in latencies if latency is not None)
    return {
        "count": len(latencies),
        "failed": len(latencies) - len(good),
        "p50": statistics.median(good) * 1000 if good else float("nan"),
        "p99": _percentile(good, 0.99) * 1000,
        "max": (good[-1] if good else float("nan")) * 1000,
    }


class _Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator must cost far less CPU than the
    server it loads, and both share this machine's cores."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, method: str, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def _count(url: str, bodies: list[bytes], receipts: dict[str, str]) -> tuple[int, int, int]:
    """Lost: sent but not stored; duplicated: stored more than once; unmatched: a receipt whose
    report id is not the stored report for that reporter id."""
    expected = {json.loads(body)["reporter"]["report_id"] for body in bodies}
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT reporter_report_id, id FROM reports")).all()
    engine.dispose()
    stored: dict[str, list[str]] = {}
    for reporter_id, report_id in rows:
        stored.setdefault(reporter_id, []).append(str(report_id))
    lost = len(expected - stored.keys())
    duplicated = sum(len(ids) - 1 for ids in stored.values())
    unmatched = sum(
        1
        for reporter_id, report_id in receipts.items()
        if _normal(report_id) not in {_normal(i) for i in stored.get(reporter_id, [])}
    )
    return lost, duplicated, unmatched


def _normal(report_id: str) -> str:
    return report_id.replace("-", "").lower()


def _run_reference(bodies: list[bytes], clients: int, workers: int) -> dict[str, Any]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.bare_endpoint:app", "--port", str(port)]
        + ["--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, path="/api/v1/health")
        per_process = [
            list(range(index, clients, CLIENT_PROCESSES)) for index in range(CLIENT_PROCESSES)
        ]
        shares = [
            [[bodies[i] for i in range(client, len(bodies), clients)] for client in group]
            for group in per_process
        ]
        started = time.perf_counter()
        with multiprocessing.Pool(CLIENT_PROCESSES) as pool:
            outcomes = pool.starmap(_client_process, [(port, share, "none") for share in shares])
        return _summary(outcomes, len(bodies), time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(30)


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _print_intake(label: str, result: dict[str, Any]) -> None:
    print(
        f"{label}: {result['rate']:.0f} reports/s, p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms, {result['failures']} without receipt, "
        f"{result['seconds']:.1f} s"
    )


def _random_key() -> str:
    import base64

    return base64.b64encode(os.urandom(32)).decode()


if __name__ == "__main__":
    main()
