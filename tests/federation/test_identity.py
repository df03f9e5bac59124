from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tipnet.errors import InvalidInput
from tipnet.federation.httpsig import MemoryReplayGuard, sign_request, verify_request
from tipnet.federation.identity import (
    NodeIdentity,
    fingerprint,
    load_identity,
    load_private_key,
    node_id_for,
    parse_descriptor,
    private_key_to_pem,
    validate_node_url,
)

CREATED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
OTHER_PUBLIC_KEY = base64.urlsafe_b64encode(
    Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
).decode()[:-1]


@pytest.fixture(scope="module")
def identity() -> NodeIdentity:
    return NodeIdentity.generate(
        country="esp",
        name="  Policía Nacional   UCRIF ",
        url="HTTPS://Tipnet.Example.ES/",
        now=CREATED,
    )


def test_generate_validates_and_normalises(identity: NodeIdentity) -> None:
    assert identity.country == "ESP"
    assert identity.name == "Policía Nacional UCRIF"
    assert identity.url == "https://tipnet.example.es"
    assert identity.created == CREATED


def test_node_id_and_fingerprint_derive_from_the_public_key(identity: NodeIdentity) -> None:
    digest = hashlib.sha256(identity.public_key_bytes).digest()
    assert identity.node_id == base64.b32encode(digest).decode()[:16].lower()
    assert identity.fingerprint == "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
    assert len(identity.fingerprint) == len("SHA256:") + 43
    other = Ed25519PrivateKey.generate()
    assert node_id_for(_raw(other)) != identity.node_id
    assert fingerprint(_raw(other)) != identity.fingerprint


def test_descriptor_round_trips(identity: NodeIdentity) -> None:
    descriptor = identity.descriptor()
    text = descriptor.to_json()
    fields = json.loads(text)
    assert set(fields) == {
        "type",
        "version",
        "node_id",
        "country",
        "name",
        "url",
        "public_key",
        "created",
        "signature",
    }
    assert fields["created"] == "2024-05-01T12:00:00Z"
    parsed = parse_descriptor(text)
    assert parsed == descriptor
    assert parsed.node_id == identity.node_id and parsed.fingerprint == identity.fingerprint
    assert parse_descriptor(json.dumps(fields, separators=(",", ":")).encode()) == descriptor


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Someone Else"),
        ("url", "https://attacker.example"),
        ("country", "FRA"),
        ("created", "2030-01-01T00:00:00Z"),
        ("public_key", OTHER_PUBLIC_KEY),
    ],
)
def test_altered_descriptor_is_refused(identity: NodeIdentity, field: str, value: str) -> None:
    fields = json.loads(identity.descriptor().to_json())
    assert fields[field] != value
    fields[field] = value
    with pytest.raises(InvalidInput, match="altered"):
        parse_descriptor(json.dumps(fields))


def test_descriptor_signed_by_another_key_cannot_claim_the_node_id(identity: NodeIdentity) -> None:
    attacker = Ed25519PrivateKey.generate()
    fields = json.loads(identity.descriptor().to_json())
    fields["public_key"] = base64.urlsafe_b64encode(_raw(attacker)).decode().rstrip("=")
    with pytest.raises(InvalidInput, match="node_id"):
        parse_descriptor(_signed(fields, attacker))


def test_descriptor_with_a_small_order_key_is_refused(identity: NodeIdentity) -> None:
    """The all-zero key and all-zero signature pass OpenSSL's Ed25519 check for any message."""
    fields = json.loads(identity.descriptor().to_json())
    zero_key = base64.urlsafe_b64encode(bytes(32)).decode().rstrip("=")
    fields |= {"public_key": zero_key, "node_id": node_id_for(bytes(32))}
    fields["signature"] = base64.urlsafe_b64encode(bytes(64)).decode().rstrip("=")
    with pytest.raises(InvalidInput, match="not a valid Ed25519 public key"):
        parse_descriptor(json.dumps(fields))


