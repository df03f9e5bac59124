"""Typed errors with messages a user can act on; the API maps them to HTTP statuses in one place."""

from __future__ import annotations


class TipnetError(Exception):
    """Base of every error tipnet raises on purpose."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TipnetError):
    status_code = 500


class NotFound(TipnetError):
    status_code = 404


class Conflict(TipnetError):
    status_code = 409


class InvalidInput(TipnetError):
    status_code = 422


class PermissionDenied(TipnetError):
    status_code = 403


class NotAuthenticated(TipnetError):
    status_code = 401


class Unavailable(TipnetError):
    """The node cannot do it right now (database down, overloaded); nothing was stored."""

    status_code = 503
