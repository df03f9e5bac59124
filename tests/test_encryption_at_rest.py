"""Nothing a user writes is stored in clear: markers planted in every free-text and personal field
reachable through the API and the service layer are absent from the raw database (the SQLite
file, its WAL and shared memory; every row of every PostgreSQL table as text), and still read
back through the API. Fictional data only."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Node
from tipnet import migrate
from tipnet.audit.service import Actor
from tipnet.auth.permissions import Role
from tipnet.cases import service as case_service
from tipnet.config import Settings
from tipnet.crypto import Keyring
from tipnet.db import Bytes, UtcDateTime, make_engine, make_session_factory, transaction
from tipnet.identifiers import service as identifiers
from tipnet.link import service as link_service
from tipnet.link.models import LinkRun
from tipnet.link.node import link_into_node

API = "/api/v1"
CONTROL = "mrkr-control-7f3a"  # stored in clear on purpose (an organisation name): the scan works


def marker(field: str) -> str:
    return f"mrkr-{field}-7f3a"


HANDLE = "mrkr_handle_7f3a"
PERSON_HANDLE = "mrkr_personhandle_7f3a"
HUB_EMAIL = f"{marker('hubvalue')}@example.org"
WALLET = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
# Values that cannot carry a word: searched for as written and as stored.
PLAIN_VALUES = (
    "612998765",
    "655443322",
    "633210987",
    "699 88 77 66",
    "1987-06-05",
    "1991-02-03",
    "1979-12-11",
    WALLET.lower(),
)


def report_body(report_id: str, summary: str) -> dict[str, Any]:
    return {
        "reporter": {
            "report_id": report_id,
            "organisation": marker("reporterorg"),
            "contact": {
                "name": marker("contactname"),
                "email": f"{marker('contactemail')}@example.org",
                "phone": "+34 655 44 33 22",
            },
        },
        "incident": {
            "type": "recruitment_fraudulent_job_offer",
            "time": "2026-03-01T10:00:00Z",
            "summary": f"{summary} write to {marker('summaryemail')}@example.org or see "
            f"www.{marker('summaryhost')}.com",
            "urgency": "high",
        },
        "internet": {
            "platform": "instagram",
            "urls": [f"https://www.{marker('urlhost')}.com/p/{marker('urlpath')}"],
            "accounts": [
                {
                    "handle": f"@{HANDLE}",
                    "account_id": marker("accountid"),
                    "display_name": marker("displayname"),
                    "profile_url": f"https://{marker('profilehost')}.net/u",
                }
            ],
            "emails": [f"{marker('email')}@example.org", HUB_EMAIL],
            "phones": ["+34 612 99 87 65"],
            "wallets": [{"address": WALLET}],
        },
        "reported_persons": [
            {
                "name": marker("personname"),
                "date_of_birth": "1987-06-05",
                "phones": ["+34 633 21 09 87"],
                "emails": [f"{marker('personemail')}@example.org"],
                "accounts": [{"handle": f"@{PERSON_HANDLE}", "platform": "telegram"}],
            }
        ],
        "victims": [{"name": marker("victimname"), "age_estimate": 17, "sex": "female"}],
        "jurisdiction": ["ESP"],
    }


VICTIM = {
    "prs_FirstName": marker("vicfirst"),
    "prs_MiddleName": marker("vicmiddle"),
    "prs_SecondName": marker("vicsecond"),
    "prs_Birthdate": "1991-02-03",
    "prs_Email": f"{marker('vicemail')}@example.org",
    "prs_MobilePhone": "+34 699 88 77 66",
    "vic_Gender": "Female",
    "vic_MethodsOfControl": ["Threats"],
}
PERPETRATOR = {
    "prs_FirstName": marker("perfirst"),
    "prs_SecondName": marker("persecond"),
    "prs_Birthdate": "1979-12-11",
    "prs_Email": f"{marker('peremail')}@example.org",
    "per_RoleDetails": marker("roledetails"),
    "per_RoleInProcess": ["Exploiter"],
}
CASE_STEPS = (
    {"cas_Status": "FollowUp", "reason": marker("followupreason")},
    {"cas_Status": "Closed", "reason": marker("closurereason")},
    {"cas_Status": "Active", "reason": marker("reopenreason")},
    {
        "cas_Status": "ClosedReferred",
        "reason": marker("referralclosure"),
        "cas_ReferredOrganisation": marker("referredorg"),
        "cas_ReasonForOutgoingReferral": "AdditionalServicesRequired",
    },
)


@pytest.fixture
def police(node: Node) -> Node:
    node.user("platform", Role.REPORTER, org=f"{CONTROL} platform")
    node.user("alice", Role.INVESTIGATOR, org="Police")
    return node


@dataclass
class Planted:
    markers: list[str]
    report_id: str
    case_id: str
    run_id: uuid.UUID


REPORT_FIELDS = (
    "reporterorg", "contactname", "contactemail", "summary", "summaryemail", "summaryhost",
    "urlhost", "urlpath", "accountid", "displayname", "profilehost", "email", "hubvalue",
    "personname", "personemail", "victimname",
)  # fmt: skip
CASE_FIELDS = (
    "casetitle", "comment", "vicfirst", "vicmiddle", "vicsecond", "vicemail", "perfirst",
    "persecond", "peremail", "roledetails", "followupreason", "closurereason", "reopenreason",
    "referralclosure", "referredorg",
)  # fmt: skip
OTHER_FIELDS = ("overridereason", "reportstatusreason", "hubsummary")
MARKERS = [
    *(marker(field) for field in REPORT_FIELDS + CASE_FIELDS + OTHER_FIELDS),
    HANDLE,
    PERSON_HANDLE,
    *PLAIN_VALUES,
]


def test_no_marker_is_stored_in_clear_and_every_one_reads_back(police: Node, backend: str) -> None:
    planted = plant_everything(police)
    stored = raw_storage(police)
    assert CONTROL in stored, "the scan must see what is stored in clear"
    leaked = [value for value in [*MARKERS, marker("summarytwo")] if value.lower() in stored]
    assert leaked == [], f"stored in clear: {leaked}"
    assert_reads_back(police, planted)


def plant_everything(node: Node) -> Planted:
    """Drive every write through the API (and the service layer where no route passes the key
    yet)."""
    first = post(node, "platform", "/reports", report_body("r-1", marker("summary")))["report_id"]
    post(node, "platform", "/reports", report_body("r-2", marker("summarytwo")))
    case_id = post(node, "alice", "/cases", {"title": marker("casetitle")})["id"]
    post(node, "alice", f"/cases/{case_id}/reports", {"report_id": first})
    post(node, "alice", f"/cases/{case_id}/comments", {"body": marker("comment")})
    post(node, "alice", f"/cases/{case_id}/victims", VICTIM)
    post(node, "alice", f"/cases/{case_id}/perpetrators", PERPETRATOR)
    for step in CASE_STEPS:
        post(node, "alice", f"/cases/{case_id}/status", step)
    override = {"kind": "email", "value": HUB_EMAIL, "decision": "drop"}
    override["reason"] = marker("overridereason")
    response = node.client.put(
        f"{API}/link/overrides", json=override, headers=node.headers("alice")
    )
    assert response.status_code == 200, response.text
    set_report_status(node, uuid.UUID(first), marker("reportstatusreason"))
    run_id = link_node_reports(node)
    return Planted(MARKERS, first, case_id, run_id)


def post(node: Node, user: str, path: str, body: dict[str, Any]) -> Any:
    response = node.client.post(API + path, json=body, headers=node.headers(user))
    assert response.status_code in (200, 201), response.text
    return response.json()


def set_report_status(node: Node, report_id: uuid.UUID, reason: str) -> None:
    body = {"status": "dismissed", "reason": reason}
    post(node, "alice", f"/reports/{report_id}/status", body)


def link_node_reports(node: Node) -> uuid.UUID:
    """A real linking run over the node's reports (the override's value goes into the run's
    parameters and hubs), and a stored run whose summary names a hub."""
    actor = Actor("test:linker")
    link_into_node(session_factory=node.session_factory, keyring=node.keyring, actor=actor)
    hub = {"kind": "email", "value": f"{marker('hubsummary')}@example.org", "items": 40}
    with transaction(node.session_factory) as session:
        return link_service.store_run(
            session=session, keyring=node.keyring, networks=[], engine="local", source="test",
            parameters={}, summary={"hubs": [hub]}, items=0, actor=actor,
        ).run_id  # fmt: skip


def raw_storage(node: Node) -> str:
    return _raw_text(node.session_factory.kw["bind"])


def _raw_text(engine: Engine) -> str:
    """Everything the database holds, as lowercase text: the SQLite files' bytes (with the WAL
    still there, then after a checkpoint), or every PostgreSQL row as text and its bytea as hex
    decoded back to bytes."""
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        with_wal = _files(path)
        raw = engine.raw_connection()  # outside tipnet's BEGIN
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        return with_wal + "\n" + _files(path)
    with engine.connect() as connection:
        return _postgres_rows(connection)


def _files(path: Path) -> str:
    found = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert path in found
    return "\n".join(p.read_bytes().decode("latin-1").lower() for p in found)


def _postgres_rows(connection: Connection) -> str:
    tables = connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    assert "cases" in tables and "audit_events" in tables
    chunks = []
    for table in tables:
        for (row,) in connection.execute(text(f'SELECT t::text FROM "{table}" t')):
            chunks.append(row.lower())
            # bytea columns print as \x<hex>: decode them so plaintext in bytes is seen too
            for part in row.split("\\\\x")[1:]:
                digits = part.split('"')[0].split(",")[0].split(")")[0]
                chunks.append(bytes.fromhex(digits[: len(digits) // 2 * 2]).decode("latin-1"))
    return "\n".join(chunks).lower()


def assert_reads_back(node: Node, planted: Planted) -> None:
    """Nothing lost: every marker comes back decrypted through the API or the service layer."""
    headers = node.headers("alice")
    report = node.client.get(f"{API}/reports/{planted.report_id}", headers=headers)
    case = node.client.get(f"{API}/cases/{planted.case_id}", headers=headers)
    overrides = node.client.get(f"{API}/link/overrides", headers=headers)
    assert report.status_code == case.status_code == overrides.status_code == 200
    report_id = uuid.UUID(planted.report_id)
    with node.session() as session:
        details = identifiers.read_details(
            session=session, keyring=node.keyring, report_id=report_id
        )
        runs = [
            link_service.read_run(session=session, keyring=node.keyring, run_id=run_id)
            for run_id in session.scalars(select(LinkRun.id))
        ]
    read = "\n".join([report.text, case.text, overrides.text, json.dumps([details, runs])])
    read = read.lower() + "\n" + read.lower().replace(" ", "")
    assert [value for value in planted.markers if value.lower() not in read] == []
    assert {"host": f"www.{marker('urlhost')}.com"} in details
    assert any(HUB_EMAIL in json.dumps(run["parameters"]) for run in runs)
    history = report.json()["status_history"]
    assert [(h["to_status"], h["reason"]) for h in history][-1] == (
        "dismissed",
        marker("reportstatusreason"),
    )


def test_audit_notes_free_text_by_length_and_keyed_digest(police: Node, backend: str) -> None:
    case_id = post(police, "alice", "/cases", {"title": marker("audittitle")})["id"]
    post(police, "alice", f"/cases/{case_id}/status", CASE_STEPS[1])
    with police.session() as session:
        rows = session.execute(
            text("SELECT action, details FROM audit_events WHERE object_id = :id ORDER BY seq"),
            {"id": case_id},
        ).all()
    details = {action: json.loads(found) for action, found in rows}
    title, reason = marker("audittitle"), marker("closurereason")
    assert details["case.open"]["title"] == {
        "chars": len(title),
        "digest": police.keyring.digest(title, context="audit.case.title"),
    }
    assert details["case.status"]["reason"]["chars"] == len(reason)
    assert reason not in json.dumps(details)


OLD = {
    "title": marker("oldtitle"),
    "closure": marker("oldclosure"),
    "referred": marker("oldreferred"),
    "history": marker("oldhistory"),
    "override": marker("oldoverride"),
    "parameters": marker("oldparameters"),
    "summary": marker("oldsummary"),
    "host": f"www.{marker('oldhost')}.com",
}


def test_migration_0007_encrypts_existing_plaintext_and_loses_nothing(
    settings: Settings, backend: str
) -> None:
    engine = make_engine(settings)
    keyring = Keyring(settings.secret_key_bytes())
    try:
        migrate.upgrade(engine, "0006")
        ids = _old_rows(engine, keyring)
        with pytest.raises(RuntimeError, match="needs the node's key"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0006"  # refused as a whole
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT title FROM cases")) == OLD["title"]
        migrate.upgrade(engine, keyring=keyring)
        stored = _raw_text(engine)
        assert [value for value in OLD.values() if value in stored] == []
        assert _read_old_rows(make_session_factory(engine), keyring, ids) == OLD
    finally:
        engine.dispose()


def _old_rows(engine: Engine, keyring: Keyring) -> dict[str, Any]:
    """Rows as revision 0006 stored them, free text in clear, through typed table stubs."""
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    ids = {"report": uuid.uuid4(), "case": uuid.uuid4(), "run": uuid.uuid4()}
    rows: list[tuple[str, dict[str, Any]]] = [
        ("organisations", {"id": 1, "name": "Police", "kind": "law_enforcement",
                           "created_at": now}),
        ("users", {"id": 1, "organisation_id": 1, "username": "alice", "role": "investigator",
                   "active": True, "created_at": now}),
        ("reports", {"id": ids["report"], "organisation_id": 1, "submitted_by": 1,
                     "received_at": now, "incident_type": "other", "incident_time": now,
                     "urgency": "normal", "urgency_rank": 2, "jurisdiction": "",
                     "body_sha256": "0" * 64, "body_enc": b"\x01", "status": "in_case"}),
        ("identifiers", {"report_id": ids["report"], "kind": "url", "value_index": "1" * 64,
                         "value_enc": b"\x01", "source": "internet.urls[0]",
                         "detail": json.dumps({"host": OLD["host"]})}),
        ("identifiers", {"report_id": ids["report"], "kind": "phone", "value_index": "2" * 64,
                         "value_enc": b"\x01", "source": "internet.phones[0]", "detail": "{}"}),
        ("cases", {"id": ids["case"], "title": OLD["title"], "status": "ClosedReferred",
                   "created_at": now, "created_by": 1, "updated_at": now,
                   "closure_reason": OLD["closure"], "referred_organisation": OLD["referred"]}),
        ("case_reports", {"case_id": ids["case"], "report_id": ids["report"],
                          "attached_at": now, "attached_by": 1}),
        ("case_status_changes", {"case_id": ids["case"], "to_status": "ClosedReferred",
                                 "reason": OLD["history"], "changed_by": 1, "changed_at": now}),
        ("link_runs", {"id": ids["run"], "started_at": now, "engine": "local", "source": "x",
                       "parameters": json.dumps({"drop": [OLD["parameters"]]}),
                       "summary": json.dumps({"hubs": [OLD["summary"]]}), "items": 0,
                       "networks": 0, "started_by": "cli:root"}),
        ("link_signal_overrides", {"kind": "email", "value_index": "3" * 64,
                                   "value_enc": keyring.encrypt("a@b.org", context="link.override"),
                                   "decision": "drop", "reason": OLD["override"],
                                   "decided_by": 1, "decided_at": now}),
    ]  # fmt: skip
    with engine.begin() as connection:
        for name, row in rows:
            columns = [sa.column(key, _type_of(value)) for key, value in row.items()]
            connection.execute(sa.insert(sa.table(name, *columns)).values(row))
    return ids


def _type_of(value: object) -> Any:
    # bool before int: a bool is an int in Python
    for kind, sql_type in (
        (uuid.UUID, sa.Uuid()), (dt.datetime, UtcDateTime()), (bytes, Bytes()),
        (bool, sa.Boolean()), (int, sa.Integer()),
    ):  # fmt: skip
        if isinstance(value, kind):
            return sql_type
    return sa.String()


def _read_old_rows(
    factory: sessionmaker[Session], keyring: Keyring, ids: dict[str, Any]
) -> dict[str, str]:
    with factory() as session:
        case = case_service.read_case(
            session=session, keyring=keyring, case_id=ids["case"], actor=Actor("test:migration")
        )
        [override] = link_service.list_overrides(session=session, keyring=keyring)
        run = link_service.read_run(session=session, keyring=keyring, run_id=ids["run"])
        details = identifiers.read_details(
            session=session, keyring=keyring, report_id=ids["report"]
        )
    assert details[1] == {}  # an empty detail became NULL, and reads back empty
    return {
        "title": case.title,
        "closure": str(case.closure_reason),
        "referred": str(case.referred_organisation),
        "history": str(case.status_history[0].reason),
        "override": override.reason,
        "parameters": run["parameters"]["drop"][0],
        "summary": run["summary"]["hubs"][0],
        "host": details[0]["host"],
    }
