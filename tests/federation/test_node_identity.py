"""This node's federation identity in the database: created once, secrets encrypted at rest,
loaded back to the same keys; the admin API and the CLI around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import TEST_ACTOR, Node, new_secret_key
from tests.federation.fednodes import foreign_descriptor, init_identity
from tipnet.auth.permissions import Role
from tipnet.cli import app
from tipnet.crypto import Keyring
from tipnet.db import transaction
from tipnet.errors import Conflict
from tipnet.federation import node as node_service
from tipnet.federation.identity import NodeIdentity, PeerDescriptor, parse_descriptor
from tipnet.federation.models import LocalNode

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
narrow = CliRunner(env={"COLUMNS": "40", "NO_COLOR": "1"})  # rich would wrap at 40 columns
LONG_NAME = "Policía Nacional, Unidad Central de Redes de Inmigración Ilegal y Falsedades"


def test_identity_round_trips_and_secrets_are_encrypted(node: Node, backend: str) -> None:
    descriptor = parse_descriptor(init_identity(node, "NGA", "https://tipnet.example.ng/"))
    assert (descriptor.country, descriptor.url) == ("NGA", "https://tipnet.example.ng")
    with node.session() as session:
        loaded = node_service.load(session=session, keyring=node.keyring)
        row = session.scalars(select(LocalNode)).one()
    assert loaded.node_id == descriptor.node_id == row.key_id
    assert loaded.identity.public_key_bytes == descriptor.public_key_bytes
    pem = loaded.identity.private_key_pem()
    assert b"PRIVATE KEY" in pem and b"PRIVATE KEY" not in row.signing_key_enc
    assert loaded.oprf_seed.hex().encode() not in row.oprf_seed_enc
    with (
        node.session() as session,
        pytest.raises(Exception, match="written by key .* but this node holds key"),
    ):
        node_service.load(session=session, keyring=Keyring(bytes(32)))


def test_one_oprf_key_per_kind_stable_across_loads(node: Node) -> None:
    init_identity(node)
    with node.session() as session:
        first = node_service.load(session=session, keyring=node.keyring)
        second = node_service.load(session=session, keyring=node.keyring)
    assert first.oprf_key("phone") == second.oprf_key("phone")
    assert first.oprf_key("phone") != first.oprf_key("email")
    assert "secret" not in repr(first.oprf_key("phone"))


def test_created_once(node: Node) -> None:
    with node.session() as session, pytest.raises(node_service.NodeNotInitialised, match="init"):
        node_service.load(session=session, keyring=node.keyring)
    init_identity(node)
    with transaction(node.session_factory) as session, pytest.raises(Conflict):
        node_service.init_node(
            session=session,
            keyring=node.keyring,
            country="ESP",
            name="again",
            url="http://x.example",
            actor=TEST_ACTOR,
        )


def test_node_api_for_administrators(node: Node) -> None:
    node.user("root", Role.ADMIN)
    headers = node.headers("root")
    assert node.client.get("/api/v1/federation/node", headers=headers).status_code == 409
    body = {"country": "ita", "name": "Italy", "url": "https://tipnet.example.it"}
    created = node.client.post("/api/v1/federation/node", json=body, headers=headers)
    assert created.status_code == 201, created.text
    read = node.client.get("/api/v1/federation/node", headers=headers).json()
    assert read["country"] == "ITA" and read["node_id"] == created.json()["node_id"]
    assert parse_descriptor(__import__("json").dumps(read["descriptor"])).node_id == read["node_id"]
    bad = node.client.post(
        "/api/v1/federation/node", json=body | {"url": "ftp://x"}, headers=headers
    )
    assert bad.status_code in (409, 422)


def test_node_api_refuses_bad_input_before_init(node: Node) -> None:
    node.user("root", Role.ADMIN)
    bad = node.client.post(
        "/api/v1/federation/node",
        json={"country": "XXX", "name": "n", "url": "https://x.example"},
        headers=node.headers("root"),
    )
    assert bad.status_code == 422 and "country" in bad.text


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIPNET_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TIPNET_SECRET_KEY", new_secret_key())
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def _ok(*arguments: str) -> str:
    result = runner.invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_node_and_peers(cli_env: Path) -> None:
    output = _ok("node", "init", "--country", "esp", "--name", "Spain", "--url", "http://es.test")
    assert "fingerprint SHA256:" in output
    again = runner.invoke(app, ["node", "init", "--country", "ESP", "--name", "S", "--url", "x"])
    assert again.exit_code == 1 and "already" in again.output
    own = cli_env / "own.json"
    _ok("node", "descriptor", "--out", str(own))
    assert parse_descriptor(own.read_text()).country == "ESP"
    peer_file = cli_env / "ita.json"
    peer_file.write_text(foreign_descriptor("ITA").to_json())
    added = _ok("peers", "add", str(peer_file), "--kinds", "phone,email", "--rate-limit", "500")
    assert "ITA" in added
    listing = _ok("peers", "list")
    assert "email,phone" in listing and "500" in listing
    bad = runner.invoke(app, ["peers", "add", str(peer_file), "--kinds", "phone,shoe"])
    assert bad.exit_code == 1 and "shoe" in bad.output
    _ok("peers", "update", "1", "--image-lists", "--kinds", "phone")
    assert "yes" in _ok("peers", "list")
    assert "removed" in _ok("peers", "remove", "1")
    assert "ITA" not in _ok("peers", "list") and "ITA" in _ok("peers", "list", "--all")


def test_cli_federation_commands(cli_env: Path) -> None:
    _ok("node", "init", "--country", "ITA", "--name", "Italy", "--url", "http://it.test")
    generated = runner.invoke(app, ["node", "pprl-secret", "--generate"])
    assert generated.exit_code == 0, generated.output
    secret = generated.stdout.strip()  # alone on stdout: SECRET=$(tipnet node pprl-secret ...)
    scheme = generated.stderr.split("scheme fingerprint ")[1].split(":")[0]
    assert scheme in _ok("node", "pprl-secret", "--set", secret)
    neither = runner.invoke(app, ["node", "pprl-secret"])
    assert neither.exit_code == 1 and "either" in neither.output
    short = runner.invoke(app, ["node", "pprl-secret", "--set", "c2hvcnQ="])
    assert short.exit_code == 1 and "32 bytes" in short.output
    assert "delivered 0, will retry 0, failed 0" in _ok("federation", "deliver", "--now")
    assert "message" in _ok("federation", "outbox", "--pending")
    assert _ok("federation", "sync").strip() == ""  # no peers yet: nothing to sync
    bad = runner.invoke(app, ["federation", "share", "not-a-uuid", "--level", "federation"])
    assert bad.exit_code == 1 and "not a report id" in bad.output
    missing = runner.invoke(
        app, ["federation", "share", "00000000-0000-0000-0000-000000000001", "--level", "local"]
    )
    assert missing.exit_code == 1 and "no report" in missing.output
    query = runner.invoke(app, ["federation", "query", "--kind", "phone", "+34612345678"])
    assert query.exit_code == 0, query.output


def test_descriptor_redirected_to_a_file_verifies_in_a_peer(
    cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tipnet node descriptor > file`, a real process whose stdout is a file on a 40-column
    setting, then `tipnet peers add file` on another node: the signature holds."""
    url = "https://tipnet.policia-nacional.example.es/federation/gateway/primary"
    _ok("node", "init", "--country", "ESP", "--name", LONG_NAME, "--url", url)
    descriptor_file = tmp_path / "esp.json"
    environment = os.environ | {"COLUMNS": "40", "TERM": "dumb"}
    with descriptor_file.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "tipnet.cli", "node", "descriptor"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=cli_env,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    text = descriptor_file.read_text(encoding="utf-8")
    parsed = parse_descriptor(text)  # checks the signature
    assert (parsed.name, parsed.url) == (LONG_NAME, url)
    assert text == parsed.to_json() + "\n"  # byte for byte: nothing wrapped or coloured
    assert max(len(line) for line in text.splitlines()) > 80  # long lines stayed whole
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("TIPNET_DATABASE_URL", f"sqlite:///{other / 'other.db'}")
    monkeypatch.setenv("TIPNET_SECRET_KEY", new_secret_key())
    _ok("db", "upgrade")
    added = narrow.invoke(app, ["peers", "add", str(descriptor_file)])
    assert added.exit_code == 0, added.output
    assert f"fingerprint {parsed.fingerprint}" in added.stdout  # on one line, whole
    assert LONG_NAME in added.stdout


