import socket
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipnet.identifiers import ExtractionResult, SelectorKind, extract_selectors, field_kind, web

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"

REPORT_TEXT = (
    "New in town, 21 years old, from $150 per hour, 2024 specials, open 10:00 to 23:00. "
    "Call or WhatsApp +34 612 34 56 78 or text seis uno dos, tres cuatro cinco, seis siete nueve. "
    "French clients: 06 12 34 56 78. Email anna.bookings@example.com or reservas [at] example "
    "[dot] org. Photos: https://www.example.com/gallery?utm_source=fb&id=7 and "
    "escorts-example.net/profile/anna. Follow @Anna.Official, deposit to " + GENESIS + "."
)


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("phone", SelectorKind.PHONE),
        ("phones", SelectorKind.PHONE),
        ("internet.phones", SelectorKind.PHONE),
        ("reported_persons.account_phones", SelectorKind.PHONE),
        ("Emails", SelectorKind.EMAIL),
        ("urls", SelectorKind.URL),
        ("domains", SelectorKind.DOMAIN),
        ("x.handles", SelectorKind.HANDLE),
        ("payment.wallet", SelectorKind.WALLET),
    ],
)
def test_field_kind(key: str, kind: SelectorKind) -> None:
    assert field_kind(key) is kind


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="must end in one of"):
        extract_selectors(fields={"internet.ips": ["192.0.2.1"]})


def test_structured_fields_by_path() -> None:
    result = extract_selectors(
        fields={
            "internet.phones": ["+44 7400 123456", "612 34 56 78", "+34 12", ""],
            "internet.emails": ["Anna@Example.com", "not-an-email"],
            "internet.urls": ["https://instagram.com/Some.User"],
            "domains": ["WWW.Example.co.uk"],
            "handles": ["@bob_2"],
            "wallets": [GENESIS, GENESIS[:-1] + "b"],
        },
        region_hints=["ESP"],
        platform="telegram",
    )
    assert isinstance(result, ExtractionResult)
    got = [(s.kind.value, s.value, s.source) for s in result.selectors]
    assert got == [
        ("phone", "+447400123456", "internet.phones[0]"),
        ("phone", "+34612345678", "internet.phones[1]"),
        ("email", "anna@example.com", "internet.emails[0]"),
        ("url", "https://instagram.com/Some.User", "internet.urls[0]"),
        ("domain", "instagram.com", "internet.urls[0]"),
        ("handle", "instagram:some.user", "internet.urls[0]"),
        ("domain", "example.co.uk", "domains[0]"),
        ("handle", "telegram:bob_2", "handles[0]"),
        ("wallet", f"btc:{GENESIS}", "wallets[0]"),
    ]
    problems = [(p.source, p.raw, p.kind) for p in result.problems]
    assert problems == [
        ("internet.phones[2]", "+34 12", SelectorKind.PHONE),
        ("internet.phones[3]", "", SelectorKind.PHONE),
        ("internet.emails[1]", "not-an-email", SelectorKind.EMAIL),
        ("wallets[1]", GENESIS[:-1] + "b", SelectorKind.WALLET),
    ]
    assert "too short" in result.problems[0].message
    assert "checksum does not match" in result.problems[3].message


def test_source_value_pairs_and_per_account_handles() -> None:
    """The shape the report intake service uses: one list per kind, gathered from many places."""
    result = extract_selectors(
        fields={
            "phone": [("internet.phones[0]", "+34 612 34 56 78"),
                      ("reported_persons[0].phones[0]", "0034612345678")],
            "url": [("internet.accounts[1].profile_url", "https://t.me/Some_Channel")],
        },
        handles=[("internet.accounts[0].handle", "@Some.User", "IG"),
                 ("internet.accounts[2].handle", "jack", None)],
        texts={"incident.summary": "call +34 612 345 678"},
        platform="x",
    )  # fmt: skip
    got = [(s.kind.value, s.value, s.source) for s in result.selectors]
    assert got == [
        ("phone", "+34612345678", "internet.phones[0]"),  # the duplicates keep the first source
        ("url", "https://t.me/Some_Channel", "internet.accounts[1].profile_url"),
        ("domain", "t.me", "internet.accounts[1].profile_url"),
        ("handle", "telegram:some_channel", "internet.accounts[1].profile_url"),
        ("handle", "instagram:some.user", "internet.accounts[0].handle"),
        ("handle", "x:jack", "internet.accounts[2].handle"),
    ]
    assert result.problems == []


