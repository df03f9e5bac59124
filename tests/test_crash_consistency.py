"""Crash consistency with real processes killed by SIGKILL: the server under concurrent writes,
`tipnet reports ingest` and `tipnet link run` mid-run. After a restart, every report that got a
receipt exists exactly once, nothing sent is lost, and the jobs finish what they started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.auth.permissions import Role
from tipnet.link.models import LinkRun, Network
from tipnet.reports.models import Report

pytestmark = pytest.mark.slow


def _env(node: Node) -> dict[str, str]:
    assert node.settings.secret_key is not None
    return {
        **os.environ,
        "TIPNET_DATABASE_URL": node.settings.database_url,
        "TIPNET_SECRET_KEY": node.settings.secret_key.get_secret_value(),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`tipnet serve` in its own process group, so SIGKILL takes the workers down with it."""

    def __init__(self, node: Node, port: int) -> None:
        self.env = _env(node)
        self.port = port
        self.workers = "2" if node.dialect == "postgresql" else "1"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tipnet.cli", "serve", "--port", str(self.port)]
            + ["--workers", self.workers],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(node: Node) -> Iterator[Server]:
    running = Server(node, _free_port())
    running.start()
    yield running
    if running.process is not None and running.process.poll() is None:
        running.kill()


def test_server_killed_under_concurrent_writes_keeps_every_receipt_exactly_once(
    node: Node, backend: str, server: Server
) -> None:
    node.user("platform", Role.REPORTER)
    headers = node.headers("platform")
    clients, per_client = 6, 40
    receipts: dict[str, str] = {}
    lock = threading.Lock()

    def platform(client: int) -> None:
        with httpx.Client(timeout=10) as http:
            for index in range(per_client):
                reporter_id = f"crash-{client}-{index}"
                body = sample_report(reporter_id)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    try:
                        answer = http.post(
                            f"{server.base}/api/v1/reports", json=body, headers=headers
                        )
                    except httpx.HTTPError:
                        time.sleep(0.2)  # the node is down: retry with the same report id
                        continue
                    if answer.status_code in (200, 201):
                        with lock:
                            receipts[reporter_id] = answer.json()["report_id"]
                        break
                    assert answer.status_code == 503, answer.text
                    time.sleep(0.2)

    threads = [threading.Thread(target=platform, args=(client,)) for client in range(clients)]
    for thread in threads:
        thread.start()
    for kill_after in (40, 120):  # two crashes at different depths of the run
        while len(receipts) < kill_after:
            time.sleep(0.01)
        server.kill()
        time.sleep(0.5)
        server.start()
    for thread in threads:
        thread.join(180)
    assert len(receipts) == clients * per_client
    with node.session() as session:
        stored = session.execute(select(Report.reporter_report_id, Report.id)).all()
    by_reporter_id: dict[str, list[str]] = {}
    for reporter_id, report_id in stored:
        by_reporter_id.setdefault(reporter_id, []).append(str(report_id))
    duplicated = {key: ids for key, ids in by_reporter_id.items() if len(ids) > 1}
    assert not duplicated
    assert set(by_reporter_id) == set(receipts)
    for reporter_id, report_id in receipts.items():
        assert by_reporter_id[reporter_id] == [report_id]


def _ingest(node: Node, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tipnet.cli", "reports", "ingest", str(path), "--as", "platform"],
        env=_env(node),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_when(process: subprocess.Popen[bytes], condition: Callable[[], bool]) -> bool:
    """SIGKILL the process (group) as soon as ``condition`` holds; False if it finished first."""
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if condition():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
            return True
        time.sleep(0.005)
    process.wait(10)
    return False


def _kill_after(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL the process (group) after ``seconds``; False if it had finished by then."""
    try:
        process.wait(seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        return True


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("scenario")
    subprocess.run(
        [sys.executable, "-m", "tipnet.cli", "simulate", "--seed", "5", "--scale", "20000"]
        + ["--out", str(directory)],
        check=True,
        capture_output=True,
    )
    return directory


def _report_count(node: Node) -> tuple[int, int]:
    with node.session() as session:
        total = session.scalar(select(func.count()).select_from(Report)) or 0
        distinct = session.scalar(select(func.count(func.distinct(Report.reporter_report_id))))
    return total, distinct or 0


def test_ingest_killed_mid_run_resumes_without_loss_or_duplicates(
    node: Node, backend: str, scenario: Path, tmp_path: Path
) -> None:
    node.user("platform", Role.REPORTER)
    source = tmp_path / "reports.jsonl"
    source.write_bytes((scenario / "reports.jsonl").read_bytes())
    expected = sum(1 for line in source.read_text().splitlines() if line.strip())
    kills = 0
    for more in (50, 150, 300):  # killed once it has stored this many more reports
        target = _report_count(node)[0] + more
        if _kill_when(_ingest(node, source), lambda goal=target: _report_count(node)[0] >= goal):
            kills += 1
    finished = _ingest(node, source)
    assert finished.wait(300) == 0
    assert kills >= 1, "ingest finished before any kill: make the file larger"
    total, distinct = _report_count(node)
    assert (total, distinct) == (expected, expected)
    rejects = source.with_suffix(".rejects")
    assert not rejects.exists() or not rejects.read_text().strip()
    assert json.loads((scenario / "reports.jsonl").read_text().splitlines()[0])


def _link_run(node: Node) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tipnet.cli", "link", "run"],
        env=_env(node),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _networks(node: Node) -> tuple[int, int, set[str]]:
    with node.session() as session:
        runs = session.scalars(select(LinkRun)).all()
        unfinished = sum(1 for run in runs if run.finished_at is None)
        active = session.scalars(select(Network.id).where(Network.status == "active")).all()
    return len(runs), unfinished, {str(network) for network in active}


def test_link_run_killed_mid_run_leaves_no_half_written_run_and_finishes_on_restart(
    node: Node, scenario: Path
) -> None:
    node.user("platform", Role.REPORTER)
    ingest = _ingest(node, scenario / "reports.jsonl")
    assert ingest.wait(300) == 0
    started = time.monotonic()
    assert _link_run(node).wait(300) == 0
    whole_run = time.monotonic() - started
    runs, unfinished, first = _networks(node)
    assert runs == 1 and unfinished == 0 and first
    kills = 0
    for share in (0.5, 0.8, 0.9, 0.97):  # late kills land in the linking and the storing
        kills += _kill_after(_link_run(node), share * whole_run)
        _, unfinished, networks = _networks(node)
        assert unfinished == 0  # a run is stored whole or not at all...
        assert networks == first  # ...so the networks are those of a whole run
    assert kills >= 2, f"link run ({whole_run:.1f} s) finished before the kills"
    assert _link_run(node).wait(300) == 0  # and the next run finds the same networks
    _, _, last = _networks(node)
    assert last == first
