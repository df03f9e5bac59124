"""`tipnet node rotate-key`, `tipnet node rotation-statement` and `tipnet peers rotate`: the
statement comes out whole (never wrapped), the peer accepts it once, and mistakes end with a
message, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.conftest import Node
from tests.federation.fednodes import (
    another_database,
    befriend,
    extra_node,
    init_identity,
    local_identity,
)
from tipnet.cli import app
from tipnet.federation import peers
from tipnet.federation.identity import parse_rotation_statement

runner = CliRunner(env={"COLUMNS": "40", "NO_COLOR": "1"})  # rich would wrap at 40 columns


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Node, Node]]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    databases = [another_database("sqlite", tmp_path, name) for name in ("esp", "ita")]
    with extra_node(next(databases[0])) as esp, extra_node(next(databases[1])) as ita:
        init_identity(esp, "ESP", "https://tipnet.policia.example.es/federation/gateway")
        init_identity(ita, "ITA", "https://tipnet.example.it")
        befriend(esp, ita)
        yield esp, ita


def test_rotate_and_accept_with_the_cli(pair: tuple[Node, Node], tmp_path: Path) -> None:
    esp, ita = pair
    old = local_identity(esp).node_id
    statement_file = tmp_path / "rotation.json"
    rotated = _cli(esp, "node", "rotate-key", "--out", str(statement_file))
    assert rotated.exit_code == 0, rotated.output
    new = local_identity(esp).node_id
    parsed = parse_rotation_statement(statement_file.read_text())
    assert (parsed.previous_node_id, parsed.descriptor.node_id) == (old, new)
    again = _cli(esp, "node", "rotation-statement")
    assert again.exit_code == 0 and again.stdout.strip() == statement_file.read_text().strip()

    accepted = _cli(ita, "peers", "rotate", str(statement_file))
    assert accepted.exit_code == 0, accepted.output
    assert new in accepted.output
    with ita.session() as session:
        assert peers.find_peer(session=session, node_id=new).country == "ESP"
    twice = _cli(ita, "peers", "rotate", str(statement_file))
    assert twice.exit_code == 1 and "already accepted" in twice.output
    assert "Traceback" not in twice.output


def test_a_node_that_never_rotated(pair: tuple[Node, Node]) -> None:
    esp, _ = pair
    answer = _cli(esp, "node", "rotation-statement")
    assert answer.exit_code == 1 and "never rotated" in answer.output


def _cli(node: Node, *args: str) -> Result:
    secret = node.settings.secret_key
    assert secret is not None
    env = {
        "TIPNET_DATABASE_URL": node.settings.database_url,
        "TIPNET_SECRET_KEY": secret.get_secret_value(),
    }
    return runner.invoke(app, list(args), env=env)
