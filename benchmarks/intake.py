"""Report intake throughput: N reports posted by concurrent clients to a real server.

For each backend (SQLite, PostgreSQL) it starts a fresh node as a separate server process on a
loopback port, posts every report once from several client processes over keep-alive HTTP
connections, then counts the rows: zero lost and zero duplicated is part of the result. In the
same run it measures the reference: a bare ASGI endpoint that reads the same bodies and answers
201 without any work, served the same way; the ratio says how close intake gets to that ceiling.

    python benchmarks/intake.py --reports 5000 --clients 16 --workers 2
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL = 1000  # reports/s on PostgreSQL, from the issue


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument(
        "--workers", type=int, default=2, help="server worker processes (PostgreSQL)"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=50,
        help="reports per request in the batch run (POST /api/v1/reports/batch); 0 skips it",
    )
    parser.add_argument(
        "--postgres-url", default=os.environ.get("TIPNET_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    bodies = _bodies(args.reports)
    print(f"{args.reports} reports, {args.clients} concurrent clients, {os.cpu_count()} cores")
    reference = _run_reference(bodies, args.clients, args.workers)
    _print("reference: bare ASGI endpoint", reference)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    modes = [1] + ([args.batch_size] if args.batch_size > 1 else [])
    for backend in backends:
        workers = 1 if backend == "sqlite" else args.workers
        for batch_size in modes:
            result, lost, duplicated = _run_backend(
                backend, bodies, args.clients, workers, args.postgres_url, batch_size
            )
            how = "one report per request" if batch_size == 1 else f"batches of {batch_size}"
            _print(f"tipnet intake on {backend}, {how} ({workers} worker(s))", result)
            rate = result["rate"]
            print(
                f"  lost {lost}, duplicated {duplicated}; "
                f"{rate / reference['rate']:.2f} x the bare endpoint; "
                f"{rate / GOAL:.2f} x the goal of {GOAL}/s"
            )


def _bodies(count: int) -> list[bytes]:
    from tipnet.reports.examples import example_reports

    run = uuid.uuid4().hex[:8]
    return [
        json.dumps(body).encode() for body in example_reports(count, seed=11, prefix=f"bench-{run}")
    ]


def _run_backend(
    backend: str,
    bodies: list[bytes],
    clients: int,
    workers: int,
    postgres_url: str,
    batch_size: int = 1,
) -> tuple[dict[str, float], int, int]:
    with tempfile.TemporaryDirectory() as directory:
        url, cleanup = _database(backend, Path(directory), postgres_url)
        try:
            env = {
                **os.environ,
                "TIPNET_DATABASE_URL": url,
                "TIPNET_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
            }
            token = _prepare_node(env)
            port = _free_port()
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tipnet.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                _wait_for(port)
                result = _post_all(port, bodies, clients, token, batch_size)
            finally:
                server.terminate()
                server.wait(30)
            lost, duplicated = _count(url, len(bodies))
        finally:
            cleanup()
    return result, lost, duplicated


def _prepare_node(env: dict[str, str]) -> str:
    def tipnet(*arguments: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "tipnet.cli", *arguments],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    tipnet("db", "upgrade")
    tipnet("admin", "create-org", "Bench Platform", "--kind", "platform")
    tipnet("admin", "create-user", "bench", "--org", "Bench Platform", "--role", "reporter")
    return tipnet("admin", "create-token", "bench").strip().splitlines()[-1].strip()


def _database(backend: str, directory: Path, postgres_url: str) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'bench.db'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    return f"{postgres_url}?options=-csearch_path%3D{schema}", drop


def _count(url: str, expected: int) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT count(*), count(DISTINCT reporter_report_id) FROM reports")
        ).one()
    engine.dispose()
    total, distinct = int(rows[0]), int(rows[1])
    return expected - distinct, total - distinct


def _run_reference(bodies: list[bytes], clients: int, workers: int) -> dict[str, float]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.bare_endpoint:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, path="/api/v1/health")
        return _post_all(port, bodies, clients, "none")
    finally:
        server.terminate()
        server.wait(30)


def _post_all(
    port: int, bodies: list[bytes], clients: int, token: str, batch_size: int = 1
) -> dict[str, float]:
    """Post every body once; latencies are per request (a batch counts as one request)."""
    shares = [bodies[index::clients] for index in range(clients)]
    requests = [_requests(share, batch_size) for share in shares]
    started = time.perf_counter()
    with multiprocessing.Pool(clients) as pool:
        outcomes = pool.starmap(_client, [(port, share, token) for share in requests])
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for share, _ in outcomes for latency in share)
    failures = sum(failed for _, failed in outcomes)
    return {
        "rate": len(bodies) / elapsed,
        "seconds": elapsed,
        "failures": failures,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def _requests(bodies: list[bytes], batch_size: int) -> list[tuple[str, bytes]]:
    if batch_size == 1:
        return [("/api/v1/reports", body) for body in bodies]
    return [
        ("/api/v1/reports/batch", b'{"reports": [' + b",".join(bodies[i : i + batch_size]) + b"]}")
        for i in range(0, len(bodies), batch_size)
    ]


def _client(port: int, requests: list[tuple[str, bytes]], token: str) -> tuple[list[float], int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failed = 0
    for path, body in requests:
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        failed += response.status not in (200, 201)
    connection.close()
    return latencies, failed


def _print(label: str, result: dict[str, float]) -> None:
    print(
        f"{label}: {result['rate']:.0f} reports/s, p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms, {result['failures']:.0f} failed, {result['seconds']:.1f} s"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, path: str = "/api/v1/health", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


if __name__ == "__main__":
    main()
