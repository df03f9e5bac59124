"""Nodes as real server processes for the fault tests: ESP asks, ITA behaves, NGA sits behind a
:class:`~tests.federation.faultproxy.FaultProxy` that is its public URL. ITA and NGA share the
same report (so a query to both should find its phone at both); ESP waits at most
:data:`NGA_TIMEOUT` seconds for NGA."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.conftest import TEST_ACTOR, Node
from tests.federation.faultproxy import FaultProxy, Signer
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
from tipnet.federation.models import Peer, PeerEntry

PHONE = "+34 612 99 88 77"
NGA_TIMEOUT = 2.0


@dataclass
class Member:
    country: str
    node: Node
    server: ServerProcess
    url: str  # the public URL peers use (NGA's: its proxy)
    tokens: dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, role: Role = Role.INVESTIGATOR, **options: Any) -> Any:
        name = f"{role.value}-{self.country.lower()}"
        if name not in self.node.tokens:
            self.node.user(name, role)
        return httpx.request(
            method, self.server.url + path, headers=self.node.headers(name), timeout=60, **options
        )

    def peer_id(self, other: Member) -> int:
        node_id = local_identity(other.node).node_id
        with self.node.session() as session:
            return peers.find_peer(session=session, node_id=node_id).id


@dataclass
class Trio:
    esp: Member
    ita: Member
    nga: Member
    proxy: FaultProxy


@contextmanager
def trio(directory: Path) -> Iterator[Trio]:
    with ExitStack() as stack:
        members: dict[str, Member] = {}
        for country in ("ESP", "ITA", "NGA"):
            database = another_database("sqlite", directory, country.lower())
            node = stack.enter_context(extra_node(next(database)))
            secret = node.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
            server = ServerProcess(node.settings.database_url, secret, directory / f"{country}.log")
            stack.callback(server.stop)
            members[country] = Member(country, node, server, server.url)
        nga = members["NGA"]
        proxy = FaultProxy(nga.server.url)
        stack.callback(proxy.close)
        nga.url = proxy.url
        for member in members.values():
            init_identity(member.node, member.country, member.url)
        identity = local_identity(nga.node)
        proxy.signer = Signer(identity.identity.private_key, identity.node_id)
        for first, second in (("ESP", "ITA"), ("ESP", "NGA"), ("ITA", "NGA")):
            befriend(members[first].node, members[second].node, kinds=["phone", "email"])
        for country in ("ITA", "NGA"):
            node = members[country].node
            share(node, [file_report(node, report_body([PHONE]))], "federation")
        esp = members["ESP"]
        with transaction(esp.node.session_factory) as session:
            peers.update_agreement(
                session=session,
                peer_id=esp.peer_id(nga),
                actor=TEST_ACTOR,
                timeout_seconds=NGA_TIMEOUT,
            )
        for member in members.values():
            member.server.start()
        yield Trio(esp, members["ITA"], nga, proxy)


def query(member: Member, phones: list[str] | None = None) -> dict[str, Any]:
    answer = member.api(
        "POST", "/api/v1/federation/queries", json={"kind": "phone", "values": phones or [PHONE]}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def by_country(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {peer["country"]: peer for peer in result["peers"]}


def health_of(member: Member, country: str) -> dict[str, Any]:
    answer = member.api("GET", "/api/v1/federation/peers", Role.ADMIN)
    assert answer.status_code == 200, answer.text
    [peer] = [peer for peer in answer.json() if peer["country"] == country]
    return peer["health"]  # type: ignore[no-any-return]


def stored_from(member: Member, other: Member) -> tuple[int, int]:
    """What ``member`` holds from ``other``'s feed: (entries, cursor)."""
    peer_id = member.peer_id(other)
    with member.node.session() as session:
        entries = session.scalar(
            select(func.count()).select_from(PeerEntry).where(PeerEntry.peer_id == peer_id)
        )
        cursor = session.scalar(select(Peer.feed_cursor).where(Peer.id == peer_id))
    return int(entries or 0), int(cursor or 0)


def wait_for(condition: Callable[[], bool], seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")
