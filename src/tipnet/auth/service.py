"""Organisations, users and API tokens: plain functions, no HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.auth.models import ApiToken, Organisation, User
from tipnet.auth.permissions import OrganisationKind, Permission, Role, role_has
from tipnet.db import utcnow
from tipnet.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

TOKEN_PREFIX = "tip_"
MAX_TOKEN_LENGTH = 200  # issued tokens are 47 characters; longer ones are not worth hashing


class TokenRefused(NotAuthenticated):
    """A token that does not authenticate, with a reason fit for the audit log (never the
    token): malformed, unknown, revoked, expired, user_deactivated."""

    def __init__(self, message: str, reason: str, token_id: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.token_id = token_id


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    username: str
    organisation_id: int
    role: Role
    remote_addr: str | None = None
    token_id: int | None = None  # the API token it authenticated with (None: not by token)

    def can(self, permission: Permission) -> bool:
        return role_has(self.role, permission)

    @property
    def actor(self) -> Actor:
        return Actor(f"user:{self.username}", self.organisation_id, self.remote_addr)


@dataclass(frozen=True)
class IssuedToken:
    token_id: int
    token: str  # shown once, never stored


def create_organisation(
    *, session: Session, actor: Actor, name: str, kind: OrganisationKind, country: str | None
) -> Organisation:
    if session.scalar(select(Organisation).where(Organisation.name == name)) is not None:
        raise Conflict(f"an organisation named {name!r} already exists")
    organisation = Organisation(name=name, kind=kind.value, country=country)
    session.add(organisation)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=str(organisation.id),
        details={"name": name, "kind": kind.value, "country": country},
    )
    return organisation


def create_user(
    *, session: Session, actor: Actor, organisation_name: str, username: str, role: Role
) -> User:
    organisation = get_organisation_by_name(session=session, name=organisation_name)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"a user named {username!r} already exists")
    user = User(organisation_id=organisation.id, username=username, role=role.value)
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=str(user.id),
        details={"username": username, "role": role.value, "organisation": organisation_name},
    )
    return user


def issue_token(
    *,
    session: Session,
    actor: Actor,
    username: str,
    name: str,
    expires_at: dt.datetime | None = None,
) -> IssuedToken:
    user = get_user_by_name(session=session, username=username)
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=token[:12],
        token_sha256=_token_hash(token),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="token.issue",
        object_type="api_token",
        object_id=str(row.id),
        details={"username": username, "name": name},
    )
    return IssuedToken(row.id, token)


def revoke_token(*, session: Session, actor: Actor, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token with id {token_id}; list them with `tipnet admin tokens`")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session=session,
            actor=actor,
            action="token.revoke",
            object_type="api_token",
            object_id=str(token_id),
        )
    return row


def deactivate_user(*, session: Session, actor: Actor, username: str) -> User:
    user = get_user_by_name(session=session, username=username)
    user.active = False
    audit.record(
        session=session,
        actor=actor,
        action="user.deactivate",
        object_type="user",
        object_id=str(user.id),
    )
    return user


def list_tokens(*, session: Session) -> list[tuple[ApiToken, User]]:
    rows = session.execute(select(ApiToken, User).join(User).order_by(ApiToken.id)).all()
    return [(token, user) for token, user in rows]


def authenticate(
    *, session: Session | Connection, token: str, remote_addr: str | None
) -> Principal:
    """The caller behind ``token``, looked up on every request so that a revocation, a
    deactivation or an expiry holds at once on every worker. One indexed query of plain
    columns (no ORM objects; on an autocommit connection from the API, one round trip): as
    cheap as checking whether a cached answer is still good would be."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise TokenRefused("malformed API token; it starts with 'tip_'", "malformed")
    found = session.execute(
        select(
            ApiToken.id,
            ApiToken.revoked_at,
            ApiToken.expires_at,
            User.id,
            User.username,
            User.organisation_id,
            User.role,
            User.active,
        )
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == _token_hash(token))
    ).one_or_none()
    if found is None:
        raise TokenRefused("unknown API token", "unknown")
    token_id, revoked_at, expires_at, user_id, username, organisation_id, role, active = found
    if revoked_at is not None:
        raise TokenRefused(
            "this API token was revoked; ask your node administrator", "revoked", token_id
        )
    if expires_at is not None and expires_at <= utcnow():
        raise TokenRefused(
            "this API token has expired; ask your node administrator", "expired", token_id
        )
    if not active:
        raise TokenRefused("this user is deactivated", "user_deactivated", token_id)
    return Principal(user_id, username, organisation_id, Role(role), remote_addr, token_id)


def valid_token_ids(*, session: Session, token_ids: Iterable[int]) -> set[int]:
    """Which of ``token_ids`` still authenticate now (not revoked, not expired, user active):
    checked in the transaction that stores what they submitted, so a revocation committed before
    it holds for that submission even when the token was checked earlier (see reports.writer)."""
    wanted = set(token_ids)
    if not wanted:
        return set()
    rows = session.execute(
        select(ApiToken.id, ApiToken.expires_at)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.id.in_(wanted), ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).all()
    now = utcnow()
    return {token_id for token_id, expires_at in rows if expires_at is None or expires_at > now}


def get_organisation_by_name(*, session: Session, name: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        raise NotFound(f"no organisation named {name!r}; create it with `tipnet admin create-org`")
    return organisation


def get_user_by_name(*, session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}; create it with `tipnet admin create-user`")
    return user


def parse_country(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) != 3 or not value.isalpha():
        raise InvalidInput(f"{value!r} is not an ISO 3166 alpha-3 country code (e.g. ESP, NGA)")
    return value.upper()


def _token_hash(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain hash is enough; no slow KDF needed.
    return hashlib.sha256(token.encode()).hexdigest()
