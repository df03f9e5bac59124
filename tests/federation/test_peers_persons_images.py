"""Persons and images between in-process nodes: persons are matched on encodings only (a typo
still hits, a stranger does not, another secret is refused), and image lists are pulled by the
peers allowed them and matched locally within Hamming distance 31."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import (
    Wire,
    audit_events,
    backend_of,
    context_of,
    file_report,
    local_identity,
    report_body,
    share,
    three_nodes,
)
from tipnet.db import transaction
from tipnet.federation import images, peers, persons, pprl, sharing
from tipnet.federation import node as node_service
from tipnet.federation.schemas import ImageQuery, Level, PersonQuery, QueryResult
from tipnet.link.hashlists import read_hash_list

NAME, BIRTH = "Fictional Broker Uno", "1979-11-23"
PDQ = "f8f8f0cee0f4a84f06370a32038f67f0b36e2ed596623e1d33e6339c4e9c9b22"


def _flip(pdq: str, bits: int) -> str:
    value = int(pdq, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


@pytest.fixture
def trio(
    node: Node, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Node, Node, Node, Wire]]:
    with three_nodes(node, backend_of(request), tmp_path) as nodes:
        esp, ita, nga, _ = nodes
        nga_at_esp = _peer_id(esp, nga)
        with transaction(esp.session_factory) as session:
            peers.update_agreement(
                session=session, peer_id=nga_at_esp, actor=TEST_ACTOR, image_lists=False
            )
        report = file_report(
            esp, report_body(["+34612000201"], name=NAME, date_of_birth=BIRTH, pdq=[PDQ])
        )
        share(esp, [report], "federation")
        yield nodes


def _peer_id(node: Node, other: Node) -> int:
    with node.session() as session:
        return peers.find_peer(session=session, node_id=local_identity(other).node_id).id


def _persons(node: Node, wire: Wire, *asked: dict[str, str]) -> QueryResult:
    query = PersonQuery.model_validate({"persons": list(asked)})
    return asyncio.run(persons.query_persons(context_of(node, wire), query, actor=TEST_ACTOR))


def _images(node: Node, wire: Wire, *pdq: str) -> QueryResult:
    query = ImageQuery.model_validate({"pdq": list(pdq)})
    return asyncio.run(images.match_images(context_of(node, wire), query, actor=TEST_ACTOR))


def _at(result: QueryResult, country: str) -> tuple[str, list[str]]:
    [outcome] = [o for o in result.peers if o.country == country]
    return outcome.status, [hit.value for hit in outcome.hits]


def test_persons_match_on_encodings_only(trio: tuple[Node, Node, Node, Wire], backend: str) -> None:
    esp, ita, _, wire = trio
    result = _persons(
        ita,
        wire,
        {"name": NAME, "date_of_birth": BIRTH, "sex": "male", "nationality": "ESP"},
        {"name": "Fictional Brokr Uno", "date_of_birth": BIRTH},
        {"name": "Someone Else Entirely", "date_of_birth": "2001-01-01"},
    )
    assert _at(result, "ESP") == ("ok", [NAME, "Fictional Brokr Uno"])
    assert _at(result, "NGA") == ("ok", [])
    for text in (NAME, "Brokr", "Entirely", BIRTH, "1979", "2001-01-01"):
        assert not wire.carried(text), text
    [event] = audit_events(esp, "federation.person.match")
    assert event["count"] == 3
    assert len([e for e in audit_events(ita, "federation.hit") if e["kind"] == "person"]) == 2


def test_another_secret_or_agreement_is_refused(trio: tuple[Node, Node, Node, Wire]) -> None:
    esp, ita, nga, wire = trio
    with transaction(nga.session_factory) as session:
        node_service.set_pprl_secret(
            session=session, keyring=nga.keyring, secret=pprl.new_secret(), actor=TEST_ACTOR
        )
    status, _ = _at(_persons(nga, wire, {"name": NAME}), "ESP")
    assert status == "refused"
    with transaction(esp.session_factory) as session:
        peers.update_agreement(
            session=session, peer_id=_peer_id(esp, ita), actor=TEST_ACTOR, kinds=["phone"]
        )
    result = _persons(ita, wire, {"name": NAME, "date_of_birth": BIRTH})
    [outcome] = [o for o in result.peers if o.country == "ESP"]
    assert outcome.status == "refused" and "persons" in (outcome.detail or "")
    reasons = [e["reason"] for e in audit_events(esp, "federation.refused")]
    assert reasons == ["InvalidInput", "PermissionDenied"]


def test_image_lists_go_to_allowed_peers_and_match_locally(
    trio: tuple[Node, Node, Node, Wire], backend: str
) -> None:
    _, ita, nga, wire = trio
    near, far = _flip(PDQ, 5), _flip(PDQ, 40)
    result = _images(ita, wire, near, far)
    [outcome] = [o for o in result.peers if o.country == "ESP"]
    assert [(hit.value, hit.score) for hit in outcome.hits] == [(near, 5.0)]
    assert not wire.carried(near) and not wire.carried(far)
    assert _at(_images(nga, wire, near), "ESP") == ("ok", [])  # NGA may not have image lists


def test_hamming_pairs() -> None:
    asked = [bytes.fromhex(PDQ), bytes.fromhex(_flip(PDQ, 31)), bytes.fromhex(_flip(PDQ, 32))]
    listed = [bytes(32), bytes.fromhex(PDQ)]
    assert images.hamming_pairs(asked, listed, 31) == [(0, 1, 0), (1, 1, 31)]
    assert images.hamming_pairs([], listed, 31) == []


def test_named_hash_lists_follow_their_level(
    trio: tuple[Node, Node, Node, Wire], tmp_path: Path
) -> None:
    esp, ita, nga, wire = trio
    listed = _flip(PDQ, 100)  # far from the report's image: only the list can match it
    csv = tmp_path / "list.csv"
    csv.write_text(f"pdq_hex,quality,label\n{listed},80,lure\n{listed},80,again\nzz,80,bad\n")
    hashes = [row.tobytes() for row in read_hash_list(csv).hashes]
    nga_at_esp = _peer_id(esp, nga)
    with transaction(esp.session_factory) as session:
        peers.update_agreement(
            session=session, peer_id=nga_at_esp, actor=TEST_ACTOR, image_lists=True
        )
        shared = sharing.share_hash_list(
            session=session,
            keyring=esp.keyring,
            name="industry lures",
            hashes=hashes,
            level=Level.PEERS,
            peer_node_ids=[local_identity(ita).node_id],
            actor=TEST_ACTOR,
        )
    assert shared.hashes == 1
    near = _flip(listed, 2)
    assert _at(_images(ita, wire, near), "ESP") == ("ok", [near])
    assert _at(_images(nga, wire, near), "ESP") == ("ok", [])  # not named
    with transaction(esp.session_factory) as session:
        sharing.share_hash_list(
            session=session,
            keyring=esp.keyring,
            name="industry lures",
            hashes=hashes,
            level=Level.LOCAL,
            peer_node_ids=[],
            actor=TEST_ACTOR,
        )
    assert _at(_images(ita, wire, near), "ESP") == ("ok", [])  # withdrawn through the feed
    assert len(audit_events(esp, "federation.hash_list")) == 2