def test_init_and_json_output_are_never_wrapped(cli_env: Path, tmp_path: Path) -> None:
    init = narrow.invoke(
        app, ["node", "init", "--country", "ESP", "--name", LONG_NAME, "--url", "http://es.test"]
    )
    assert init.exit_code == 0, init.output
    own = parse_descriptor(init.stdout)  # stdout holds the descriptor alone
    assert f"fingerprint {own.fingerprint}" in init.stderr
    descriptor = narrow.invoke(app, ["node", "descriptor"])
    assert descriptor.stdout == own.to_json() + "\n"
    peer_file = tmp_path / "ita.json"
    peer_file.write_text(_descriptor_named(LONG_NAME + " [/x] [bold]").to_json())
    assert narrow.invoke(app, ["peers", "add", str(peer_file)]).exit_code == 0
    listed = narrow.invoke(app, ["peers", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (peer,) = json.loads(listed.stdout)
    assert peer["name"] == LONG_NAME + " [/x] [bold]"
    requests = narrow.invoke(app, ["federation", "requests", "--json"])
    assert json.loads(requests.stdout) == []


def test_names_from_a_peer_are_text_not_markup(cli_env: Path, tmp_path: Path) -> None:
    """A peer's descriptor is a stranger's input: rich markup in its name must neither vanish
    nor crash the command (an unbalanced '[/x]' raised MarkupError)."""
    peer_file = tmp_path / "ita.json"
    peer_file.write_text(_descriptor_named("Italia [/x] [bold]red[/bold]").to_json())
    added = runner.invoke(app, ["peers", "add", str(peer_file)])
    assert added.exit_code == 0, added.output
    assert "Italia [/x] [bold]red[/bold]" in added.stdout
    listing = runner.invoke(app, ["peers", "list"])
    assert listing.exit_code == 0 and "[/x]" in listing.stdout, listing.output
    removed = runner.invoke(app, ["peers", "remove", "1"])
    assert "Italia [/x] [bold]red[/bold]" in removed.stdout
    mistake = runner.invoke(app, ["peers", "add", str(peer_file), "--kinds", "phone,[/x]"])
    assert mistake.exit_code == 1 and "[/x]" in mistake.stderr, mistake.output  # not a crash
    assert "Traceback" not in mistake.output


def _descriptor_named(name: str) -> PeerDescriptor:
    identity = NodeIdentity.generate(country="ITA", name=name, url="http://127.0.0.1:8")
    return identity.descriptor()
