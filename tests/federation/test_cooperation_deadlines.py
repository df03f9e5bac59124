"""48-hour response tracking of cooperation requests (Prüm II: core data within 48 hours of
receipt): every request shows when its answer is due, whether it is overdue and, once decided,
how long the answer took; lists filter overdue ones and put the requests waiting for a decision
here first, soonest due first. Requests travel between in-process nodes; their age is set by
moving ``created_at`` back in the database, as if they had arrived earlier."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import Wire, backend_of, context_of, local_identity, three_nodes
from tipnet.auth.permissions import Role
from tipnet.cli import app
from tipnet.config import Settings
from tipnet.db import transaction, utcnow
from tipnet.federation import cooperation, outbox
from tipnet.federation.deadlines import PRUM, ResponseWindows
from tipnet.federation.models import CooperationRequest
from tipnet.federation.schemas import (
    CooperationCreate,
    CooperationDecision,
    CooperationRead,
    CooperationSummary,
)

runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})
LIST_URL = "/api/v1/federation/cooperation-requests"


@pytest.fixture
def trio(
    node: Node, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Node, Node, Node, Wire]]:
    with three_nodes(node, backend_of(request), tmp_path) as nodes:
        yield nodes


def test_a_request_past_48_hours_is_overdue_on_both_nodes(
    trio: tuple[Node, Node, Node, Wire], backend: str
) -> None:
    esp, ita, _, wire = trio
    late, fresh = _file(ita, esp), _file(ita, esp)
    _deliver(ita, wire)
    for member in (esp, ita):
        _age(member, late.request_id, hours=49)
    [overdue] = _list(esp, overdue=True)
    assert overdue.request_id == late.request_id and overdue.overdue
    assert overdue.due_at == overdue.created_at + dt.timedelta(hours=48)
    assert overdue.answered_in_hours is None
    [waiting] = _list(esp, overdue=False)
    assert waiting.request_id == fresh.request_id and not waiting.overdue
    assert waiting.due_at > utcnow() + dt.timedelta(hours=47)
    # The requester sees the same deadline counted from filing: no answer back in time.
    [asked] = _list(ita, overdue=True, direction="outgoing")
    assert asked.request_id == late.request_id and asked.status == "sent"


def test_a_decided_request_is_not_overdue_and_shows_its_answer_time(
    trio: tuple[Node, Node, Node, Wire], backend: str
) -> None:
    esp, ita, _, wire = trio
    filed = _file(ita, esp)
    _deliver(ita, wire)
    _age(esp, filed.request_id, hours=49)
    _age(ita, filed.request_id, hours=50)
    decided = _refuse(esp, _ids(esp)[filed.request_id])
    assert not decided.overdue and decided.answered_in_hours is not None
    assert 49 <= decided.answered_in_hours < 49.1
    assert _list(esp, overdue=True) == []
    _deliver(esp, wire)
    [answered] = _list(ita, direction="outgoing")
    assert answered.status == "refused" and not answered.overdue
    assert answered.answered_in_hours is not None and 50 <= answered.answered_in_hours < 50.1
    assert _list(ita, overdue=True) == []


def test_requests_waiting_here_come_first_soonest_due_first(
    trio: tuple[Node, Node, Node, Wire], backend: str
) -> None:
    esp, ita, nga, wire = trio
    ages = {"newer": 10, "older": 30, "decided": 40}
    filed = {name: _file(ita, esp) for name in ages}
    urgent = _file(nga, esp, urgency="immediate")
    _deliver(ita, wire)
    _deliver(nga, wire)
    for name, hours in ages.items():
        _age(esp, filed[name].request_id, hours=hours)
    _age(esp, urgent.request_id, hours=5)
    _refuse(esp, _ids(esp)[filed["decided"].request_id])
    asked = _file(esp, nga)  # ours, filed just now: newest, but nothing to decide here
    waiting = [filed["older"].request_id, filed["newer"].request_id, urgent.request_id]
    others = [asked.request_id, filed["decided"].request_id]  # newest first
    assert [row.request_id for row in _list(esp)] == waiting + others
    # An immediate request with a 4-hour window is due first, and 1 hour late.
    windows = ResponseWindows(hours=48, immediate_hours=4)
    order = [row.request_id for row in _list(esp, windows=windows)]
    assert order == [urgent.request_id, *waiting[:2], *others]
    [late] = _list(esp, overdue=True, windows=windows)
    assert late.request_id == urgent.request_id and late.urgency == "immediate"
    assert late.due_at == late.created_at + dt.timedelta(hours=4)


def test_cooperation_api_shows_deadlines_and_filters_overdue(
    trio: tuple[Node, Node, Node, Wire],
) -> None:
    esp, ita, _, wire = trio
    late, fresh = _file(ita, esp), _file(ita, esp)
    _deliver(ita, wire)
    _age(esp, late.request_id, hours=49)
    esp.user("officer-es", Role.INVESTIGATOR)
    headers = esp.headers("officer-es")
    listing = esp.client.get(LIST_URL, params={"overdue": "true"}, headers=headers)
    assert listing.status_code == 200, listing.text
    [row] = listing.json()
    assert row["request_id"] == str(late.request_id) and row["overdue"] is True
    assert row["answered_in_hours"] is None
    due = dt.datetime.fromisoformat(row["due_at"])
    assert due - dt.datetime.fromisoformat(row["created_at"]) == dt.timedelta(hours=48)
    waiting = esp.client.get(LIST_URL, params={"overdue": "false"}, headers=headers).json()
    assert [r["request_id"] for r in waiting] == [str(fresh.request_id)]
    decided = esp.client.post(
        f"{LIST_URL}/{row['id']}/decision",
        json={"decision": "refuse", "reason": "no legal basis given"},
        headers=headers,
    ).json()
    assert decided["overdue"] is False and 49 <= decided["answered_in_hours"] < 49.1
    read = esp.client.get(f"{LIST_URL}/{row['id']}", headers=headers).json()
    assert read["due_at"] == row["due_at"] and read["answered_in_hours"] is not None
    for bad in ({"overdue": "maybe"}, {"status": "lost"}, {"direction": "sideways"}):
        refused = esp.client.get(LIST_URL, params=bad, headers=headers)
        assert refused.status_code == 422, bad
        assert next(iter(bad)) in refused.text


def test_cli_lists_overdue_requests_under_the_configured_window(
    trio: tuple[Node, Node, Node, Wire], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    esp, ita, _, wire = trio
    late, fresh = _file(ita, esp), _file(ita, esp)
    _deliver(ita, wire)
    _age(esp, late.request_id, hours=49)
    _age(esp, fresh.request_id, hours=3)
    ids = _ids(esp)
    monkeypatch.chdir(tmp_path)  # no developer's .env
    monkeypatch.setenv("TIPNET_DATABASE_URL", esp.settings.database_url)
    assert esp.settings.secret_key is not None
    monkeypatch.setenv("TIPNET_SECRET_KEY", esp.settings.secret_key.get_secret_value())
    output = _ok("federation", "requests", "--overdue")
    assert str(ids[late.request_id]) in output and "OVERDUE" in output
    assert str(ids[fresh.request_id]) not in output
    monkeypatch.setenv("TIPNET_COOPERATION_RESPONSE_HOURS", "2")
    output = _ok("federation", "requests", "--overdue", "--direction", "incoming")
    assert all(str(cooperation_id) in output for cooperation_id in ids.values())
    assert '"overdue": true' in _ok("federation", "requests", "--overdue", "--json")
    bad_status = runner.invoke(app, ["federation", "requests", "--status", "lost"])
    assert bad_status.exit_code == 2 and "lost" in bad_status.output
    monkeypatch.setenv("TIPNET_COOPERATION_RESPONSE_HOURS", "0")
    bad_window = runner.invoke(app, ["federation", "requests"])
    assert bad_window.exit_code == 1 and "cooperation_response_hours" in bad_window.output


def test_the_window_comes_from_the_settings() -> None:
    settings = Settings(
        cooperation_response_hours=24, cooperation_immediate_response_hours=8, _env_file=None
    )
    windows = ResponseWindows.of(settings)
    assert (windows.hours_for("normal"), windows.hours_for("immediate")) == (24, 8)
    assert ResponseWindows().hours_for("immediate") == 48


# --- helpers ---------------------------------------------------------------------------------


def _file(asker: Node, owner: Node, urgency: str = "normal") -> CooperationRead:
    body = {
        "peer": local_identity(owner).node_id,
        "reference": uuid.uuid4().hex,
        "purpose": "Investigation 2026/31",
        "legal_basis": "Council of Europe CETS 185, art. 25",
        "urgency": urgency,
        "fields": ["incident"],
    }
    with transaction(asker.session_factory) as session:
        return cooperation.file_request(
            session=session,
            keyring=asker.keyring,
            create=CooperationCreate.model_validate(body),
            actor=TEST_ACTOR,
        )


def _deliver(node: Node, wire: Wire) -> None:
    report = asyncio.run(outbox.deliver_due(context_of(node, wire), now_all=True))
    assert report.failed == report.retrying == 0


def _age(node: Node, request_id: uuid.UUID, *, hours: float) -> None:
    """As if the node had received (or filed) the request ``hours`` ago."""
    with transaction(node.session_factory) as session:
        row = session.scalars(
            select(CooperationRequest).where(CooperationRequest.request_id == request_id)
        ).one()
        row.created_at = utcnow() - dt.timedelta(hours=hours)


def _list(
    node: Node,
    *,
    direction: str | None = None,
    overdue: bool | None = None,
    windows: ResponseWindows = PRUM,
) -> list[CooperationSummary]:
    with node.session() as session:
        return cooperation.list_requests(
            session=session,
            keyring=node.keyring,
            direction=direction,
            overdue=overdue,
            windows=windows,
        )


def _ids(node: Node) -> dict[uuid.UUID, uuid.UUID]:
    """Request ids (the same on both nodes) to this node's ids of the requests."""
    return {row.request_id: row.id for row in _list(node)}


def _refuse(owner: Node, cooperation_id: uuid.UUID) -> CooperationRead:
    with transaction(owner.session_factory) as session:
        return cooperation.decide(
            session=session,
            keyring=owner.keyring,
            cooperation_id=cooperation_id,
            decision=CooperationDecision.model_validate(
                {"decision": "refuse", "reason": "no legal basis given"}
            ),
            actor=TEST_ACTOR,
        )


def _ok(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output
