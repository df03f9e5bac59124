"""`tipnet admin rotate-key` on a node with reports, persons, selectors, cases, networks, overrides,
audit rows and a federation identity: killed -9 mid-way in a real process, read mid-rotation
with both keys, resumed, then read with only the new key. Fictional data only."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tests.audit.test_keyed_chain import _as_attacker, _rewrite_from
from tests.conftest import TEST_ACTOR, Node
from tests.federation.fednodes import add_peer, foreign_descriptor
from tests.test_encryption_at_rest import (
    HANDLE,
    HUB_EMAIL,
    VICTIM,
    assert_reads_back,
    plant_everything,
    police,  # noqa: F401 (fixture)
)
from tipnet.audit import service as audit
from tipnet.audit.models import AuditEvent
from tipnet.config import Settings
from tipnet.crypto import DecryptionFailed, KeyNotConfigured, Keyring
from tipnet.db import Base, make_engine, make_session_factory, transaction
from tipnet.errors import ConfigurationError
from tipnet.federation import node as federation_node
from tipnet.federation.health import HealthRecorder
from tipnet.identifiers import service as identifiers
from tipnet.identifiers.models import Identifier
from tipnet.identifiers.selectors import Selector, SelectorKind
from tipnet.keyrotation import service as rotation
from tipnet.keyrotation.models import KeyRotation
from tipnet.keyrotation.registry import TABLES, Step
from tipnet.reports.models import Report

API = "/api/v1"
TIPNET = str(Path(sys.executable).with_name("tipnet"))
FILLER_SELECTORS = 5000  # enough single-row batches for the kill to land mid-way
UNSEEDED = {"federation_cooperation_requests", "federation_outbox", "federation_distributions"}


def test_rotation_killed_resumed_and_read_with_only_the_new_key(police: Node, backend: str) -> None:  # noqa: F811
    old_key = police.settings.secret_key_bytes()
    planted = plant_everything(police)
    identity = _federation_identity(police)
    _filler_selectors(police)
    before = _plaintexts(police, police.keyring)
    assert {table for table, rows in before.items() if rows} >= {s.name for s in TABLES} - UNSEEDED
    reads = _api_reads(police, planted.report_id, planted.case_id)
    new_key = os.urandom(32)

    killed = _run_rotation(police.settings, new_key, kill_after=40)
    assert killed.returncode == -signal.SIGKILL
    both = _node(police, new_key, previous=old_key)
    with both.session() as session:
        stale = rotation.stale_values(session=session, keyring=both.keyring)
        cursor = session.scalar(select(KeyRotation))
    assert cursor is not None and cursor.finished_at is None and cursor.rows_rewritten, cursor
    assert stale, (cursor.table_name, cursor.cursor, cursor.rows_rewritten)
    both.app.state.keyring = both.settings.keyring()  # what a node started with both keys holds
    assert _api_reads(both, planted.report_id, planted.case_id) == reads  # mid-rotation

    finished = _run_rotation(police.settings, new_key)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "set TIPNET_SECRET_KEY to the new key" in " ".join(finished.stdout.split())
    assert Keyring(new_key).key_id in finished.stdout

    new = _node(police, new_key)
    assert _plaintexts(new, new.keyring) == before  # nothing lost, nothing encrypted twice
    assert _api_reads(new, planted.report_id, planted.case_id) == reads
    assert_reads_back(new, planted)
    with new.session() as session:
        assert rotation.stale_values(session=session, keyring=new.keyring) == {}
        rotation.check_key(session=session, keyring=new.keyring)
        loaded = federation_node.load(session=session, keyring=new.keyring)
        assert loaded.identity.private_key_pem() == identity.identity.private_key_pem()
        assert (loaded.oprf_seed, loaded.pprl_secret) == (identity.oprf_seed, identity.pprl_secret)
        _assert_derived_values_are_the_new_keys(session, new.keyring)
    _assert_old_key_opens_nothing(new, old_key)
    _assert_audit_anchored(new, old_key)


def test_a_wrong_previous_key_is_refused_before_anything_is_written(
    police: Node,  # noqa: F811
    backend: str,
) -> None:
    plant_everything(police)
    with pytest.raises(rotation.RotationRefused, match="does not open this node's data"):
        rotation.rotate(
            session_factory=police.session_factory,
            new_key=os.urandom(32),
            old_key=os.urandom(32),
            actor=TEST_ACTOR,
        )
    with police.session() as session:
        assert session.scalar(select(KeyRotation)) is None
        assert rotation.stale_values(session=session, keyring=police.keyring) == {}


def test_the_old_key_after_rotation_is_a_clear_error(police: Node, backend: str) -> None:  # noqa: F811
    planted = plant_everything(police)
    old_key, new_key = police.settings.secret_key_bytes(), os.urandom(32)
    rotation.rotate(
        session_factory=police.session_factory,
        new_key=new_key,
        old_key=old_key,
        actor=TEST_ACTOR,
        batch=7,
    )
    new_id = Keyring(new_key).key_id
    with police.session() as session:
        with pytest.raises(ConfigurationError, match=f"retired.*{new_id}|{new_id}.*retired"):
            rotation.check_key(session=session, keyring=police.keyring)
        body = session.scalar(
            select(Report.body_enc).where(Report.id == uuid.UUID(planted.report_id))
        )
        assert body is not None
        with pytest.raises(KeyNotConfigured, match=f"written by key {new_id}"):
            police.keyring.decrypt(body, context="report.body")
        result = audit.verify(session=session)  # the engine's key: the old one
    assert not result.ok
    assert any(f"rotated to key {new_id}" in problem for problem in result.problems)
    # and a second run of the same rotation has nothing left to do
    again = rotation.rotate(
        session_factory=police.session_factory,
        new_key=new_key,
        old_key=old_key,
        actor=TEST_ACTOR,
    )
    assert again.already_done


def test_key_sources_of_the_command_are_checked(node: Node, tmp_path: Path) -> None:
    env = {**os.environ, "TIPNET_DATABASE_URL": node.settings.database_url}
    env["TIPNET_SECRET_KEY"] = node.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    env.pop("TIPNET_NEW_SECRET_KEY", None)
    bad = tmp_path / "new.key"
    bad.write_text("TIPNET_SECRET_KEY=bm90IGEga2V5\n")
    for args, expected in (
        ([], "no new key"),
        (["--new-key-file", str(bad)], "must decode to 32 bytes"),
        (["--new-key-file", str(tmp_path / "missing")], "cannot read the new key"),
    ):
        done = subprocess.run(
            [TIPNET, "admin", "rotate-key", *args], env=env, capture_output=True, text=True
        )
        assert done.returncode != 0
        assert expected in " ".join((done.stdout + done.stderr).split())
        assert "Traceback" not in done.stderr


def _run_rotation(
    settings: Settings, new_key: bytes, *, kill_after: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIPNET_DATABASE_URL": settings.database_url, "COLUMNS": "200"}
    env["TIPNET_SECRET_KEY"] = settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    env["TIPNET_NEW_SECRET_KEY"] = base64.b64encode(new_key).decode()
    env.pop("TIPNET_PREVIOUS_SECRET_KEY", None)
    command = [TIPNET, "admin", "rotate-key", "--batch", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if kill_after is not None:
        _kill_when_rewritten(settings, process, kill_after)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(
        command, process.returncode, stdout.decode(), stderr.decode()
    )


def _kill_when_rewritten(settings: Settings, process: subprocess.Popen[bytes], rows: int) -> None:
    engine = make_engine(settings)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as connection:
                state = connection.execute(
                    select(KeyRotation.table_name, KeyRotation.rows_rewritten)
                ).first()
            # mid-way through the largest table, so values under both keys are left behind
            if state is not None and state[0] == "identifiers" and state[1] >= rows:
                process.send_signal(signal.SIGKILL)
                return
            time.sleep(0.002)  # an idle machine rewrites thousands of rows a second
        pytest.fail("the rotation finished (or hung) before it could be killed")
    finally:
        engine.dispose()


def _node(template: Node, key: bytes, previous: bytes | None = None) -> Node:
    settings = Settings(
        database_url=template.settings.database_url,
        secret_key=base64.b64encode(key).decode(),
        previous_secret_key=None if previous is None else base64.b64encode(previous).decode(),
        _env_file=None,
    )
    factory = make_session_factory(make_engine(settings))
    return Node(settings, factory, settings.keyring(), tokens=dict(template.tokens))


def _api_reads(node: Node, report_id: str, case_id: str) -> list[Any]:
    """What investigators see: the report, the case, the overrides, selector and person search."""
    headers = node.headers("alice")
    reads = [
        node.client.get(f"{API}/reports/{report_id}", headers=headers),
        node.client.get(f"{API}/cases/{case_id}", headers=headers),
        node.client.get(f"{API}/link/overrides", headers=headers),
    ]
    searches = [
        ("/reports/search", {"kind": "email", "value": HUB_EMAIL}),
        ("/reports/search", {"kind": "handle", "value": f"@{HANDLE}", "platform": "instagram"}),
        ("/reports/search", {"kind": "phone", "value": "+34 612 99 87 65"}),
        ("/cases/person-search", {"name": " ".join(str(VICTIM[k]) for k in _NAME_PARTS)}),
    ]
    for path, body in searches:
        reads.append(node.client.post(API + path, json=body, headers=headers))
    assert [r.status_code for r in reads] == [200] * len(reads), [r.text for r in reads]
    found = [r.json() for r in reads]
    assert found[3]["reports"] and found[4]["reports"] and found[6], found[3:]
    return found


_NAME_PARTS = ("prs_FirstName", "prs_MiddleName", "prs_SecondName")


def _federation_identity(node: Node) -> federation_node.LocalIdentity:
    with transaction(node.session_factory) as session:
        federation_node.init_node(
            session=session,
            keyring=node.keyring,
            country="ESP",
            name="test node",
            url="https://node.example",
            actor=TEST_ACTOR,
        )
        federation_node.set_pprl_secret(
            session=session, keyring=node.keyring, secret=os.urandom(32), actor=TEST_ACTOR
        )
    peer_id = add_peer(node, foreign_descriptor().to_json())
    HealthRecorder(node.session_factory, node.keyring).failure(
        peer_id, "ITA peer", "abc", "refused", "ITA peer refused with 401: not registered"
    )
    with node.session() as session:
        return federation_node.load(session=session, keyring=node.keyring)


def _filler_selectors(node: Node) -> None:
    report_id = uuid.UUID(str(node.session().scalar(select(Report.id).limit(1))))
    selectors = [
        Selector(SelectorKind.EMAIL, f"filler{n}@example.org", f"filler{n}@example.org", "test")
        for n in range(FILLER_SELECTORS)
    ]
    rows = identifiers.rows_for(keyring=node.keyring, report_id=report_id, selectors=selectors)
    with transaction(node.session_factory) as session:
        session.execute(insert(Identifier), rows)


def _plaintexts(node: Node, keyring: Keyring) -> dict[str, list[tuple[Any, ...]]]:
    """Every registered table's rows, sealed columns decrypted, keyed columns left out (their
    values change with the key): equal before and after a rotation if nothing was lost."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with node.session() as session:
        for spec in TABLES:
            table = Base.metadata.tables[spec.name]
            derived = {d.column for d in spec.derived}
            plain = [c for c in (*spec.key, *spec.reads) if c not in derived]
            rows = session.execute(select(table)).mappings().all()
            found[spec.name] = sorted(
                (
                    *(str(row[c]) for c in plain),
                    *(
                        keyring.decrypt_optional(row[s.column], context=s.context_for(row))
                        for s in spec.sealed
                    ),
                )
                for row in rows
            )
    return found


