"""Why a signed message between nodes is refused: one class per reason, each with a short
``reason`` code for the audit log (see :mod:`.httpsig`, which raises them)."""

from __future__ import annotations

from tipnet.errors import NotAuthenticated, PermissionDenied, TipnetError


class SignatureRejected(TipnetError):
    """A signature check failed; ``reason`` is a short code for the audit log."""

    reason = "rejected"


class UnsignedMessage(SignatureRejected, NotAuthenticated):
    reason = "unsigned"


class MalformedSignature(SignatureRejected, NotAuthenticated):
    reason = "malformed"


class MissingComponent(SignatureRejected, NotAuthenticated):
    reason = "missing_component"


class UnknownKey(SignatureRejected, NotAuthenticated):
    reason = "unknown_key"


class BadSignature(SignatureRejected, NotAuthenticated):
    reason = "bad_signature"


class SignatureExpired(SignatureRejected, NotAuthenticated):
    reason = "expired"


class SignatureFromFuture(SignatureRejected, NotAuthenticated):
    reason = "from_future"


class DigestMismatch(SignatureRejected, NotAuthenticated):
    reason = "digest_mismatch"


class ReplayedMessage(SignatureRejected, PermissionDenied):
    """Authentic but already seen: the peer is known, this copy of its request is refused."""

    reason = "replayed"
