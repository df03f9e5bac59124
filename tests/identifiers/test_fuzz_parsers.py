"""Property-based fuzzing of the selector parsers a stranger reaches through a report body:
phone de-obfuscation, phones, emails, URLs and domains, handles and wallets, free and fielded.

Free-text scanners must never raise: a report's summary is whatever a platform sent. The
``normalize_*`` functions read one structured value each and either return a selector or raise
``SelectorRejected`` (a 422 at the API, a reject line in bulk intake), nothing else; spans found
in text must point inside it. Scans of long adversarial text are H1's (linear-time tests).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzzing import any_text, fuzz_settings, hostile_text
from tipnet.identifiers import SelectorRejected, extract_selectors
from tipnet.identifiers.deobfuscate import (
    deobfuscate_phone,
    find_phone_candidates,
    find_phones,
    normalize_obfuscated_phone,
)
from tipnet.identifiers.handles import find_handles, handle_from_url, normalize_handle
from tipnet.identifiers.phones import normalize_phone
from tipnet.identifiers.selectors import Found, Selector
from tipnet.identifiers.wallets import find_wallets, normalize_wallet
from tipnet.identifiers.web import (
    find_emails,
    find_urls,
    normalize_domain,
    normalize_email,
    normalize_url,
    registered_domain,
)

PLATFORMS = st.sampled_from(["instagram", "x", "telegram", "IG", "tiktok", "", "nope", "\x00"])
REGIONS = st.lists(st.sampled_from(["ES", "ESP", "IT", "GB", "xx", "", "\x00", "🇪🇸"]), max_size=3)
CHAINS = st.none() | st.sampled_from(["btc", "eth", "trx", "xmr", "doge", "", "BTC"])

# Texts that look like what the scanners look for, then damaged: phones written to dodge
# filters, addresses, links, handles, wallet addresses.
LOOKALIKES = st.sampled_from(
    [
        "+34 612 345 678",
        "six one two, 3 4 5 six 7 8",
        "(+44) 07700-900123 ext. 12",
        "0 0 3 4 6 1 2 3 4 5 6 7 8",
        "whats4pp 6l2345678",
        "ana.m@example.com",
        "ana at example dot com",
        "https://instagram.com/ana_m?x=1",
        "http://[::1]:99999/",
        "http://xn--e1afmkfd.xn--p1ai/",
        "www.example.co.uk/a/b",
        "@ana_m",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
        "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb",
    ]
)
near_miss = st.builds(
    lambda text, cut, piece: text[:cut] + piece + text[cut:],
    LOOKALIKES,
    st.integers(0, 60),
    st.sampled_from(["", "\x00", "\ufeff", "٣", "９", "..", "@", "%", "\u202e", "]"]),
)
values = near_miss | any_text


def _check_found(text: str, found: list[Found]) -> None:
    for item in found:
        assert 0 <= item.start <= item.end <= len(text), (item, text)
        assert isinstance(item.selector, Selector) and item.selector.value


@fuzz_settings(300)
@given(text=values | hostile_text, regions=REGIONS, platform=PLATFORMS)
def test_free_text_scanners_never_raise(text: str, regions: list[str], platform: str) -> None:
    _check_found(text, find_phones(text, regions))
    _check_found(text, find_emails(text))
    _check_found(text, find_urls(text))
    _check_found(text, find_wallets(text))
    if platform.strip("\x00"):
        try:
            _check_found(text, find_handles(text, platform))
        except SelectorRejected:
            pass  # an unknown platform name is refused, with a message, before any scan
    for candidate in find_phone_candidates(text):
        assert 0 <= candidate.start <= candidate.end <= len(text)


def _normalised_or_rejected(normalise: Callable[[], object]) -> None:
    try:
        result = normalise()
    except SelectorRejected as rejected:
        assert rejected.message.strip(), "a rejection must say why"
        return
    if isinstance(result, tuple):
        assert all(part is None or isinstance(part, Selector) for part in result)
    else:
        assert result is None or isinstance(result, Selector)


@fuzz_settings(300)
@given(raw=values, regions=REGIONS, platform=PLATFORMS | st.none(), chain=CHAINS)
def test_normalisers_return_a_selector_or_a_rejection(
    raw: str, regions: list[str], platform: str | None, chain: str | None
) -> None:
    _normalised_or_rejected(lambda: normalize_phone(raw, regions))
    _normalised_or_rejected(lambda: normalize_phone(raw, regions, accept_possible=True))
    _normalised_or_rejected(lambda: normalize_obfuscated_phone(raw, regions))
    _normalised_or_rejected(lambda: normalize_email(raw))
    _normalised_or_rejected(lambda: normalize_url(raw))
    _normalised_or_rejected(lambda: normalize_domain(raw))
    _normalised_or_rejected(lambda: normalize_handle(raw, platform))
    _normalised_or_rejected(lambda: handle_from_url(raw))
    _normalised_or_rejected(lambda: normalize_wallet(raw, chain))
    assert isinstance(deobfuscate_phone(raw), str)


@fuzz_settings(150)
@given(host=values)
def test_registered_domain_of_any_host_is_text_or_a_rejection(host: str) -> None:
    try:
        assert isinstance(registered_domain(host), str)
    except SelectorRejected:
        pass


@fuzz_settings(150)
@given(
    phones=st.lists(values, max_size=3),
    emails=st.lists(values, max_size=2),
    urls=st.lists(values, max_size=2),
    wallets=st.lists(st.tuples(values, st.sampled_from(["btc", "eth", ""])) | values, max_size=2),
    handles=st.lists(st.tuples(st.just("accounts"), values, PLATFORMS | st.none()), max_size=2),
    summary=values | hostile_text,
    regions=REGIONS,
    platform=PLATFORMS | st.none(),
)
def test_extraction_from_a_whole_report_collects_problems_instead_of_raising(
    phones: list[str],
    emails: list[str],
    urls: list[str],
    wallets: list[str | tuple[str, str]],
    handles: list[tuple[str, str, str | None]],
    summary: str,
    regions: list[str],
    platform: str | None,
) -> None:
    result = extract_selectors(
        fields={
            "internet.phones": phones,
            "internet.emails": emails,
            "internet.urls": urls,
            "internet.wallets": wallets,
        },
        handles=handles,
        texts={"incident.summary": summary},
        region_hints=regions,
        platform=platform,
    )
    structured = len(phones) + len(emails) + len(urls) + len(wallets) + len(handles)
    assert len(result.problems) <= structured  # only asserted values can be problems
    for problem in result.problems:
        assert problem.message.strip()
    assert len({selector.key for selector in result.selectors}) == len(result.selectors)