def _assert_derived_values_are_the_new_keys(session: Session, keyring: Keyring) -> None:
    step = Step(keyring.current_only(), session)
    for spec in TABLES:
        table = Base.metadata.tables[spec.name]
        for row in session.execute(select(table)).mappings():
            plain = dict(row)
            for sealed in spec.sealed:
                plain[sealed.column] = keyring.decrypt_optional(
                    row[sealed.column], context=sealed.context_for(row)
                )
            for derived in spec.derived:
                if derived.column != "edges":  # checked through the graph below
                    assert row[derived.column] == derived.compute(step, plain), spec.name


def _assert_old_key_opens_nothing(node: Node, old_key: bytes) -> None:
    """Raw bytes: every value names the new key, and its sealed part does not open with the old
    key even when presented as a value from before key ids."""
    old, prefix = Keyring(old_key), b"\x02" + bytes.fromhex(node.keyring.key_id)
    values = 0
    with node.session() as session:
        for spec in TABLES:
            table = Base.metadata.tables[spec.name]
            for row in session.execute(select(table)).mappings():
                for sealed in spec.sealed:
                    raw = row[sealed.column]
                    if raw is None:
                        continue
                    values += 1
                    assert raw.startswith(prefix), (spec.name, sealed.column)
                    for attempt in (raw, b"\x01" + raw[5:]):
                        with pytest.raises(DecryptionFailed):
                            old.decrypt(attempt, context=sealed.context_for(row))
    assert values > FILLER_SELECTORS


def _assert_audit_anchored(node: Node, old_key: bytes) -> None:
    with node.session() as session:
        result = audit.verify(session=session)
    assert result.ok, result.problems
    assert result.retired_key > 0 and "retired key" in " ".join(result.warnings)
    with node.session() as session:
        anchor = session.scalar(select(AuditEvent).where(AuditEvent.action == audit.ROTATED_ACTION))
    assert anchor is not None and anchor.object_id == node.keyring.key_id
    # an attacker with the database (not the key) rewrites an event from before the rotation
    _as_attacker(node, _rewrite_from(3, strip_macs=False))
    with node.session() as session:
        tampered = audit.verify(session=session)
    assert not tampered.ok
    assert any(str(anchor.seq) in problem for problem in tampered.problems), tampered.problems
