"""Checkpoints signed with the node's Ed25519 identity: they hold on a growing log, and catch a
cut or rewritten log and a checkpoint forged by someone without the node's key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from tests.audit.test_keyed_chain import _append, _as_attacker, _rewrite_from
from tests.conftest import Node, new_secret_key
from tests.federation.fednodes import init_identity, local_identity
from tipnet.audit import checkpoints
from tipnet.audit.checkpoints import CheckpointsResult
from tipnet.audit.service import Actor
from tipnet.cli import app
from tipnet.db import transaction
from tipnet.errors import Conflict

ACTOR = Actor("test:checkpoint")


def _sign(node: Node, private_key: Ed25519PrivateKey | None = None) -> checkpoints.SignedCheckpoint:
    local = local_identity(node)
    with transaction(node.session_factory) as session:
        return checkpoints.sign_head(
            session=session,
            private_key=private_key or local.identity.private_key,
            node_id=local.node_id,
            actor=ACTOR,
        )


def _check(node: Node) -> CheckpointsResult:
    local = local_identity(node)
    with node.session() as session:
        return checkpoints.verify_signed(
            session=session,
            public_key=local.identity.private_key.public_key(),
            node_id=local.node_id,
        )


def test_signed_checkpoints_hold_on_a_growing_log(node: Node, backend: str) -> None:
    init_identity(node)
    _append(node, 3)
    signed = _sign(node)
    assert signed.seq == 4  # node init wrote event 1, then three more
    public_key = local_identity(node).identity.private_key.public_key()
    assert checkpoints.verify_copy(signed, public_key)
    _append(node, 2)
    _sign(node)
    result = _check(node)
    assert result.problems == [] and result.checked == 2 and result.latest_seq == 7


def test_a_cut_or_rewritten_log_breaks_a_signed_checkpoint(node: Node, backend: str) -> None:
    init_identity(node)
    _append(node, 4)
    _sign(node)  # at event 5

    def cut(connection: Connection) -> None:
        connection.execute(text("DELETE FROM audit_events WHERE seq > 3"))

    _as_attacker(node, _rewrite_from(5, strip_macs=False))
    assert any("event 5 has changed" in problem for problem in _check(node).problems)
    _as_attacker(node, cut)
    assert any("no longer has event 5" in problem for problem in _check(node).problems)


def test_a_checkpoint_signed_with_another_key_is_refused(node: Node, backend: str) -> None:
    init_identity(node)
    _append(node, 2)
    _sign(node, private_key=Ed25519PrivateKey.generate())
    [problem] = _check(node).problems
    assert "signature is not this node's" in problem


def test_a_broken_log_is_not_signed(node: Node, backend: str) -> None:
    init_identity(node)
    _append(node, 3)
    _as_attacker(node, _rewrite_from(2, strip_macs=False))
    with pytest.raises(Conflict, match="does not verify"):
        _sign(node)
    assert _check(node).checked == 0


def test_the_checkpoint_command_signs_and_verify_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner(env={"COLUMNS": "60", "NO_COLOR": "1"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIPNET_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIPNET_SECRET_KEY", new_secret_key())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    before = runner.invoke(app, ["audit", "checkpoint"])
    assert before.exit_code == 1 and "node init" in before.output
    init = ["node", "init", "--country", "ESP", "--name", "Test", "--url", "https://n.test"]
    assert runner.invoke(app, init).exit_code == 0
    signed = runner.invoke(app, ["audit", "checkpoint"])
    assert signed.exit_code == 0, signed.output
    assert re.search(r"^checkpoint 1:[0-9a-f]{64}$", signed.output, re.MULTILINE)
    assert re.search(r"^signature [A-Za-z0-9+/=]{88}$", signed.output, re.MULTILINE)
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "1 signed checkpoint(s) hold" in verified.output
