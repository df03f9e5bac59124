"""FastAPI dependencies shared by every router: session, current principal, permission checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.config import Settings
from tipnet.crypto import Keyring
from tipnet.errors import NotAuthenticated, PermissionDenied

bearer = HTTPBearer(auto_error=False, description="API token issued by `tipnet admin create-token`")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the route returns and rolls back on error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session, session.begin():
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
PageLimit = Annotated[int, Query(ge=1, le=500, description="Items per page (at most 500).")]
PageOffset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip.")]
KeyringDep = Annotated[Keyring, Depends(get_keyring)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise NotAuthenticated("send an API token as 'Authorization: Bearer tip_...'")
    remote = request.client.host if request.client else None
    cache: auth_service.PrincipalCache = request.app.state.principal_cache
    cached = cache.get(credentials.credentials)
    if cached is not None:
        return dataclasses.replace(cached, remote_addr=remote)
    factory: sessionmaker[Session] = request.app.state.session_factory

    def lookup() -> Principal:
        with factory() as session:
            return auth_service.authenticate(
                session=session, token=credentials.credentials, remote_addr=remote
            )

    principal = await run_in_threadpool(lookup)
    cache.put(credentials.credentials, principal)
    return principal


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
