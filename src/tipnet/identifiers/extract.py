"""Public entry point: every selector in a report's structured fields and free texts.

``fields`` maps a *field path* to the values the platform put there. The kind of selector is the
key's last dotted segment, singular or plural, so a caller passes its report's lists as they are::

    extract_selectors(
        fields={
            "internet.phones": report.phones,         # kind phone; sources "internet.phones[0]"...
            "internet.urls": report.urls,             # kind url (also yields domain and handle)
            "reported_person.emails": person.emails,  # kind email
            "payment.wallets": report.wallets,        # kind wallet ("chain:address" also works)
            "handle": ["instagram:some.user"],        # kind handle (see ``platform``)
            "domains": [...],                         # kind domain
        },
        handles=[("internet.accounts[0].handle", "@some.user", "IG")],
        texts={"incident.summary": report.summary},
        region_hints=["ESP", "FRA"],                  # ISO 3166-1 alpha-3 jurisdictions
        platform="instagram",                         # default platform for handles
    )

A key's last segment may also end in ``_<kind>`` ("account_phones"); any other key is a
programming error and raises ``ValueError``. A value is either a string, whose source becomes
``"<key>[<i>]"``, or a ``(source, value)`` pair when the caller gathers one kind from several
places. ``handles`` carries ``(source, handle, platform or None)`` triples for accounts whose
platform differs per account; ``None`` falls back to ``platform``.

Structured values are what the platform asserted, so a value that cannot be normalised becomes a
:class:`Problem` to report back. Free text is only mined: candidates that do not validate are not
selectors and not problems. Selectors are deduplicated by ``(kind, value)``, keeping the first:
fields, then handles, then texts, each in the order given. Free text never raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from tipnet.identifiers.deobfuscate import find_phones, normalize_obfuscated_phone
from tipnet.identifiers.handles import find_handles, handle_from_url, normalize_handle
from tipnet.identifiers.selectors import (
    ExtractionResult,
    Found,
    Problem,
    Selector,
    SelectorKind,
    SelectorRejected,
)
from tipnet.identifiers.wallets import find_wallets, normalize_wallet
from tipnet.identifiers.web import (
    find_emails,
    find_urls,
    normalize_domain,
    normalize_email,
    normalize_url,
)

_NO_FIELDS: Mapping[str, Sequence[str]] = MappingProxyType({})
_NO_TEXTS: Mapping[str, str] = MappingProxyType({})
_KIND_NAMES = {kind.value: kind for kind in SelectorKind} | {
    f"{kind.value}s": kind for kind in SelectorKind
}
_MASK = "\x00"  # ends any phone run and matches no selector pattern


def field_kind(key: str) -> SelectorKind:
    """The selector kind a field path holds: ``"internet.phones"`` -> ``SelectorKind.PHONE``."""
    last = key.rsplit(".", 1)[-1].strip().lower()
    kind = _KIND_NAMES.get(last) or _KIND_NAMES.get(last.rsplit("_", 1)[-1])
    if kind is None:
        names = ", ".join(sorted(_KIND_NAMES))
        raise ValueError(f"field {key!r} must end in one of: {names}")
    return kind


def extract_selectors(
    *,
    fields: Mapping[str, Sequence[str | tuple[str, str]]] = _NO_FIELDS,
    handles: Sequence[tuple[str, str, str | None]] = (),
    texts: Mapping[str, str] = _NO_TEXTS,
    region_hints: Sequence[str] = (),
    platform: str | None = None,
) -> ExtractionResult:
    """Selectors from structured ``fields`` and ``handles`` and free ``texts``; see the module
    docstring for their shapes."""
    kinds = {key: field_kind(key) for key in fields}  # fail fast on a bad key, before any work
    selectors: dict[tuple[SelectorKind, str], Selector] = {}
    problems: list[Problem] = []

    def structured(kind: SelectorKind, source: str, value: object, on: str | None) -> None:
        try:
            found = _structured(kind, value, source, region_hints, on)
        except SelectorRejected as err:
            problems.append(Problem(source, str(value), err.message, kind))
            return
        except ValueError as err:  # a library choking on odd input must not fail the intake
            message = f"{value!r} could not be read as a {kind.value}: {err}"
            problems.append(Problem(source, str(value), message, kind))
            return
        for sel in found:
            selectors.setdefault(sel.key, sel)

    for key, values in fields.items():
        for index, item in enumerate([values] if isinstance(values, str) else values):
            source, value = item if isinstance(item, tuple) else (f"{key}[{index}]", item)
            structured(kinds[key], source, value, platform)
    for source, handle, handle_platform in handles:
        structured(SelectorKind.HANDLE, source, handle, handle_platform or platform)
    for source, text in texts.items():
        if isinstance(text, str):
            for sel in _free_text(text, source, region_hints, platform):
                selectors.setdefault(sel.key, sel)
    return ExtractionResult(list(selectors.values()), problems)


def _structured(
    kind: SelectorKind, value: object, source: str, hints: Sequence[str], platform: str | None
) -> list[Selector]:
    if not isinstance(value, str) or not value.strip():
        raise SelectorRejected(kind, str(value), f"empty or non-text {kind.value} value: {value!r}")
    if kind is SelectorKind.PHONE:
        return [normalize_obfuscated_phone(value, hints, source=source)]
    if kind is SelectorKind.EMAIL:
        return [normalize_email(value, source=source)]
    if kind is SelectorKind.URL:
        url, domain = normalize_url(value, source=source)
        handle = handle_from_url(url.value, raw=value, source=source)
        return [sel for sel in (url, domain, handle) if sel is not None]
    if kind is SelectorKind.DOMAIN:
        return [normalize_domain(value, source=source)]
    if kind is SelectorKind.HANDLE:
        return [normalize_handle(value, platform, source=source)]
    return [normalize_wallet(value, source=source)]


def _free_text(
    text: str, source: str, hints: Sequence[str], platform: str | None
) -> list[Selector]:
    """Mine one text. Emails go before URLs (an address contains a domain); wallets are read from
    the original text (an explorer URL contains one); handles and phones only from what is left,
    so digits inside a URL, an address or a wallet never become a phone."""
    found = find_emails(text, source=source)
    found += find_urls(_masked(text, found), source=source)
    found += find_wallets(text, source=source)
    rest = _masked(text, found)
    if platform:
        handles = find_handles(rest, platform, source=source)
        found += handles
        rest = _masked(rest, handles)
    found += find_phones(rest, hints, source=source)
    found.sort(key=lambda hit: hit.start)
    return [hit.selector for hit in found]


def _masked(text: str, found: Sequence[Found]) -> str:
    if not found:
        return text
    chars = list(text)
    for hit in found:
        chars[hit.start : hit.end] = _MASK * (hit.end - hit.start)
    return "".join(chars)
