"""A network partition, with Linux network namespaces: PRT's server runs in a namespace of its
own, reached from the host over a veth pair on a private /30 (traffic never leaves the machine).
Cutting the link (PRT's address withdrawn: packets to it vanish, as in a real partition) while
ESP queries and delivers a cooperation request to PRT: ITA keeps answering, PRT is reported
unreachable within its timeout and as failing in its health record, the request waits in ESP's
outbox, and once the link is back it is delivered exactly once."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_ACTOR
from tests.federation.faultnodes import PHONE, Member, by_country, health_of, query, wait_for
from tests.federation.fednodes import (
    another_database,
    befriend,
    extra_node,
    file_report,
    init_identity,
    local_identity,
    report_body,
    share,
)
from tests.federation.fedprocs import ServerProcess
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.federation import peers
from tipnet.federation.models import CooperationRequest, InboxMessage

pytestmark = pytest.mark.slow

PRT_TIMEOUT = 2.0
MARGIN = 2.0  # seconds beyond the timeout a query may take on this shared machine
PORT = 8000  # PRT's port inside its own namespace


def _why_no_namespaces() -> str | None:
    if sys.platform != "linux" or shutil.which("ip") is None:
        return "needs Linux and iproute2 (`ip`) for network namespaces"
    if os.geteuid() != 0:
        return "needs root to create network namespaces (CI runs as root)"
    probe = f"tipnet-probe-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "network namespaces are not available here (ip netns add failed)"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


@dataclass
class Link:
    """A namespace joined to the host by a veth pair on a /30: host .1, namespace .2."""

    namespace: str
    host_end: str
    inner_end: str
    prefix: str  # "10.213.N."

    @property
    def inner_address(self) -> str:
        return self.prefix + "2"

    def cut(self) -> None:
        self._inside("ip", "addr", "del", f"{self.inner_address}/30", "dev", self.inner_end)

    def heal(self) -> None:
        self._inside("ip", "addr", "add", f"{self.inner_address}/30", "dev", self.inner_end)

    def _inside(self, *command: str) -> None:
        _run("ip", "netns", "exec", self.namespace, *command)


@pytest.fixture
def link() -> Iterator[Link]:
    reason = _why_no_namespaces()
    if reason is not None:
        pytest.skip(reason)
    tag = f"{os.getpid() % 100000}{random.randrange(100)}"
    built = Link(f"tipnet-h7-{tag}", f"tpa{tag}", f"tpb{tag}", f"10.213.{random.randrange(256)}.")
    _run("ip", "netns", "add", built.namespace)
    try:
        _run("ip", "link", "add", built.host_end, "type", "veth", "peer", "name", built.inner_end)
        _run("ip", "link", "set", built.inner_end, "netns", built.namespace)
        _run("ip", "addr", "add", f"{built.prefix}1/30", "dev", built.host_end)
        _run("ip", "link", "set", built.host_end, "up")
        built._inside("ip", "link", "set", "lo", "up")
        built.heal()
        built._inside("ip", "link", "set", built.inner_end, "up")
        yield built
    finally:
        subprocess.run(["ip", "link", "del", built.host_end], capture_output=True)
        subprocess.run(["ip", "netns", "del", built.namespace], capture_output=True)


@dataclass
class NamespacedServer(ServerProcess):
    """`tipnet serve` inside the link's namespace, listening on its address there."""

    link: Link | None = None

    @property
    def url(self) -> str:
        assert self.link is not None
        return f"http://{self.link.inner_address}:{PORT}"

    def start(self) -> None:
        assert self.link is not None
        env = {
            **os.environ,
            "TIPNET_DATABASE_URL": self.database_url,
            "TIPNET_SECRET_KEY": self.secret_key,
        }
        command = [sys.executable, "-m", "tipnet.cli", "serve", "--host", self.link.inner_address]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", self.link.namespace, *command, "--port", str(PORT)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, 60)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"server died:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def nodes(link: Link, tmp_path: Path) -> Iterator[dict[str, Member]]:
    with ExitStack() as stack:
        members: dict[str, Member] = {}
        for country in ("ESP", "ITA", "PRT"):
            database = another_database("sqlite", tmp_path, country.lower())
            node = stack.enter_context(extra_node(next(database)))
            secret = node.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
            log = tmp_path / f"{country}.log"
            server = (
                NamespacedServer(node.settings.database_url, secret, log, link=link)
                if country == "PRT"
                else ServerProcess(node.settings.database_url, secret, log)
            )
            stack.callback(server.stop)
            members[country] = Member(country, node, server, server.url)
            init_identity(node, country, server.url)
        esp, prt = members["ESP"], members["PRT"]
        for other in ("ITA", "PRT"):
            befriend(esp.node, members[other].node, kinds=["phone"])
            node = members[other].node
            share(node, [file_report(node, report_body([PHONE]))], "federation")
        with transaction(esp.node.session_factory) as session:
            peers.update_agreement(
                session=session,
                peer_id=esp.peer_id(prt),
                actor=TEST_ACTOR,
                timeout_seconds=PRT_TIMEOUT,
            )
        for member in members.values():
            member.server.start()
        yield members


