import socket

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from tipnet.identifiers import SelectorKind, SelectorRejected, web
from tipnet.identifiers.web import (
    find_emails,
    find_urls,
    normalize_domain,
    normalize_email,
    normalize_url,
    registered_domain,
)

# --- emails ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "obfuscated"),
    [
        ("  Anna.Example@Example.COM ", "anna.example@example.com", False),
        ("mailto:Bob@Example.org?subject=hi", "bob@example.org", False),
        ("Anna <Anna@Example.com>", "anna@example.com", False),
        ("anna [at] example [dot] com", "anna@example.com", True),
        ("anna(at)example.com", "anna@example.com", True),
        ("anna {at} example {dot} co {dot} uk", "anna@example.co.uk", True),
        ("anna arroba example punto com", "anna@example.com", True),
        ("anna at example dot com", "anna@example.com", True),
        ("ana@bücher.example", "ana@xn--bcher-kva.example", False),  # IDNA, as URLs
    ],
)
def test_normalize_email(raw: str, value: str, obfuscated: bool) -> None:
    sel = normalize_email(raw, source="emails[0]")
    assert (sel.kind, sel.value, sel.raw, sel.source) == (
        SelectorKind.EMAIL,
        value,
        raw,
        "emails[0]",
    )
    assert (sel.detail.get("obfuscated") == "true") is obfuscated


@pytest.mark.parametrize("raw", ["anna", "anna@", "@example.com", "anna@example", "a@b@c.com", ""])
def test_invalid_emails_are_rejected_with_the_reason(raw: str) -> None:
    with pytest.raises(SelectorRejected) as err:
        normalize_email(raw)
    assert err.value.kind is SelectorKind.EMAIL
    assert err.value.message.startswith(f"{raw!r} is not a valid email address: ")


def test_find_emails_in_text() -> None:
    text = "Write to Anna@Example.com, or reservas [at] example [dot] org. Follow @anna.official!"
    found = find_emails(text, source="summary")
    assert [f.selector.value for f in found] == ["anna@example.com", "reservas@example.org"]
    assert [text[f.start : f.end] for f in found] == [
        "Anna@Example.com",
        "reservas [at] example [dot] org",
    ]
    assert all(f.selector.source == "summary" for f in found)


def test_prose_at_is_not_an_email() -> None:
    assert find_emails("Look at example.com, meet me at the hotel, or at home dot") == []


# --- URLs ------------------------------------------------------------------------------------


def test_the_brief_example() -> None:
    url, domain = normalize_url("https://m.Facebook.com/x?utm_source=a")
    assert (url.kind, url.value) == (SelectorKind.URL, "https://m.facebook.com/x")
    assert domain is not None
    assert (domain.kind, domain.value) == (SelectorKind.DOMAIN, "facebook.com")


@pytest.mark.parametrize(
    ("raw", "value", "domain"),
    [
        ("example.com", "http://example.com", "example.com"),
        ("HTTP://WWW.Example.COM/", "http://www.example.com", "example.com"),
        ("https://example.com:443/a/", "https://example.com/a/", "example.com"),
        ("http://example.com:8080/a", "http://example.com:8080/a", "example.com"),
        ("https://user:pw@example.com/a#frag", "https://example.com/a", "example.com"),
        (
            "https://example.com/a/./b/../c?b=2&a=1&fbclid=x&gclid=y",
            "https://example.com/a/c?a=1&b=2",
            "example.com",
        ),
        ("https://example.com/?utm_medium=x&utm_campaign=y", "https://example.com", "example.com"),
        (
            "https://example.com/%7euser/%c3%a9t%C3%A9",
            "https://example.com/~user/%C3%A9t%C3%A9",
            "example.com",
        ),
        (
            "https://example.com/ruta con espacios",
            "https://example.com/ruta%20con%20espacios",
            "example.com",
        ),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe", "xn--bcher-kva.de"),
        (
            "hxxps://evil[.]example[.]co[.]uk/login",
            "https://evil.example.co.uk/login",
            "example.co.uk",
        ),
        ("https://anna.blogspot.com/post", "https://anna.blogspot.com/post", "anna.blogspot.com"),
        ("http://192.0.2.10/panel", "http://192.0.2.10/panel", None),
        ("http://[2001:db8::1]:8080/", "http://[2001:db8::1]:8080", None),
        (
            "http://abcdefghijklmnop.onion/shop",
            "http://abcdefghijklmnop.onion/shop",
            "abcdefghijklmnop.onion",
        ),
    ],
)
def test_normalize_url(raw: str, value: str, domain: str | None) -> None:
    url, dom = normalize_url(raw, source="urls[0]")
    assert (url.value, url.raw, url.source) == (value, raw, "urls[0]")
    assert (dom.value if dom else None) == domain


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("mailto:anna@example.com", "only http and https"),
        ("ftp://example.com/file", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http://localhost/admin", "needs a dot and a suffix"),
        ("http://", "no host"),
        ("http://example.com:99999/", "cannot be parsed"),
    ],
)
def test_bad_urls_are_rejected_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(SelectorRejected, match=why) as err:
        normalize_url(raw)
    assert err.value.kind is SelectorKind.URL


