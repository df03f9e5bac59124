"""This node's federation identity, kept in the database: its Ed25519 signing key and the seed
of its OPRF keys, both encrypted with the node's Keyring, and the country, name and URL its
signed descriptor announces. Plain functions, no HTTP.

One OPRF key per selector kind, derived from the seed (RFC 9497 DeriveKeyPair with the kind as
``info``): a peer whose agreement does not cover a kind is refused evaluations under that
kind's key, and tokens of different kinds can never be compared.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.crypto import Keyring
from tipnet.errors import Conflict, InvalidInput, NotFound, TipnetError
from tipnet.federation import oprf, pprl
from tipnet.federation.identity import (
    NodeIdentity,
    PeerDescriptor,
    load_identity,
    rotation_statement,
)
from tipnet.federation.models import LOCAL_NODE_ID, LocalNode

SIGNING_KEY_CONTEXT = "federation.signing_key"
OPRF_SEED_CONTEXT = "federation.oprf_seed"
PPRL_SECRET_CONTEXT = "federation.pprl_secret"
CACHE_SECONDS = 10.0  # a server picks up a newly set federation secret within this time
OPRF_INFO_PREFIX = b"tipnet federation OPRF v1 kind="


class NodeNotInitialised(TipnetError):
    status_code = 409


@dataclass(frozen=True)
class LocalIdentity:
    """What this node signs and evaluates with, loaded and decrypted once."""

    identity: NodeIdentity
    oprf_seed: bytes = field(repr=False)
    pprl_secret: bytes | None = field(default=None, repr=False)
    _keys: dict[str, oprf.ServerKey] = field(default_factory=dict, repr=False, compare=False)

    @property
    def node_id(self) -> str:
        return self.identity.node_id

    def oprf_key(self, kind: str) -> oprf.ServerKey:
        """The OPRF key of one selector kind (derived once, then cached)."""
        key = self._keys.get(kind)
        if key is None:
            key = oprf.derive_server_key(self.oprf_seed, OPRF_INFO_PREFIX + kind.encode())
            self._keys[kind] = key
        return key


def init_node(
    *, session: Session, keyring: Keyring, country: str, name: str, url: str, actor: Actor
) -> PeerDescriptor:
    """Create this node's identity (once: a new key would make every peer distrust us)."""
    if session.get(LocalNode, LOCAL_NODE_ID) is not None:
        raise Conflict(
            "this node already has a federation identity; `tipnet node descriptor` prints it"
        )
    identity = NodeIdentity.generate(country=country, name=name, url=url)
    pem = identity.private_key_pem().decode("ascii")
    session.add(
        LocalNode(
            id=LOCAL_NODE_ID,
            country=identity.country,
            name=identity.name,
            url=identity.url,
            key_id=identity.node_id,
            signing_key_enc=keyring.encrypt(pem, context=SIGNING_KEY_CONTEXT),
            oprf_seed_enc=keyring.encrypt(
                os.urandom(oprf.SEED_BYTES).hex(), context=OPRF_SEED_CONTEXT
            ),
            created_at=identity.created,
        )
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="federation.node.init",
        object_type="node",
        object_id=identity.node_id,
        details={"country": identity.country, "name": identity.name, "url": identity.url},
    )
    return identity.descriptor()


def load(*, session: Session, keyring: Keyring) -> LocalIdentity:
    """This node's identity and OPRF seed, decrypted; a clear error before ``node init``."""
    row = session.get(LocalNode, LOCAL_NODE_ID)
    if row is None:
        raise NodeNotInitialised(
            "this node has no federation identity yet: run `tipnet node init --country ISO3 "
            "--name NAME --url URL`"
        )
    pem = keyring.decrypt(row.signing_key_enc, context=SIGNING_KEY_CONTEXT).encode("ascii")
    identity = load_identity(
        pem, country=row.country, name=row.name, url=row.url, created=row.created_at
    )
    seed = bytes.fromhex(keyring.decrypt(row.oprf_seed_enc, context=OPRF_SEED_CONTEXT))
    secret = keyring.decrypt_optional(row.pprl_secret_enc, context=PPRL_SECRET_CONTEXT)
    return LocalIdentity(identity, seed, bytes.fromhex(secret) if secret else None)


def rotate_key(*, session: Session, keyring: Keyring, actor: Actor) -> str:
    """Give this node a new signing key (and so a new node id) and return the rotation
    statement for its peers: the new descriptor vouched for by the old key, which is then
    retired (only the new key is stored). The statement is kept (see :func:`last_rotation`).

    Until a peer accepts the statement it refuses our requests (unknown key) and our answers;
    hand it to every peer at once. The OPRF keys stay, so the tokens peers hold stay valid."""
    row = session.get(LocalNode, LOCAL_NODE_ID)
    if row is None:
        raise NodeNotInitialised("run `tipnet node init` first")
    previous = load(session=session, keyring=keyring).identity
    new = NodeIdentity.generate(country=previous.country, name=previous.name, url=previous.url)
    statement = rotation_statement(previous, new)
    row.key_id, row.created_at = new.node_id, new.created
    row.signing_key_enc = keyring.encrypt(
        new.private_key_pem().decode("ascii"), context=SIGNING_KEY_CONTEXT
    )
    row.rotation_statement = statement
    audit.record(
        session=session,
        actor=actor,
        action="federation.node.rotate_key",
        object_type="node",
        object_id=new.node_id,
        details={"previous_node_id": previous.node_id, "fingerprint": new.fingerprint},
    )
    return statement


def last_rotation(*, session: Session) -> str:
    """The statement of this node's last key rotation, to hand to a peer again."""
    row = session.get(LocalNode, LOCAL_NODE_ID)
    if row is None or row.rotation_statement is None:
        raise NotFound("this node has never rotated its key")
    return row.rotation_statement


def set_pprl_secret(*, session: Session, keyring: Keyring, secret: bytes, actor: Actor) -> str:
    """Store the federation's secret for person encodings (every node of the federation holds
    the same one); returns its scheme fingerprint, which peers compare to check they agree."""
    row = session.get(LocalNode, LOCAL_NODE_ID)
    if row is None:
        raise NodeNotInitialised("run `tipnet node init` first")
    if len(secret) != pprl.SECRET_BYTES:
        raise InvalidInput(f"the federation secret is {pprl.SECRET_BYTES} bytes")
    row.pprl_secret_enc = keyring.encrypt(secret.hex(), context=PPRL_SECRET_CONTEXT)
    scheme = pprl.scheme_of(secret).hex()
    audit.record(
        session=session,
        actor=actor,
        action="federation.node.pprl_secret",
        object_type="node",
        object_id=row.key_id,
        details={"scheme": scheme},
    )
    return scheme


def descriptor(*, session: Session, keyring: Keyring) -> PeerDescriptor:
    return load(session=session, keyring=keyring).identity.descriptor()


class IdentityCache:
    """The decrypted identity, loaded on first use by a server process and kept for a few
    seconds: decrypting it for every signed request would be waste, and only the federation
    secret and, on a key rotation, the key ever change after creation."""

    def __init__(self, session_factory: sessionmaker[Session], keyring: Keyring) -> None:
        self._session_factory = session_factory
        self._keyring = keyring
        self._loaded: LocalIdentity | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> LocalIdentity:
        with self._lock:
            if self._loaded is None or time.monotonic() - self._loaded_at > CACHE_SECONDS:
                with self._session_factory() as session:
                    self._loaded = load(session=session, keyring=self._keyring)
                self._loaded_at = time.monotonic()
            return self._loaded