def test_descriptor_in_non_canonical_form_is_refused(identity: NodeIdentity) -> None:
    fields = json.loads(identity.descriptor().to_json())
    fields["country"] = "esp"  # validates as ESP, but ESP is not what was signed
    with pytest.raises(InvalidInput, match="canonical"):
        parse_descriptor(_signed(fields, identity.private_key))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: "not json", "not valid JSON"),
        (lambda f: "[1, 2]", "JSON object"),
        (lambda f: json.dumps({k: v for k, v in f.items() if k != "url"}), "missing: \\['url'\\]"),
        (lambda f: json.dumps(f | {"extra": 1}), "unknown: \\['extra'\\]"),
        (lambda f: json.dumps(f | {"version": "1"}), "version"),
        (lambda f: json.dumps(f | {"type": "other"}), "not a version 1"),
        (lambda f: json.dumps(f)[:-1] + ', "name": "x"}', "twice"),
        (lambda f: json.dumps(f | {"signature": "!!"}), "base64url"),
        (lambda f: json.dumps(f | {"public_key": "AAAA"}), "32 bytes"),
        (lambda f: " " * 20_000, "at most"),
    ],
)
def test_unreadable_descriptor_says_what_is_wrong(
    identity: NodeIdentity, change: Any, message: str
) -> None:
    fields = json.loads(identity.descriptor().to_json())
    with pytest.raises(InvalidInput, match=message):
        parse_descriptor(change(fields))


@pytest.mark.parametrize(
    ("country", "url", "message"),
    [
        ("XXX", "https://a.example", "alpha-3"),
        ("ES", "https://a.example", "alpha-3"),
        ("ESP", "ftp://a.example", "http"),
        ("ESP", "https://", "http"),
        ("ESP", "https://user:pw@a.example", "password"),
        ("ESP", "https://a.example/?q=1", "query"),
        ("ESP", "https://a.example:99999", "port"),
        ("ESP", "https://a.example/ x", "spaces"),
    ],
)
def test_bad_country_or_url_is_refused(country: str, url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        NodeIdentity.generate(country=country, name="Node", url=url)


def test_bad_name_is_refused() -> None:
    for name in ["", "   ", "x" * 201, "tab\x00null"]:
        with pytest.raises(InvalidInput, match="name"):
            NodeIdentity.generate(country="PHL", name=name, url="https://a.example")


def test_node_url_keeps_port_and_path_prefix() -> None:
    assert validate_node_url("http://10.0.0.5:8080/tipnet/") == "http://10.0.0.5:8080/tipnet"
    assert validate_node_url("https://[::1]:8443") == "https://[::1]:8443"


def test_private_key_pem_round_trips_with_and_without_passphrase(identity: NodeIdentity) -> None:
    plain = identity.private_key_pem()
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert _raw(load_private_key(plain)) == identity.public_key_bytes
    sealed = identity.private_key_pem(passphrase="correct horse")
    assert sealed.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = load_identity(
        sealed,
        country=identity.country,
        name=identity.name,
        url=identity.url,
        created=identity.created,
        passphrase="correct horse",
    )
    assert loaded.descriptor() == identity.descriptor()  # Ed25519 signatures are deterministic
    with pytest.raises(InvalidInput, match="wrong passphrase"):
        load_private_key(sealed, "wrong horse")
    with pytest.raises(InvalidInput, match="could not be read"):
        load_private_key(sealed)
    with pytest.raises(InvalidInput, match="PEM"):
        load_private_key(b"not a key")
    with pytest.raises(InvalidInput, match="empty"):
        private_key_to_pem(identity.private_key, "")


def test_descriptor_key_verifies_the_nodes_signed_requests(identity: NodeIdentity) -> None:
    peers = {identity.node_id: parse_descriptor(identity.descriptor().to_json())}
    url = "https://node-b.example/api/v1/federation/ping"
    headers = sign_request("POST", url, {}, b"{}", identity.private_key, identity.node_id)

    def resolve(key_id: str) -> Ed25519PublicKey | None:
        return peers[key_id].public_key if key_id in peers else None

    verified = verify_request("POST", url, headers, b"{}", resolve, MemoryReplayGuard())
    assert verified.key_id == identity.node_id


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _signed(fields: dict[str, Any], key: Ed25519PrivateKey) -> str:
    unsigned = {name: value for name, value in fields.items() if name != "signature"}
    signature = key.sign(rfc8785.dumps(unsigned))
    return json.dumps(
        unsigned | {"signature": base64.urlsafe_b64encode(signature).decode().rstrip("=")}
    )