def test_partition(link: Link, nodes: dict[str, Member]) -> None:
    esp, prt = nodes["ESP"], nodes["PRT"]
    assert {c: p["status"] for c, p in by_country(query(esp)).items()} == {"ITA": "ok", "PRT": "ok"}

    # The link goes while a query is in flight: it ends within PRT's timeout either way.
    in_flight: list[tuple[float, dict[str, Any]]] = []
    asking = threading.Thread(target=lambda: in_flight.append(_timed_query(esp)))
    asking.start()
    link.cut()
    asking.join()
    elapsed, result = in_flight[0]
    assert elapsed < 2 * PRT_TIMEOUT + MARGIN and by_country(result)["ITA"]["status"] == "ok"

    # Partitioned: ITA answers, PRT is unreachable within its timeout, and so reported.
    elapsed, result = _timed_query(esp)
    peers_now = by_country(result)
    assert elapsed < PRT_TIMEOUT + MARGIN, elapsed
    assert peers_now["ITA"]["status"] == "ok" and peers_now["ITA"]["hits"]
    assert peers_now["PRT"]["status"] == "unreachable", peers_now["PRT"]
    assert result["partial"] is True
    record = health_of(esp, "PRT")
    assert record["consecutive_failures"] >= 1 and record["summary"].startswith("failing for ")

    # A cooperation request to PRT waits in ESP's outbox, retried, while the link is down.
    filed = esp.api(
        "POST",
        "/api/v1/federation/cooperation-requests",
        json={
            "peer": local_identity(prt.node).node_id,
            "reference": uuid.uuid4().hex,
            "purpose": "Network follow-up",
            "legal_basis": "MLA treaty",
        },
    )
    assert filed.status_code == 201, filed.text
    wait_for(lambda: _outbox(esp)[0]["attempts"] >= 2, 60)
    waiting = _outbox(esp)[0]
    assert waiting["delivered_at"] is None and waiting["failed_at"] is None
    assert waiting["last_error"] and "PRT" in waiting["last_error"]
    assert _incoming(prt) == (0, 0)

    # The link is back: delivered exactly once, and PRT answers queries again.
    link.heal()
    wait_for(lambda: _outbox(esp)[0]["delivered_at"] is not None, 90)
    time.sleep(3)  # room for a duplicate delivery to show, if there were one
    assert _incoming(prt) == (1, 1)
    assert by_country(query(esp))["PRT"]["status"] == "ok"
    assert health_of(esp, "PRT")["summary"] == "ok"


def _timed_query(member: Member) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    result = query(member)
    return time.monotonic() - started, result


def _outbox(member: Member) -> list[dict[str, Any]]:
    answer = member.api("GET", "/api/v1/federation/outbox", Role.ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _incoming(member: Member) -> tuple[int, int]:
    """(cooperation requests received, inbox rows) in the member's database."""
    with member.node.session() as session:
        requests = session.scalar(
            select(func.count())
            .select_from(CooperationRequest)
            .where(CooperationRequest.direction == "incoming")
        )
        inbox = session.scalar(select(func.count()).select_from(InboxMessage))
    return int(requests or 0), int(inbox or 0)


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)
