"""Value types shared by the identifier modules: selectors, rejections and extraction results.

A *selector* is an identifier that can link two reports: a phone number, an email address, a
URL, a registered domain, a platform handle or a crypto wallet. Its ``value`` is canonical, so
two reports that wrote the same phone differently end up with equal values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tipnet.errors import InvalidInput


class SelectorKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    DOMAIN = "domain"
    HANDLE = "handle"
    WALLET = "wallet"


@dataclass(frozen=True, slots=True)
class Selector:
    """One normalised identifier.

    ``value`` is canonical per kind: E.164 for phones (``+34612345678``), the lowercased address
    for emails, the canonical URL, the registered domain, ``platform:handle`` for handles and
    ``chain:address`` for wallets. ``raw`` is the text as seen, ``source`` names where it was seen
    (e.g. ``"internet.phones[0]"`` or ``"incident.summary"``) and ``detail`` carries small facts
    about it (``{"region": "ES", "obfuscated": "true"}``). ``detail`` takes part in equality but
    not in the hash, so selectors can live in sets and be dict keys.
    """

    kind: SelectorKind
    value: str
    raw: str
    source: str = ""
    detail: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def key(self) -> tuple[SelectorKind, str]:
        """What two selectors must share to denote the same identifier."""
        return (self.kind, self.value)


class SelectorRejected(InvalidInput, ValueError):
    """A value that cannot be normalised into a selector; the message says what to fix.

    It is an ``InvalidInput`` (HTTP 422 at the API) and a ``ValueError`` for plain callers.
    """

    def __init__(self, kind: SelectorKind, raw: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.raw = raw

    def __reduce__(self) -> tuple[type[SelectorRejected], tuple[SelectorKind, str, str]]:
        # Exceptions pickle their args; ours differ, and Dask ships exceptions between processes.
        return (type(self), (self.kind, self.raw, self.message))


@dataclass(frozen=True, slots=True)
class Found:
    """A selector found in free text, with the span ``text[start:end]`` it came from."""

    start: int
    end: int
    selector: Selector


@dataclass(frozen=True, slots=True)
class Problem:
    """A structured value the platform asserted but that could not be normalised."""

    source: str
    raw: str
    message: str
    kind: SelectorKind | None = None


@dataclass(frozen=True, slots=True)
class ExtractionResult:
    selectors: list[Selector] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def values(self, kind: SelectorKind) -> list[str]:
        """Canonical values of one kind, in order of first appearance."""
        return [s.value for s in self.selectors if s.kind is kind]


def quoted(raw: str, limit: int = 80) -> str:
    """``raw`` as it should appear in an error message: repr-quoted and cut to ``limit``."""
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")