def test_free_text() -> None:
    result = extract_selectors(
        texts={"incident.summary": REPORT_TEXT}, region_hints=["ESP", "FRA"], platform="instagram"
    )
    got = [(s.kind.value, s.value) for s in result.selectors]
    assert got == [
        ("phone", "+34612345678"),
        ("phone", "+34612345679"),
        ("phone", "+33612345678"),
        ("email", "anna.bookings@example.com"),
        ("email", "reservas@example.org"),
        ("url", "https://www.example.com/gallery?id=7"),
        ("domain", "example.com"),
        ("url", "http://escorts-example.net/profile/anna"),
        ("domain", "escorts-example.net"),
        ("handle", "instagram:anna.official"),
        ("wallet", f"btc:{GENESIS}"),
    ]
    assert result.problems == []  # free text yields no problems
    spoken = result.selectors[1]
    assert spoken.detail["obfuscated"] == "true" and spoken.source == "incident.summary"
    start, end = map(int, spoken.detail["span"].split("-"))
    assert (
        REPORT_TEXT[start:end] == spoken.raw == "seis uno dos, tres cuatro cinco, seis siete nueve"
    )


def test_handles_in_text_need_a_platform() -> None:
    result = extract_selectors(texts={"t": "follow @anna_k"})
    assert result.selectors == []


def test_digits_inside_urls_emails_and_wallets_are_not_phones() -> None:
    text = (
        "https://example.com/item/612345678 and 612345678@example.com and "
        "0x52908400098527886E0F7030069857D2E4169EE7"
    )
    result = extract_selectors(texts={"t": text}, region_hints=["ESP"])
    assert SelectorKind.PHONE not in {s.kind for s in result.selectors}
    assert {s.kind for s in result.selectors} == {
        SelectorKind.URL, SelectorKind.DOMAIN, SelectorKind.EMAIL, SelectorKind.WALLET,
    }  # fmt: skip


def test_values_helper_and_deduplication_across_texts() -> None:
    result = extract_selectors(
        texts={"a": "call +34 612 34 56 78", "b": "or +34-612-345-678"}, region_hints=[]
    )
    assert result.values(SelectorKind.PHONE) == ["+34612345678"]
    assert result.selectors[0].source == "a"


_FRAGMENTS = st.sampled_from(
    ["+", "00", "34", "612", " ", "-", ".", "/", "@", "[at]", "[dot]", "http://", "www.", ".com",
     "five", "cinco", "zéro", "double", "O", "l", "S", "|", "5\ufe0f\u20e3", "①", "６", "𝟔",
     "\u200b", "$", "€", "%", "12/05/2024", "0x", "bc1", "1A1z", "\n", ":", "quatre", "vingt",
     "dix", "et"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_FRAGMENTS, max_size=60).map("".join)))
def test_extract_never_raises_on_arbitrary_text(text: str) -> None:
    result = extract_selectors(
        texts={"t": text}, region_hints=["ESP", "FRA", "USA"], platform="instagram"
    )
    assert result.problems == []
    for sel in result.selectors:
        start, end = map(int, sel.detail["span"].split("-"))
        assert text[start:end] == sel.raw


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=4))
def test_structured_garbage_becomes_problems_not_exceptions(values: list[str]) -> None:
    kinds = ["phones", "emails", "urls", "domains", "handles", "wallets"]
    result = extract_selectors(fields=dict.fromkeys(kinds, values), platform="x")
    sources = {f"{kind}[{i}]" for kind in kinds for i in range(len(values))}
    accepted = {sel.source for sel in result.selectors}
    for problem in result.problems:
        assert problem.source in sources and problem.source not in accepted
        assert repr(problem.raw) in problem.message  # the platform can see which value failed


def test_extraction_is_fast() -> None:
    """A loose guard (the real figure is ~0.6 ms on a 1 KB report); catches accidental O(n^2)."""
    text = (REPORT_TEXT * 3)[:1024]
    extract_selectors(texts={"t": text}, region_hints=["ESP", "FRA"], platform="instagram")
    started = time.process_time()  # CPU time: other work on a busy machine does not count
    for _ in range(50):
        extract_selectors(texts={"t": text}, region_hints=["ESP", "FRA"], platform="instagram")
    assert (time.process_time() - started) / 50 < 0.01


def test_extraction_uses_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    for name in ("getaddrinfo", "gethostbyname", "create_connection"):
        monkeypatch.setattr(socket, name, no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    web._extractor.cache_clear()
    try:
        result = extract_selectors(
            fields={"emails": ["anna@example.com"], "urls": ["https://example.co.uk/x"]},
            texts={"t": REPORT_TEXT},
            region_hints=["ESP"],
            platform="instagram",
        )
    finally:
        web._extractor.cache_clear()
    assert result.problems == [] and len(result.selectors) > 10
