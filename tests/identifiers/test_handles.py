import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipnet.identifiers import SelectorKind, SelectorRejected
from tipnet.identifiers.handles import (
    PLATFORMS,
    canonical_platform,
    find_handles,
    handle_from_url,
    normalize_handle,
)


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("X", "x"),
        ("twitter", "x"),
        ("Twitter.com", "x"),
        ("IG", "instagram"),
        ("Insta", "instagram"),
        ("fb", "facebook"),
        ("wa", "whatsapp"),
        ("WhatsApp", "whatsapp"),
        ("t.me", "telegram"),
        ("TG", "telegram"),
        ("www.tiktok.com", "tiktok"),
        ("Only Fans", "onlyfans"),
        ("Some Site", "some_site"),
    ],
)
def test_canonical_platform(alias: str, name: str) -> None:
    assert canonical_platform(alias) == name


@pytest.mark.parametrize(
    ("raw", "platform", "value"),
    [
        ("@Some.User", "IG", "instagram:some.user"),
        ("Jack_1", "twitter", "x:jack_1"),
        ("@Foo.Bar", "tiktok", "tiktok:foo.bar"),
        ("@Some_Channel", "telegram", "telegram:some_channel"),
        ("John.Smith", "fb", "facebook:johnsmith"),  # Facebook ignores dots and case
        ("+34 612 34 56 78", "wa", "whatsapp:+34612345678"),
        ("u/Some-User", "reddit", "reddit:some-user"),
        ("Anna.K", "Fetlife", "fetlife:anna.k"),  # unknown platform: generic rules
        ("instagram:some.user", None, "instagram:some.user"),  # already canonical
        ("x:@Jack", None, "x:jack"),
    ],
)
def test_normalize_handle(raw: str, platform: str | None, value: str) -> None:
    sel = normalize_handle(raw, platform, source="accounts[0].handle")
    assert (sel.kind, sel.value, sel.raw, sel.source) == (
        SelectorKind.HANDLE, value, raw, "accounts[0].handle",
    )  # fmt: skip
    assert sel.detail["platform"] == value.split(":", 1)[0]


def test_unknown_platforms_say_generic_rules_applied() -> None:
    assert normalize_handle("anna", "newsite").detail["rules"] == "generic"
    assert "rules" not in normalize_handle("anna", "instagram").detail


@pytest.mark.parametrize(
    ("raw", "platform", "why"),
    [
        ("abc", "telegram", "5-32"),  # too short for Telegram
        ("1abcdef", "telegram", "starting with a letter"),
        ("this_is_too_long_for_x", "x", "1-15"),
        ("bad-char", "instagram", "a-z 0-9 . _"),
        ("a" * 31, "instagram", "1-30"),
        ("two words", "newsite", "1-64"),
        ("anna", None, "needs a platform"),
        ("https://example.com/anna", None, "not a profile URL"),
    ],
)
def test_invalid_handles_are_rejected_with_the_rule(
    raw: str, platform: str | None, why: str
) -> None:
    with pytest.raises(SelectorRejected, match=why) as err:
        normalize_handle(raw, platform)
    assert err.value.kind is SelectorKind.HANDLE


@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("https://instagram.com/some.user", "instagram:some.user"),
        ("https://www.instagram.com/Some.User/?hl=en", "instagram:some.user"),
        ("instagram.com/stories/some.user/123", "instagram:some.user"),
        ("https://twitter.com/Jack", "x:jack"),
        ("https://x.com/jack/status/20", "x:jack"),
        ("https://www.tiktok.com/@Foo_Bar/video/123", "tiktok:foo_bar"),
        ("https://t.me/Some_Channel", "telegram:some_channel"),
        ("https://t.me/s/Some_Channel", "telegram:some_channel"),
        ("https://m.facebook.com/John.Smith", "facebook:johnsmith"),
        ("https://www.facebook.com/profile.php?id=100012345678", "facebook:100012345678"),
        ("https://wa.me/34612345678", "whatsapp:+34612345678"),
        ("https://www.youtube.com/@SomeChannel", "youtube:somechannel"),
        ("https://www.reddit.com/user/Some_User", "reddit:some_user"),
        ("https://www.linkedin.com/in/some-person", "linkedin:some-person"),
    ],
)
def test_profile_urls(url: str, value: str) -> None:
    assert normalize_handle(url).value == value
    sel = handle_from_url(url, source="urls[0]")
    assert sel is not None and (sel.value, sel.raw, sel.source) == (value, url, "urls[0]")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.instagram.com/p/Cx123/",
        "https://www.instagram.com/explore/tags/x",
        "https://x.com/search?q=x",
        "https://x.com/i/flow/login",
        "https://www.facebook.com/groups/123",
        "https://t.me/joinchat/AAAA",
        "https://t.me/+AbCdEf",
        "https://www.youtube.com/watch?v=xyz",
        "https://example.com/anna",
        "https://instagram.com",
    ],
)
def test_urls_that_are_not_profiles(url: str) -> None:
    assert handle_from_url(url) is None


def test_find_handles_in_text() -> None:
    text = "DM @Anna.Official. or @bob_2, not anna@example.com nor @@x"
    found = find_handles(text, "IG", source="summary")
    assert [f.selector.value for f in found] == ["instagram:anna.official", "instagram:bob_2"]
    assert [text[f.start : f.end] for f in found] == ["@Anna.Official", "@bob_2"]


@given(st.sampled_from(sorted(PLATFORMS)), st.from_regex(r"[a-z][a-z0-9_]{4,14}", fullmatch=True))
def test_handle_normalisation_is_idempotent(platform: str, handle: str) -> None:
    if platform == "whatsapp":
        handle = "+3461234567"
    try:
        sel = normalize_handle(handle.upper(), platform)
    except SelectorRejected:
        return  # not every platform allows every such handle
    assert normalize_handle(sel.value).value == sel.value
    assert normalize_handle(sel.value, platform).value == sel.value
