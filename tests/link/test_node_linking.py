"""Linking the node's own reports into stored networks: ids kept as networks grow, hub
overrides obeyed, dissolved networks retired, unreadable reports counted; on SQLite and
PostgreSQL, and through `tipnet link run|list|show|export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.conftest import Node, new_secret_key
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.cli import app
from tipnet.db import transaction
from tipnet.link import service
from tipnet.link.models import Network
from tipnet.link.node import link_into_node
from tipnet.link.schemas import OverrideCreate
from tipnet.reports.intake import Submitter
from tipnet.reports.models import Report
from tipnet.reports.schemas import ReportCreate
from tipnet.reports.service import submit_report

PHONE = "+34612345678"
ACTOR = Actor("test:linker")
runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def _body(report_id: str, country: str, phone: str | None, handle: str) -> dict[str, Any]:
    return {
        "reporter": {"report_id": report_id},
        "incident": {
            "type": "recruitment_fraudulent_job_offer",
            "time": "2026-03-01T10:00:00Z",
            "summary": f"Job abroad, no experience needed, call {phone or 'nobody'}.",
        },
        "internet": {"platform": "chatbook", "accounts": [{"handle": handle}]},
        "jurisdiction": [country],
    }


@pytest.fixture
def submitter(node: Node) -> Submitter:
    node.user("platform", Role.REPORTER, org="Platform")
    with node.session() as session:
        user = auth_service.get_user_by_name(session=session, username="platform")
    return Submitter(user.id, user.organisation_id, Actor("user:platform"))


def _file(node: Node, submitter: Submitter, *bodies: dict[str, Any]) -> list[str]:
    refs = []
    with transaction(node.session_factory) as session:
        for body in bodies:
            receipt = submit_report(
                session=session,
                keyring=node.keyring,
                submitter=submitter,
                report=ReportCreate.model_validate(body),
                raw_body=body,
            )
            refs.append(f"report:{receipt.report_id}")
    return refs


def _run(node: Node) -> Any:
    return link_into_node(
        session_factory=node.session_factory, keyring=node.keyring, actor=ACTOR, workers=1
    )


def test_reports_sharing_a_phone_become_one_stored_network_that_keeps_its_id(
    node: Node, submitter: Submitter
) -> None:
    first = _file(
        node,
        submitter,
        _body("r1", "NGA", PHONE, "@lagos.recruit1"),
        _body("r2", "ESP", PHONE, "@madrid.agent2"),
        _body("r3", "FRA", None, "@unrelated3"),
    )
    run = _run(node)
    assert (run.stored.networks, run.stored.created) == (1, 1)
    with node.session() as session:
        [summary] = service.list_networks(session=session)
        network = service.read_network(
            session=session, keyring=node.keyring, network_id=summary.id, actor=ACTOR
        )
    assert sorted(item.item_ref for item in network.network_items) == sorted(first[:2])
    assert all(item.report_id is not None for item in network.network_items)
    assert network.transnational and set(network.countries) == {"NGA", "ESP"}
    assert ("phone", PHONE) in {(s.kind, s.value) for s in network.network_selectors}

    grown = _file(node, submitter, _body("r4", "ITA", PHONE, "@rome.agent4"))
    again = _run(node)
    assert (again.stored.created, again.stored.updated) == (0, 1)
    with node.session() as session:
        [after] = service.list_networks(session=session)
    assert after.id == summary.id and after.items == 3
    assert grown[0] in again.result.assignments()


def test_an_investigators_drop_override_dissolves_the_network_it_held_together(
    node: Node, submitter: Submitter
) -> None:
    _file(
        node,
        submitter,
        _body("r1", "NGA", PHONE, "@lagos.recruit1"),
        _body("r2", "ESP", PHONE, "@madrid.agent2"),
    )
    [network_id] = [n.id for n in _run(node).result.networks]
    with transaction(node.session_factory) as session:
        service.set_override(
            session=session,
            keyring=node.keyring,
            override=OverrideCreate(
                kind="phone", value=PHONE, decision="drop", reason="shared hotline"
            ),
            user_id=1,
            actor=ACTOR,
        )
    run = _run(node)
    assert run.result.networks == [] and run.stored.dissolved == 1
    assert f"phone:{PHONE}" in run.result.report.config["overrides"]["drop"]
    with node.session() as session:
        stored = session.get(Network, network_id)
        assert stored is not None and stored.status == "dissolved"
        assert service.list_networks(session=session) == []


def test_an_unreadable_report_is_skipped_and_counted_not_fatal(
    node: Node, submitter: Submitter
) -> None:
    refs = _file(
        node,
        submitter,
        _body("r1", "NGA", PHONE, "@a1"),
        _body("r2", "ESP", PHONE, "@a2"),
        _body("r3", "ESP", PHONE, "@a3"),
    )
    broken = refs[2].removeprefix("report:")
    with transaction(node.session_factory) as session:
        report_id = session.scalar(select(Report.id).where(Report.reporter_report_id == "r3"))
        assert str(report_id) == broken
        session.execute(update(Report).where(Report.id == report_id).values(body_enc=b"\x01junk"))
    run = _run(node)
    [reason] = [r for r in run.result.report.skipped if r.startswith("report unreadable")]
    assert run.result.report.skipped[reason]["count"] == 1
    assert run.result.report.skipped[reason]["examples"] == [broken]
    assert run.stored.networks == 1 and run.result.networks[0].items.__len__() == 2


@pytest.fixture
def cli_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIPNET_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIPNET_SECRET_KEY", new_secret_key())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["demo", "seed", "--reports", "0"]).exit_code == 0
    lines = [
        json.dumps(_body(f"c{index}", country, PHONE, f"@agent{index}"))
        for index, country in enumerate(("NGA", "ESP", "ITA"))
    ]
    (tmp_path / "reports.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    ingest = ["reports", "ingest", "reports.jsonl", "--as", "platform-bot"]
    assert runner.invoke(app, ingest).exit_code == 0
    return tmp_path


def _ok(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_links_the_node_then_lists_shows_and_exports(cli_node: Path) -> None:
    output = _ok("link", "run", "--workers", "1")
    assert "stored in the node: 1 networks (1 new" in output
    listing = _ok("link", "list", "--transnational")
    [network_id] = [word for word in listing.split() if word.startswith("N") and len(word) == 17]
    shown = _ok("link", "show", network_id)
    assert PHONE in shown and all(country in listing for country in ("NGA", "ESP", "ITA"))
    assert json.loads(_ok("link", "show", network_id, "--json"))["items"] == 3
    _ok("link", "export", network_id, "--format", "i2", "--out", "i2")
    entities = (cli_node / "i2" / "entities.csv").read_text("utf-8")
    assert PHONE in entities and entities.count("item:report:") == 3
    _ok("link", "export", network_id, "--format", "gexf", "--out", ".")
    assert (cli_node / f"{network_id}.gexf").stat().st_size > 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["link", "show", "N0000000000000000"], "no network N0000000000000000"),
        (["link", "export", "Nx", "--format", "xls", "--out", "x"], "--format must be one of"),
        (["link", "run", "missing.jsonl"], "nothing would be kept"),
        (["link", "run", "missing.jsonl", "--store"], "does not exist"),
        (["link", "list", "--country", "Spain"], "ISO 3166 alpha-3"),
    ],
)
def test_cli_mistakes_get_one_line_errors(
    cli_node: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