def test_find_urls_in_text_with_trailing_punctuation() -> None:
    text = "See (https://Example.com/a?utm_source=x), www.example.org/b. and shop-example.net/c!"
    found = find_urls(text)
    urls = [f.selector.value for f in found if f.selector.kind is SelectorKind.URL]
    assert urls == [
        "https://example.com/a",
        "http://www.example.org/b",
        "http://shop-example.net/c",
    ]
    domains = [f.selector.value for f in found if f.selector.kind is SelectorKind.DOMAIN]
    assert domains == ["example.com", "example.org", "shop-example.net"]
    assert text[found[0].start : found[0].end] == "https://Example.com/a?utm_source=x"


def test_file_names_and_abbreviations_are_not_domains() -> None:
    assert find_urls("run setup.py, open photos.zip, e.g. this, i.e. that, 3.5 stars") == []
    found = find_urls("agencies: modelki-example.pl, posao-example.rs and munca-example.md")
    assert [f.selector.value for f in found if f.selector.kind is SelectorKind.DOMAIN] == [
        "modelki-example.pl",
        "posao-example.rs",
        "munca-example.md",
    ]


def test_profile_urls_in_text_also_give_handles() -> None:
    found = find_urls("my insta: instagram.com/Some.User")
    assert [(f.selector.kind, f.selector.value) for f in found] == [
        (SelectorKind.URL, "http://instagram.com/Some.User"),
        (SelectorKind.DOMAIN, "instagram.com"),
        (SelectorKind.HANDLE, "instagram:some.user"),
    ]


# --- domains ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("WWW.Example.co.uk", "example.co.uk"), ("https://m.facebook.com/x", "facebook.com"),
     ("shop.example.com.", "example.com"), ("bücher.de", "xn--bcher-kva.de")],
)  # fmt: skip
def test_normalize_domain(raw: str, value: str) -> None:
    assert normalize_domain(raw).value == value


@pytest.mark.parametrize("raw", ["co.uk", "192.0.2.1", "localhost"])
def test_domains_without_a_registrable_part_are_rejected(raw: str) -> None:
    with pytest.raises(SelectorRejected):
        normalize_domain(raw)


def test_public_suffix_list_comes_from_the_bundled_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(requests.Session, "request", no_network)
    web._extractor.cache_clear()  # build a fresh extractor under the patches
    try:
        assert registered_domain("a.b.example.co.uk") == "example.co.uk"
        assert registered_domain("anna.github.io") == "anna.github.io"  # PSL private section
    finally:
        web._extractor.cache_clear()


# --- properties ------------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_host = st.builds(
    lambda a, b, s: f"{a}.{b}.{s}", _label, _label, st.sampled_from(["com", "org", "co.uk", "de"])
)
_path = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8), max_size=4
)
_query = st.lists(
    st.tuples(st.sampled_from(["a", "id", "utm_source", "q", "fbclid"]), st.text(max_size=5)),
    max_size=4,
)


@given(st.sampled_from(["http", "https", "HTTPS"]), _host, _path, _query)
def test_url_normalisation_is_idempotent(
    scheme: str, host: str, path: list[str], query: list[tuple[str, str]]
) -> None:
    from urllib.parse import quote, urlencode

    raw = f"{scheme}://{host}/" + "/".join(quote(p) for p in path)
    if query:
        raw += "?" + urlencode(query)
    url, domain = normalize_url(raw)
    again, domain_again = normalize_url(url.value)
    assert again.value == url.value
    assert domain is not None and domain_again is not None
    assert domain.value == domain_again.value == normalize_domain(domain.value).value
    assert "utm_source" not in url.value and "fbclid" not in url.value


@given(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,20}@[a-z0-9]{1,10}\.(com|org|net)", fullmatch=True)
)
def test_email_normalisation_is_idempotent(raw: str) -> None:
    try:
        sel = normalize_email(raw)
    except SelectorRejected:
        return  # e.g. consecutive dots: email-validator's call, not ours
    assert sel.value == raw.lower()
    assert normalize_email(sel.value).value == sel.value
