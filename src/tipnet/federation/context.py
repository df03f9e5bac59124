"""What the federation's services need beside a session: the session factory (they run their
own short transactions around network calls), the keyring, this node's identity, and how to
reach peers (a transport only tests replace), and where peers' health records go."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session, sessionmaker

from tipnet.crypto import Keyring
from tipnet.federation.client import DEFAULT_RETRIES, DEFAULT_TIMEOUT, FederationClient
from tipnet.federation.health import HealthRecorder
from tipnet.federation.node import IdentityCache, LocalIdentity


@dataclass(frozen=True)
class FederationContext:
    session_factory: sessionmaker[Session]
    keyring: Keyring
    identities: IdentityCache
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    transport: httpx.AsyncBaseTransport | None = None
    # Peers' health records; made from the session factory unless given.
    health: HealthRecorder = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.health is None:
            object.__setattr__(self, "health", HealthRecorder(self.session_factory, self.keyring))

    @classmethod
    def of(
        cls, session_factory: sessionmaker[Session], keyring: Keyring, **options: object
    ) -> FederationContext:
        return cls(session_factory, keyring, IdentityCache(session_factory, keyring), **options)  # type: ignore[arg-type]

    @property
    def local(self) -> LocalIdentity:
        return self.identities.get()

    def client(self) -> FederationClient:
        return FederationClient(
            self.local,
            timeout=self.timeout,
            retries=self.retries,
            transport=self.transport,
            health=self.health,
        )
