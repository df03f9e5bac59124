"""FastAPI dependencies shared by every router: sessions, current principal, permission checks."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from tipnet.audit import service as audit
from tipnet.audit.service import Event
from tipnet.auth import service as auth_service
from tipnet.auth.failures import AuthFailures
from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.config import Settings
from tipnet.crypto import Keyring
from tipnet.db import make_read_session_factory, single_read_engine, transaction
from tipnet.errors import NotAuthenticated, PermissionDenied, Unavailable

logger = logging.getLogger(__name__)
_state_lock = threading.Lock()

INTAKE_TOKEN_SECONDS = 60.0

bearer = HTTPBearer(auto_error=False, description="API token issued by `tipnet admin create-token`")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def get_session(request: Request) -> Iterator[Session]:
    """A write session (``BEGIN IMMEDIATE`` on SQLite). Its transaction commits when the route
    returns and before the response is sent (``scope="function"``), so an audit row for a read
    of personal data is stored before that data leaves the node; on error it rolls back."""
    yield from _unit_of_work(request.app.state.session_factory)


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for routes that write nothing, not even an audit row: it takes no write lock,
    so it answers while a long write (``tipnet link run``) holds one; writing through it fails."""
    yield from _unit_of_work(read_session_factory(request))


def read_session_factory(request: Request) -> sessionmaker[Session]:
    """The app's read-session factory, made on first use from the app's engine."""
    state = request.app.state
    factory: sessionmaker[Session] | None = getattr(state, "read_session_factory", None)
    if factory is None:  # two threads may both make one: harmless, both are equivalent
        factory = state.read_session_factory = make_read_session_factory(state.engine)
    return factory


def _unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        try:
            with session.begin():
                yield session
        except OperationalError as error:
            if "readonly database" in str(error.orig):
                raise  # a read route that writes: a bug to see, not a busy database
            # The database is down, or locked longer than the busy timeout: nothing was stored
            # and nothing was sent, so the caller may simply retry.
            raise Unavailable("the database is busy or unavailable; try again shortly") from error


# scope="function": the dependency's exit (the commit) runs before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
PageLimit = Annotated[int, Query(ge=1, le=500, description="Items per page (at most 500).")]
PageOffset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip.")]
KeyringDep = Annotated[Keyring, Depends(get_keyring)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from a token looked up on every request (a revocation holds at once on every
    worker). Failures are counted per address: past the limit, 429 before any lookup (except for
    tokens that recently worked); failures are audited in aggregate (see
    :mod:`tipnet.auth.failures`)."""
    if credentials is None:
        raise NotAuthenticated("send an API token as 'Authorization: Bearer tip_...'")
    remote = request.client.host if request.client else None
    failures = auth_failures(request)
    wait = failures.retry_after(remote, credentials.credentials)
    if wait:
        raise HTTPException(
            status_code=429,
            detail="too many failed authentications from your address; "
            f"try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    lookups = _lookup_engine(request)
    try:
        principal = await run_in_threadpool(_authenticate, lookups, credentials.credentials, remote)
    except auth_service.TokenRefused as refused:
        events = failures.failed(remote, refused.reason, refused.token_id)
        if events:
            await run_in_threadpool(_audit, request.app.state.session_factory, events)
        raise
    failures.succeeded(credentials.credentials)
    return principal


def auth_failures(request: Request) -> AuthFailures:
    """This worker's failure counts, made on first use (the app factory stays unaware)."""
    state = request.app.state
    with _state_lock:
        if getattr(state, "auth_failures", None) is None:
            state.auth_failures = AuthFailures()
    found: AuthFailures = state.auth_failures
    return found


def flush_auth_failures(app: FastAPI, *, everything: bool = False) -> None:
    """Write the counts of failure windows that closed with no failure after them (all open
    counts with ``everything``, at shutdown). Blocking: call it from a thread."""
    failures: AuthFailures | None = getattr(app.state, "auth_failures", None)
    events = failures.flush(everything=everything) if failures is not None else []
    if events:
        _audit(app.state.session_factory, events)


def _lookup_engine(request: Request) -> Engine:
    state = request.app.state
    engine: Engine | None = getattr(state, "token_lookup_engine", None)
    if engine is None:
        engine = state.token_lookup_engine = single_read_engine(state.engine)
    return engine


def _authenticate(engine: Engine, token: str, remote: str | None) -> Principal:
    try:
        with engine.connect() as connection:
            return auth_service.authenticate(session=connection, token=token, remote_addr=remote)
    except OperationalError as error:
        raise Unavailable("the database is busy or unavailable; try again shortly") from error


def _audit(factory: sessionmaker[Session], events: list[Event]) -> None:
    try:
        with transaction(factory) as session:
            audit.record_many(session=session, events=events)
    except SQLAlchemyError:
        # The caller is refused either way; a failure to log it must not turn 401 into 500.
        logger.exception("could not audit %d failed authentication event(s)", len(events))


class IntakeTokens:
    """Tokens that authenticated on this worker in the last ``ttl`` seconds, for report intake
    only. Intake is the hot path (platforms file hundreds of reports a second), and a token
    lookup per report costs a database round trip and a hop to the thread pool. Trusting a
    recent lookup is safe there because the writer checks every submission's token again inside
    the transaction that stores it (:func:`tipnet.auth.service.valid_token_ids`): a token revoked,
    expired or deactivated before that commit gets 401 and nothing is stored. Reads never use
    this: they look the token up every time."""

    def __init__(self, ttl: float = INTAKE_TOKEN_SECONDS, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(_token_key(token))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[_token_key(token)] = (time.monotonic() + self.ttl, principal)

    def forget(self, token_id: int | None) -> None:
        """Drop a token the writer found no longer valid."""
        with self._lock:
            for key, (_, principal) in list(self._entries.items()):
                if principal.token_id == token_id:
                    del self._entries[key]


def intake_tokens(request: Request) -> IntakeTokens:
    state = request.app.state
    with _state_lock:
        if getattr(state, "intake_tokens", None) is None:
            state.intake_tokens = IntakeTokens()
    found: IntakeTokens = state.intake_tokens
    return found


async def get_intake_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller of an intake route: a recent lookup of the same token is reused, because the
    writer checks the token again when it stores the report (see :class:`IntakeTokens`)."""
    if credentials is not None:
        recent = intake_tokens(request).get(credentials.credentials)
        if recent is not None:
            remote = request.client.host if request.client else None
            return dataclasses.replace(recent, remote_addr=remote)
    principal = await get_principal(request, credentials)
    if credentials is not None and principal.token_id is not None:
        intake_tokens(request).put(credentials.credentials, principal)
    return principal


def _token_key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Requires:
    """Route dependency: the caller must hold ``permission``; every non-public route has one."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    # async: a cheap check, not worth a hop to the thread pool on every request
    async def __call__(self, principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.can(self.permission):
            raise PermissionDenied(
                f"role '{principal.role}' may not do this (needs '{self.permission}')"
            )
        return principal


class RequiresForIntake(Requires):
    """:class:`Requires` for the report intake routes, whose tokens are checked again at store
    time (see :class:`IntakeTokens`)."""

    async def __call__(
        self, principal: Annotated[Principal, Depends(get_intake_principal)]
    ) -> Principal:
        return await super().__call__(principal)
