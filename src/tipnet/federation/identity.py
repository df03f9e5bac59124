"""A node's identity (country, name, URL, Ed25519 key) and the public descriptor peers exchange.

The descriptor is JSON that an administrator hands to a peer out of band (a file, e-mail, a
diplomatic bag). It is self-signed over its RFC 8785 canonical form, so nothing in it can be
changed without the node's private key; the node id is derived from the public key, so it cannot
be claimed by another key either. Self-signing proves the descriptor is whole, not whose it is:
the two administrators compare the short :func:`fingerprint` over the phone before trusting it.

A node that changes its key (a new node id, since the id is derived from the key) hands its
peers a :func:`rotation_statement`: its new descriptor, signed as a whole by the retiring key.
A peer that trusts the old key can trust the new one from it, with no call to make.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_core_ed25519_is_valid_point

from tipnet.countries import validate_alpha3
from tipnet.errors import InvalidInput

DESCRIPTOR_TYPE = "tipnet-node-descriptor"
DESCRIPTOR_VERSION = 1
DESCRIPTOR_FIELDS = (
    "type",
    "version",
    "node_id",
    "country",
    "name",
    "url",
    "public_key",
    "created",
    "signature",
)
ROTATION_TYPE = "tipnet-key-rotation"
ROTATION_FIELDS = (
    "type",
    "version",
    "previous_node_id",
    "previous_public_key",
    "descriptor",
    "rotated",
    "signature",
)
MAX_DESCRIPTOR_CHARS = 16_384
MAX_NAME_CHARS = 200
NODE_ID_CHARS = 16  # 80 bits of SHA-256: a second key with the same id costs 2**80 tries


@dataclass(frozen=True, slots=True)
class PeerDescriptor:
    """A node's public, self-signed description of itself."""

    node_id: str
    country: str
    name: str
    url: str
    public_key_bytes: bytes  # raw 32-byte Ed25519 public key
    created: datetime
    signature: bytes

    @property
    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key_bytes)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key_bytes)

    def to_json(self) -> str:
        """The descriptor as a file to hand over; any JSON layout verifies the same."""
        return json.dumps(_signed_fields(self) | {"signature": _b64(self.signature)}, indent=2)


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """This node: who it is, where peers reach it, and the key it signs with."""

    country: str
    name: str
    url: str
    private_key: Ed25519PrivateKey
    created: datetime

    @classmethod
    def generate(
        cls, *, country: str, name: str, url: str, now: datetime | None = None
    ) -> NodeIdentity:
        """A new identity with a fresh key; country, name and URL are validated."""
        return cls.from_private_key(
            Ed25519PrivateKey.generate(), country=country, name=name, url=url, created=now
        )

    @classmethod
    def from_private_key(
        cls,
        private_key: Ed25519PrivateKey,
        *,
        country: str,
        name: str,
        url: str,
        created: datetime | None = None,
    ) -> NodeIdentity:
        created = datetime.now(UTC) if created is None else created
        if created.tzinfo is None:
            raise InvalidInput("the identity's creation time needs a time zone (use UTC)")
        return cls(
            country=_valid_country(country),
            name=_valid_name(name),
            url=validate_node_url(url),
            private_key=private_key,
            created=created.astimezone(UTC).replace(microsecond=0),
        )

    @property
    def public_key_bytes(self) -> bytes:
        return _raw_public_key(self.private_key.public_key())

    @property
    def node_id(self) -> str:
        """The node's id in the federation; also the ``keyid`` of its HTTP signatures."""
        return node_id_for(self.public_key_bytes)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key_bytes)

    def descriptor(self) -> PeerDescriptor:
        """The public descriptor, signed with this node's key."""
        unsigned = PeerDescriptor(
            node_id=self.node_id,
            country=self.country,
            name=self.name,
            url=self.url,
            public_key_bytes=self.public_key_bytes,
            created=self.created,
            signature=b"",
        )
        signature = self.private_key.sign(rfc8785.dumps(_signed_fields(unsigned)))
        return replace(unsigned, signature=signature)

    def private_key_pem(self, passphrase: str | None = None) -> bytes:
        """PKCS#8 PEM of the private key for storage, encrypted when a passphrase is given."""
        return private_key_to_pem(self.private_key, passphrase)


