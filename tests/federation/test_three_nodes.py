"""Three nodes as real server processes (NGA, ITA and ESP, ESP on PostgreSQL when it is
available), each with its own database and keys, each reached by the others through a
recording proxy that is its public URL. A generated scenario is split among them; NGA holds a
transnational network and shares it with the federation. The test shows: the network's phones
get hits from ITA and ESP, and so do a person and an image of it; a cooperation request is
approved and the data released; no plaintext selector, name or date of birth crosses the wire
before that release; forged, replayed and unauthorised requests are refused and audited; with
ESP killed the others keep working, and ITA's outbox delivers to ESP once it is back."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import POSTGRES_ENV, TEST_ACTOR, Node
from tests.federation.fednodes import (
    another_database,
    audit_events,
    befriend,
    extra_node,
    file_report,
    init_identity,
    local_identity,
    report_body,
    share,
)
from tests.federation.fedprocs import RecordingProxy, ServerProcess
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.federation import httpsig, pprl
from tipnet.federation import node as node_service
from tipnet.federation.identity import NodeIdentity
from tipnet.identifiers import service as identifiers
from tipnet.reports.models import ReportFile
from tipnet.simulate import ScenarioParams

pytestmark = pytest.mark.slow

PERSON = {"name": "Adaeze Nwankwo Obi", "date_of_birth": "1984-07-19"}
COUNTRIES = ("NGA", "ITA", "ESP")


@dataclass
class Member:
    country: str
    node: Node
    server: ServerProcess
    proxy: RecordingProxy

    def api(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = self.node.headers(f"officer-{self.country.lower()}")
        return httpx.request(method, self.server.url + path, headers=headers, timeout=60, **options)


@dataclass
class Scenario:
    network_phones: list[str]  # the truth's phones of NGA's network
    shared_phones: set[str]  # phones NGA's shared reports actually carry (after extraction)
    local_phones: list[str]  # phones of reports ESP keeps to itself
    image: str  # PDQ of an image of the network


@pytest.fixture
def federation(tmp_path: Path) -> Iterator[tuple[dict[str, Member], Scenario]]:
    backends = {"NGA": "sqlite", "ITA": "sqlite", "ESP": _postgres_or_sqlite()}
    with ExitStack() as stack:
        members: dict[str, Member] = {}
        for country in COUNTRIES:
            database = another_database(backends[country], tmp_path, country.lower())
            stack.callback(database.close)
            node = stack.enter_context(extra_node(next(database)))
            secret = node.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
            server = ServerProcess(node.settings.database_url, secret, tmp_path / f"{country}.log")
            proxy = RecordingProxy(server.url)
            stack.callback(proxy.close)
            stack.callback(server.stop)
            init_identity(node, country, proxy.url)
            node.user(f"officer-{country.lower()}", Role.INVESTIGATOR)
            members[country] = Member(country, node, server, proxy)
        _one_federation(members)
        scenario = _load_scenario(members, tmp_path)
        for member in members.values():
            member.server.start()
        yield members, scenario


def test_three_nodes(federation: tuple[dict[str, Member], Scenario]) -> None:
    members, scenario = federation
    nga, ita, esp = (members[country] for country in COUNTRIES)
    asked = scenario.network_phones + scenario.local_phones
    expected = sorted(set(asked) & scenario.shared_phones)
    assert expected, "the scenario's network left no phone in NGA's reports"

    # 1. The network's phones, found in NGA, get hits from ITA and from ESP; ESP's local
    #    reports are never hit.
    references: dict[str, str] = {}
    for querier in (ita, esp):
        result = _query(querier, asked)
        assert not result["partial"], result
        by_country = {peer["country"]: peer for peer in result["peers"]}
        hits = by_country["NGA"]["hits"]
        assert sorted({hit["value"] for hit in hits}) == expected
        other = "ESP" if querier is ita else "ITA"
        assert by_country[other]["hits"] == []
        references.update({hit["value"]: hit["reference"] for hit in hits})

    # 2. A person of the network (written differently) and one of its images hit as well.
    person = esp.api(
        "POST",
        "/api/v1/federation/person-queries",
        json={"persons": [{"name": "Adaeze Nwankwo-Obi", "date_of_birth": "1984-07-19"}]},
    ).json()
    [nga_persons] = [peer for peer in person["peers"] if peer["country"] == "NGA"]
    assert [hit["value"] for hit in nga_persons["hits"]] == ["Adaeze Nwankwo-Obi"]
    near = f"{int(scenario.image, 16) ^ 0b1011:064x}"  # three bits off
    images = ita.api("POST", "/api/v1/federation/image-matches", json={"pdq": [near]}).json()
    [nga_images] = [peer for peer in images["peers"] if peer["country"] == "NGA"]
    scores = sorted(hit["score"] for hit in nga_images["hits"])  # edits of it match too
    assert scores[0] == 3.0 and scores[-1] <= 31

    # 3. A cooperation request from ITA, approved at NGA: the data is released to ITA.
    phone = expected[0]
    _cooperate(ita, nga, references[phone])
    released = _released(ita)
    assert phone in [selector["value"] for selector in released["selectors"]]

    # 4. Nothing personal crossed the wire, except in the approved release itself.
    secrets = [*asked, PERSON["name"], "Adaeze Nwankwo-Obi", PERSON["date_of_birth"], near]
    _assert_wire_clean(members, secrets)

    # 5. Forged, replayed and unauthorised requests are refused, and audited with the reason.
    _attack(nga, ita)

    # 6. ESP goes down: queries still work, labelled partial; a request to ESP waits in ITA's
    #    outbox and is delivered once ESP is back.
    esp.server.stop()
    down = _query(ita, scenario.network_phones)
    statuses = {peer["country"]: peer["status"] for peer in down["peers"]}
    assert down["partial"] and statuses == {"NGA": "ok", "ESP": "unreachable"}
    filed = ita.api(
        "POST",
        "/api/v1/federation/cooperation-requests",
        json={
            "peer": local_identity(esp.node).node_id,
            "reference": uuid.uuid4().hex,
            "purpose": "Network follow-up",
            "legal_basis": "MLA treaty",
        },
    )
    assert filed.status_code == 201
    _wait_for(lambda: _outbox(ita, pending=True) and _outbox(ita, pending=True)[0]["attempts"] >= 1)
    esp.server.start()
    _wait_for(lambda: bool(_requests(esp, "incoming")), seconds=90)
    assert _requests(esp, "incoming")[0]["status"] == "pending"
    assert _query(ita, scenario.network_phones)["partial"] is False


# --- setting up ------------------------------------------------------------------------------


def _postgres_or_sqlite() -> str:
    return "postgresql" if os.environ.get(POSTGRES_ENV) else "sqlite"


def _one_federation(members: dict[str, Member]) -> None:
    secret = pprl.new_secret()
    for member in members.values():
        with transaction(member.node.session_factory) as session:
            node_service.set_pprl_secret(
                session=session, keyring=member.node.keyring, secret=secret, actor=TEST_ACTOR
            )
    kinds = ["phone", "email", "handle", "person"]
    for first, second in (("NGA", "ITA"), ("NGA", "ESP"), ("ITA", "ESP")):
        befriend(members[first].node, members[second].node, kinds=kinds, image_lists=True)


def _load_scenario(members: dict[str, Member], tmp_path: Path) -> Scenario:
    """Generate a small scenario; NGA gets the transnational network with the most phone-
    bearing reports (shared with the federation), plus one report naming a member of it; the
    other reports go round-robin to the three nodes and stay local."""
    from tipnet.simulate.generate import generate

    out = tmp_path / "scenario"
    generate(ScenarioParams(seed=11, scale=1500, bad_share=0.2, report_rate=0.5), out)
    truth = json.loads((out / "truth.json").read_text())
    reports = {
        body["reporter"]["report_id"]: body
        for body in map(json.loads, (out / "reports.jsonl").open())
    }
    network = max(
        (n for n in truth["networks"] if n["transnational"]),
        key=lambda n: sum(item in reports for item in n["items"]),
    )
    nga = members["NGA"].node
    shared = [file_report(nga, reports.pop(item)) for item in network["items"] if item in reports]
    phones = [entry["phone"] for entry in network["phones"]]
    person_report = _person_report(phones[0])
    shared.append(file_report(nga, person_report))
    share(nga, shared, "federation")
    placed: dict[str, list[uuid.UUID]] = {country: [] for country in COUNTRIES}
    for index, body in enumerate(reports.values()):
        country = COUNTRIES[index % 3]
        placed[country].append(file_report(members[country].node, body))
    return Scenario(
        network_phones=phones,
        shared_phones=_phones_of(nga, shared),
        local_phones=sorted(_phones_of(members["ESP"].node, placed["ESP"]))[:5],
        image=_image_of(nga, shared),
    )


def _person_report(phone: str) -> dict[str, Any]:
    return report_body([phone], **PERSON)


def _phones_of(node: Node, report_ids: list[uuid.UUID]) -> set[str]:
    with node.session() as session:
        return {
            value
            for report_id in report_ids
            for kind, value, _ in identifiers.read_for_report(
                session=session, keyring=node.keyring, report_id=report_id
            )
            if kind == "phone"
        }


def _image_of(node: Node, report_ids: list[uuid.UUID]) -> str:
    with node.session() as session:
        pdq = session.scalars(
            select(ReportFile.pdq).where(
                ReportFile.report_id.in_(report_ids), ReportFile.pdq_quality >= 50
            )
        ).first()
    assert pdq is not None, "the network's reports carry no usable image"
    return pdq


# --- acting and checking ---------------------------------------------------------------------


def _query(member: Member, phones: list[str]) -> dict[str, Any]:
    answer = member.api(
        "POST", "/api/v1/federation/queries", json={"kind": "phone", "values": phones}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _cooperate(asker: Member, owner: Member, reference: str) -> None:
    filed = asker.api(
        "POST",
        "/api/v1/federation/cooperation-requests",
        json={
            "peer": local_identity(owner.node).node_id,
            "reference": reference,
            "purpose": "Investigation of a recruitment network",
            "legal_basis": "Palermo Protocol art. 10; MLA treaty",
            "urgency": "high",
            "fields": ["selectors", "incident"],
        },
    )
    assert filed.status_code == 201, filed.text
    _wait_for(lambda: bool(_requests(owner, "incoming")))
    [incoming] = _requests(owner, "incoming")
    assert incoming["report_id"] is not None
    decided = owner.api(
        "POST",
        f"/api/v1/federation/cooperation-requests/{incoming['id']}/decision",
        json={"decision": "approve", "reason": "request in order"},
    )
    assert decided.status_code == 200, decided.text
    _wait_for(lambda: _requests(asker, "outgoing")[0]["status"] == "approved")


def _released(member: Member) -> dict[str, Any]:
    [outgoing] = _requests(member, "outgoing")
    full = member.api("GET", f"/api/v1/federation/cooperation-requests/{outgoing['id']}").json()
    return full["release"]  # type: ignore[no-any-return]


def _requests(member: Member, direction: str) -> list[dict[str, Any]]:
    answer = member.api("GET", f"/api/v1/federation/cooperation-requests?direction={direction}")
    return answer.json()  # type: ignore[no-any-return]


def _outbox(member: Member, pending: bool) -> list[dict[str, Any]]:
    admin = f"admin-{member.country.lower()}"
    if admin not in member.node.tokens:
        member.node.user(admin, Role.ADMIN)
    answer = httpx.get(
        f"{member.server.url}/api/v1/federation/outbox?pending={str(pending).lower()}",
        headers=member.node.headers(admin),
        timeout=30,
    )
    return answer.json()  # type: ignore[no-any-return]


def _assert_wire_clean(members: dict[str, Member], secrets: list[str]) -> None:
    exchanges = [e for member in members.values() for e in member.proxy.exchanges]
    assert len(exchanges) > 10
    release_seen = False
    for exchange in exchanges:
        for body in (exchange.request, exchange.response):
            answer = exchange.path.startswith("/federation/v1/cooperation/answers")
            if answer and body is exchange.request:
                release_seen = True  # the approved release: personal data, by decision
                continue
            for secret in secrets:
                assert secret.encode() not in body, f"{secret} crossed {exchange.path}"
    assert release_seen


def _attack(owner: Member, asker: Member) -> None:
    url = f"{owner.proxy.url}/federation/v1/ping"
    stranger = NodeIdentity.generate(country="FRA", name="intruder", url="http://x.example")
    forged = httpsig.sign_request("GET", url, {}, b"", stranger.private_key, stranger.node_id)
    assert httpx.get(url, headers=forged).status_code == 401
    local = local_identity(asker.node)
    genuine = httpsig.sign_request("GET", url, {}, b"", local.identity.private_key, local.node_id)
    assert httpx.get(url, headers=genuine).status_code == 200
    assert httpx.get(url, headers=genuine).status_code == 403  # replayed
    body = json.dumps({"kind": "wallet", "elements": [base64.b64encode(bytes(32)).decode()]})
    evaluate = f"{owner.proxy.url}/federation/v1/oprf/evaluate"
    headers = {"Content-Type": "application/json"}
    headers |= httpsig.sign_request(
        "POST", evaluate, headers, body.encode(), local.identity.private_key, local.node_id
    )
    refused = httpx.post(evaluate, content=body.encode(), headers=headers)
    assert refused.status_code == 403 and "wallet" in refused.text  # not in the agreement
    reasons = [event["reason"] for event in audit_events(owner.node, "federation.refused")]
    assert reasons == ["unknown_key", "replayed", "PermissionDenied"]


def _wait_for(condition: Callable[[], bool], seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the federation")