def parse_descriptor(text: str | bytes) -> PeerDescriptor:
    """Check a descriptor received out of band; InvalidInput says what is wrong with it."""
    fields = _load_object(text)
    if fields.get("type") != DESCRIPTOR_TYPE or fields.get("version") != DESCRIPTOR_VERSION:
        raise InvalidInput(
            f"this is not a version {DESCRIPTOR_VERSION} tipnet node descriptor "
            f'(expected "type": "{DESCRIPTOR_TYPE}", "version": {DESCRIPTOR_VERSION})'
        )
    public_key_bytes = _unb64(fields["public_key"], "public_key", 32)
    if not crypto_core_ed25519_is_valid_point(public_key_bytes):
        # A small-order key (all zeros, say) "verifies" forged signatures: never accept one.
        raise InvalidInput("the descriptor's public_key is not a valid Ed25519 public key")
    signature = _unb64(fields["signature"], "signature", 64)
    signed = {name: value for name, value in fields.items() if name != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(public_key_bytes).verify(
            signature, _canonical_json(signed, "descriptor")
        )
    except InvalidSignature as error:
        raise InvalidInput(
            "the descriptor's signature does not match its contents: it was altered after "
            "signing; ask the peer for a fresh copy"
        ) from error
    if fields["node_id"] != node_id_for(public_key_bytes):
        raise InvalidInput("the descriptor's node_id is not derived from its public_key")
    return PeerDescriptor(
        node_id=fields["node_id"],
        country=_canonical(fields, "country", _valid_country),
        name=_canonical(fields, "name", _valid_name),
        url=_canonical(fields, "url", validate_node_url),
        public_key_bytes=public_key_bytes,
        created=_parse_time(fields["created"]),
        signature=signature,
    )


@dataclass(frozen=True, slots=True)
class RotationStatement:
    """A node's announcement that it now signs with a new key: the new descriptor (self-signed
    by the new key) and the retired key that vouches for it (its signature over the whole)."""

    previous_node_id: str
    previous_public_key_bytes: bytes
    descriptor: PeerDescriptor
    rotated: datetime


def rotation_statement(previous: NodeIdentity, new: NodeIdentity) -> str:
    """The statement peers need to trust ``new``: signed by both keys (the new one signs the
    descriptor inside it, the previous one the whole), so neither key alone can forge it."""
    if previous.public_key_bytes == new.public_key_bytes:
        raise InvalidInput("a key rotation needs a new key")
    fields: dict[str, Any] = {
        "type": ROTATION_TYPE,
        "version": DESCRIPTOR_VERSION,
        "previous_node_id": previous.node_id,
        "previous_public_key": _b64(previous.public_key_bytes),
        "descriptor": json.loads(new.descriptor().to_json()),
        "rotated": new.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signature = previous.private_key.sign(rfc8785.dumps(fields))
    return json.dumps(fields | {"signature": _b64(signature)}, indent=2)


def _canonical_json(fields: dict[str, Any], what: str) -> bytes:
    """RFC 8785 bytes of fields received from outside; text it cannot encode (a lone UTF-16
    surrogate, say) is a refusal, not a crash."""
    try:
        return rfc8785.dumps(fields)
    except ValueError as error:  # CanonicalizationError, UnicodeEncodeError
        raise InvalidInput(f"the {what} holds text that is not valid Unicode: refused") from error


def parse_rotation_statement(text: str | bytes) -> RotationStatement:
    """Check a rotation statement's form and both signatures. Whether its previous key is the
    one registered for that peer is for the caller to check: only then does it vouch."""
    if len(text) > 2 * MAX_DESCRIPTOR_CHARS:
        raise InvalidInput(f"a rotation statement is at most {2 * MAX_DESCRIPTOR_CHARS} characters")
    try:
        fields = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the rotation statement is not valid JSON: {error}") from error
    if not isinstance(fields, dict) or fields.get("type") != ROTATION_TYPE:
        raise InvalidInput(f'this is not a key rotation statement ("type": "{ROTATION_TYPE}")')
    if sorted(fields) != sorted(ROTATION_FIELDS) or fields.get("version") != DESCRIPTOR_VERSION:
        raise InvalidInput(
            f"a version {DESCRIPTOR_VERSION} rotation statement has the fields "
            f"{', '.join(ROTATION_FIELDS)}"
        )
    previous_key = _unb64(_text(fields, "previous_public_key"), "previous_public_key", 32)
    signature = _unb64(_text(fields, "signature"), "signature", 64)
    if not crypto_core_ed25519_is_valid_point(previous_key):
        raise InvalidInput("the statement's previous_public_key is not a valid Ed25519 key")
    if fields["previous_node_id"] != node_id_for(previous_key):
        raise InvalidInput("the statement's previous_node_id is not derived from its key")
    signed = {name: value for name, value in fields.items() if name != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(previous_key).verify(
            signature, _canonical_json(signed, "rotation statement")
        )
    except InvalidSignature as error:
        raise InvalidInput(
            "the rotation statement is not signed by the previous key: refused"
        ) from error
    descriptor = parse_descriptor(json.dumps(fields["descriptor"]))
    if descriptor.public_key_bytes == previous_key:
        raise InvalidInput("the rotation statement names the same key twice")
    return RotationStatement(
        fields["previous_node_id"], previous_key, descriptor, _parse_time(_text(fields, "rotated"))
    )


def node_id_for(public_key_bytes: bytes) -> str:
    """``base32(sha256(public key))``, first 16 characters, lowercase."""
    digest = hashlib.sha256(public_key_bytes).digest()
    return base64.b32encode(digest).decode("ascii")[:NODE_ID_CHARS].lower()


def fingerprint(public_key_bytes: bytes) -> str:
    """``SHA256:`` and the unpadded base64 of the key's SHA-256, for people to compare (like
    SSH's, but over the raw key, so it differs from what ``ssh-keygen`` would print)."""
    digest = hashlib.sha256(public_key_bytes).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def validate_node_url(url: str) -> str:
    """The base URL peers use to reach a node: http(s), a host, no credentials, query or
    fragment; lowercase scheme and host, no trailing slash."""
    if not isinstance(url, str) or not url.isascii() or any(c.isspace() for c in url):
        raise InvalidInput(f"{url!r} is not a URL: use ASCII with no spaces (punycode hosts)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{url!r} must not contain a user name or password")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise InvalidInput(f"{url!r} is a base URL: it must not have a query or fragment")
    try:
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"{url!r} has an invalid port") from error
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: str | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the passphrase (the best scheme ``cryptography`` offers)."""
    if passphrase == "":
        raise InvalidInput("the passphrase is empty: give one, or none for an unencrypted key")
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if passphrase is None
        else serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key(pem: bytes, passphrase: str | None = None) -> Ed25519PrivateKey:
    """The node key back from :func:`private_key_to_pem`; InvalidInput on a wrong passphrase."""
    password = None if passphrase is None else passphrase.encode("utf-8")
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except TypeError as error:  # encrypted without a passphrase, or the reverse
        raise InvalidInput(f"the node key could not be read: {error}") from error
    except ValueError as error:
        raise InvalidInput(
            "the node key could not be read: wrong passphrase or not a PEM private key"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"the node key must be Ed25519, not {type(key).__name__}")
    return key


def load_identity(
    pem: bytes,
    *,
    country: str,
    name: str,
    url: str,
    created: datetime,
    passphrase: str | None = None,
) -> NodeIdentity:
    """A stored identity: its key PEM plus the settings kept beside it."""
    key = load_private_key(pem, passphrase)
    return NodeIdentity.from_private_key(key, country=country, name=name, url=url, created=created)


# --- helpers ---------------------------------------------------------------------------------


def _signed_fields(descriptor: PeerDescriptor) -> dict[str, Any]:
    return {
        "type": DESCRIPTOR_TYPE,
        "version": DESCRIPTOR_VERSION,
        "node_id": descriptor.node_id,
        "country": descriptor.country,
        "name": descriptor.name,
        "url": descriptor.url,
        "public_key": _b64(descriptor.public_key_bytes),
        "created": descriptor.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _load_object(text: str | bytes) -> dict[str, Any]:
    if len(text) > MAX_DESCRIPTOR_CHARS:
        raise InvalidInput(f"a descriptor is at most {MAX_DESCRIPTOR_CHARS} characters")
    try:
        fields = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(f"the descriptor is not valid JSON: {error}") from error
    if not isinstance(fields, dict):
        raise InvalidInput("the descriptor must be a JSON object")
    missing = [name for name in DESCRIPTOR_FIELDS if name not in fields]
    unknown = sorted(set(fields) - set(DESCRIPTOR_FIELDS))
    if missing or unknown:
        raise InvalidInput(f"descriptor fields missing: {missing}; unknown: {unknown}")
    for name in DESCRIPTOR_FIELDS:
        expected = int if name == "version" else str
        if type(fields[name]) is not expected:
            raise InvalidInput(f"descriptor field {name!r} must be a {expected.__name__}")
    return fields


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields[name]
    if not isinstance(value, str):
        raise InvalidInput(f"field {name!r} must be a string")
    return value


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Two values for one field could be read differently by two parsers: refuse them."""
    names = [name for name, _ in pairs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"fields given twice: {duplicated}")
    return dict(pairs)


def _canonical(fields: dict[str, Any], name: str, validate: Callable[[str], str]) -> str:
    """A field as :meth:`NodeIdentity.descriptor` writes it: a descriptor that passes its
    signature check must still read back to the very fields that were signed."""
    value: str = fields[name]
    if validate(value) != value:
        raise InvalidInput(f"descriptor field {name!r} is not in canonical form: {value!r}")
    return value


def _valid_country(country: str) -> str:
    try:
        return validate_alpha3(country)
    except (ValueError, AttributeError) as error:
        raise InvalidInput(f"country: {error}") from error


def _valid_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_CHARS or not cleaned.isprintable():
        raise InvalidInput(f"the node name must be 1 to {MAX_NAME_CHARS} printable characters")
    return cleaned


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError as error:
        raise InvalidInput(f"created must look like 2024-05-01T12:00:00Z, not {text!r}") from error
    return moment.replace(tzinfo=UTC)


def _raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str, name: str, length: int) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(f"descriptor field {name!r} is not base64url") from error
    if len(data) != length or _b64(data) != text:
        raise InvalidInput(f"descriptor field {name!r} must be {length} bytes in base64url")
    return data
