from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from hypothesis import given, settings
from hypothesis import strategies as st

from tipnet.errors import InvalidInput, NotAuthenticated, PermissionDenied, Unavailable
from tipnet.federation import httpsig, structured_fields
from tipnet.federation.httpsig import (
    MemoryReplayGuard,
    content_digest,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)
from tipnet.federation.signature_errors import (
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    MissingComponent,
    ReplayedMessage,
    SignatureExpired,
    SignatureFromFuture,
    SignatureRejected,
    UnknownKey,
    UnsignedMessage,
)

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6 ("Signing a Request Using ed25519"),
# with the test-request message of Appendix B.2 and its RFC 9530 Content-Digest.
RFC_PRIVATE_KEY = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
RFC_BODY = b'{"hello": "world"}'
RFC_CONTENT_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAg"
    "BWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
RFC_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
RFC_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1"
    "u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)
RFC_SIGNATURE_BASE = "\n".join(
    [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type"'
        ' "content-length");created=1618884473;keyid="test-key-ed25519"',
    ]
)

NOW = 1_700_000_000
URL = "https://node-b.example.org/api/v1/federation/hits?kind=phone&limit=10"
BODY = b'{"blinded": "3q2-7w"}'
JSON = {"Content-Type": "application/json"}
KEY, OTHER_KEY = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()


def test_rfc9421_ed25519_vector_reproduces_base_and_signature() -> None:
    private_key = load_pem_private_key(RFC_PRIVATE_KEY, password=None)
    public_key = load_pem_public_key(RFC_PUBLIC_KEY)
    assert isinstance(private_key, Ed25519PrivateKey)
    assert isinstance(public_key, Ed25519PublicKey)
    message = httpsig.request_message(
        "POST",
        "http://example.com/foo?param=Value&Pet=dog",
        {
            "date": "Tue, 20 Apr 2021 02:07:55 GMT",
            "content-type": "application/json",
            "content-digest": RFC_CONTENT_DIGEST,
            "content-length": "18",
        },
    )
    base = httpsig.signature_base(message, RFC_SIGNATURE_INPUT, "sig-b26")
    assert base.decode("ascii") == RFC_SIGNATURE_BASE
    published = structured_fields.parse_dictionary(RFC_SIGNATURE, "Signature")["sig-b26"]
    assert isinstance(published, structured_fields.Item) and isinstance(published.value, bytes)
    public_key.verify(published.value, base)  # raises if the base is wrong
    assert private_key.sign(base) == published.value  # Ed25519 is deterministic
    assert content_digest(RFC_BODY) == RFC_CONTENT_DIGEST


def test_signed_request_round_trips() -> None:
    key = Ed25519PrivateKey.generate()
    headers = JSON | sign_request("POST", URL, JSON, BODY, key, "node-a", now=NOW, nonce="n-1")
    assert set(headers) == {"Content-Type", "Content-Digest", "Signature-Input", "Signature"}
    verified = verify_request(
        "POST", URL, headers, BODY, _keys({"node-a": key}), MemoryReplayGuard(), now=NOW + 5
    )
    assert verified == httpsig.VerifiedRequest("node-a", NOW, "n-1")
    signature_input = headers["Signature-Input"]
    for part in ('"@method"', '"@authority"', '"@path"', '"@query"', '"content-digest"'):
        assert part in signature_input
    for param in (';alg="ed25519"', ';tag="tipnet"', f";created={NOW}", ";expires="):
        assert param in signature_input


def test_default_port_and_host_case_do_not_matter() -> None:
    key = Ed25519PrivateKey.generate()
    headers = sign_request("GET", "https://Node-B.example.org:443/x", {}, b"", key, "a", now=NOW)
    verify_request(
        "GET", "https://node-b.example.org/x", headers, b"", _keys({"a": key}), _guard(), now=NOW
    )


def test_every_rejection_is_a_typed_tipnet_error_with_a_distinct_reason() -> None:
    rejections = SignatureRejected.__subclasses__()
    assert len({error.reason for error in rejections}) == len(rejections) >= 9
    for error in rejections:
        expected = PermissionDenied if error is ReplayedMessage else NotAuthenticated
        assert issubclass(error, expected)
        assert error("x").status_code == (403 if error is ReplayedMessage else 401)


@dataclass(frozen=True)
class Incoming:
    """A request as the receiving node sees it, before verification."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    resolve: Callable[[str], Ed25519PublicKey | None]
    now: int

    def verify(self) -> httpsig.VerifiedRequest:
        return verify_request(
            self.method, self.url, self.headers, self.body, self.resolve, _guard(), now=self.now
        )

    def with_headers(self, **changes: str | None) -> Incoming:
        """Headers changed (a value) or removed (None); names use _ for -."""
        headers = dict(self.headers)
        for name, value in changes.items():
            header = name.replace("_", "-")
            headers.pop(header, None)
            if value is not None:
                headers[header] = value
        return replace(self, headers=headers)


def _zero_signature(r: Incoming) -> Incoming:
    return r.with_headers(Signature="tipnet=:" + base64.b64encode(bytes(64)).decode() + ":")


def _input(r: Incoming) -> str:
    return r.headers["Signature-Input"]


def _later_created(r: Incoming) -> Incoming:
    later = _input(r).replace(f"created={NOW};", f"created={NOW + 1};")
    return r.with_headers(Signature_Input=later)


TAMPERINGS: dict[str, tuple[Callable[[Incoming], Incoming], type[SignatureRejected]]] = {
    "body": (lambda r: replace(r, body=BODY + b" "), DigestMismatch),
    "path": (lambda r: replace(r, url=URL.replace("/hits", "/hit")), BadSignature),
    "query": (lambda r: replace(r, url=URL.replace("limit=10", "limit=99")), BadSignature),
    "authority": (lambda r: replace(r, url=URL.replace("node-b", "node-c")), BadSignature),
    "method": (lambda r: replace(r, method="PUT"), BadSignature),
    "content type": (lambda r: r.with_headers(Content_Type="text/plain"), BadSignature),
    "body and digest": (
        lambda r: replace(r, body=b"{}").with_headers(Content_Digest=content_digest(b"{}")),
        BadSignature,
    ),
    "signature bytes": (_zero_signature, BadSignature),
    "created": (_later_created, BadSignature),
    "no Content-Digest": (lambda r: r.with_headers(Content_Digest=None), MissingComponent),
    "no Content-Type": (lambda r: r.with_headers(Content_Type=None), MissingComponent),
    "unsigned": (lambda r: r.with_headers(Signature=None, Signature_Input=None), UnsignedMessage),
    "garbled": (lambda r: r.with_headers(Signature_Input="tipnet=(("), MalformedSignature),
    "long nonce": (
        lambda r: r.with_headers(
            Signature_Input=re.sub(r'nonce="[^"]*"', 'nonce="' + "n" * 129 + '"', _input(r))
        ),
        MalformedSignature,
    ),
    "unknown key id": (lambda r: replace(r, resolve=_keys({})), UnknownKey),
    "wrong key": (lambda r: replace(r, resolve=_keys({"node-a": OTHER_KEY})), BadSignature),
    "too old": (lambda r: replace(r, now=NOW + 300 + 60 + 1), SignatureExpired),
    "from the future": (lambda r: replace(r, now=NOW - 60 - 1), SignatureFromFuture),
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_each_failure_raises_its_error(name: str) -> None:
    tamper, expected = TAMPERINGS[name]
    headers = JSON | sign_request("POST", URL, JSON, BODY, KEY, "node-a", now=NOW)
    genuine = Incoming("POST", URL, headers, BODY, _keys({"node-a": KEY}), NOW)
    assert genuine.verify().key_id == "node-a"
    with pytest.raises(expected) as raised:
        tamper(genuine).verify()
    assert raised.value.message and raised.value.reason == expected.reason


def test_replayed_nonce_is_refused_but_a_fresh_signature_passes() -> None:
    key = Ed25519PrivateKey.generate()
    guard, resolve = MemoryReplayGuard(), _keys({"node-a": key})
    headers = sign_request("POST", URL, {}, BODY, key, "node-a", now=NOW)
    verify_request("POST", URL, headers, BODY, resolve, guard, now=NOW)
    with pytest.raises(ReplayedMessage) as raised:
        verify_request("POST", URL, headers, BODY, resolve, guard, now=NOW + 1)
    assert raised.value.status_code == 403
    again = sign_request("POST", URL, {}, BODY, key, "node-a", now=NOW + 1)
    verify_request("POST", URL, again, BODY, resolve, guard, now=NOW + 1)


def test_signature_past_its_own_expires_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    headers = sign_request("GET", URL, {}, b"", key, "a", now=NOW, lifetime=10)
    verify_request("GET", URL, headers, b"", _keys({"a": key}), _guard(), now=NOW + 70)
    with pytest.raises(SignatureExpired, match="expired"):
        verify_request("GET", URL, headers, b"", _keys({"a": key}), _guard(), now=NOW + 71)


def test_signature_must_cover_the_required_components() -> None:
    key = Ed25519PrivateKey.generate()
    message = httpsig.request_message("POST", URL, {"content-digest": content_digest(BODY)})
    headers = {"Content-Digest": content_digest(BODY)} | httpsig._sign(
        message, ['"@method"', '"@path"', '"content-digest"'], key, "a", NOW, "n", 300
    )
    with pytest.raises(MissingComponent, match='"@authority", "@query"'):
        verify_request("POST", URL, headers, BODY, _keys({"a": key}), _guard(), now=NOW)


def test_content_digest_must_use_sha512() -> None:
    key = Ed25519PrivateKey.generate()
    sha256 = "sha-256=:" + base64.b64encode(bytes(32)).decode() + ":"
    message = httpsig.request_message("POST", URL, {"content-digest": sha256})
    components = list(httpsig.REQUEST_COMPONENTS)
    headers = {"Content-Digest": sha256} | httpsig._sign(message, components, key, "a", NOW, "n", 9)
    with pytest.raises(DigestMismatch, match="sha-512"):
        verify_request("POST", URL, headers, BODY, _keys({"a": key}), _guard(), now=NOW)


def test_signing_refuses_values_it_cannot_serialise() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(InvalidInput, match="key id"):
        sign_request("GET", URL, {}, b"", key, "n\u00f6de", now=NOW)
    with pytest.raises(InvalidInput, match="nonce"):
        sign_request("GET", URL, {}, b"", key, "a", nonce="n" * 129, now=NOW)
    with pytest.raises(InvalidInput, match="URL"):
        sign_request("GET", "node-b/path", {}, b"", key, "a", now=NOW)


def test_signed_response_is_bound_to_its_request() -> None:
    node_a, node_b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    request = sign_request("POST", URL, {}, BODY, node_a, "node-a", now=NOW)
    other_request = sign_request("POST", URL, {}, BODY, node_a, "node-a", now=NOW)
    answer = b'{"hit": false}'
    response = JSON | sign_response(200, JSON, answer, node_b, "node-b", request, now=NOW + 1)
    assert '"signature";req;key="tipnet"' in response["Signature-Input"]
    peer = _public(node_b)
    verified = verify_response(200, response, answer, request, peer, "node-b", now=NOW + 2)
    assert verified == httpsig.VerifiedResponse("node-b", NOW + 1)
    with pytest.raises(BadSignature):
        verify_response(200, response, answer, other_request, peer, "node-b", now=NOW + 2)
    with pytest.raises(BadSignature):
        verify_response(404, response, answer, request, peer, "node-b", now=NOW + 2)
    with pytest.raises(DigestMismatch):
        verify_response(200, response, b'{"hit": true}', request, peer, "node-b", now=NOW + 2)
    with pytest.raises(UnknownKey):
        verify_response(200, response, answer, request, peer, "node-c", now=NOW + 2)
    with pytest.raises(UnsignedMessage):
        verify_response(200, JSON, answer, request, peer, "node-b", now=NOW + 2)


def test_replay_guard_forgets_nonces_once_their_signature_is_too_old() -> None:
    guard = MemoryReplayGuard()
    assert not guard.seen("a", "n1", now=NOW, keep_until=NOW + 10)
    assert not guard.seen("a", "n2", now=NOW, keep_until=NOW + 20)
    assert not guard.seen("b", "n1", now=NOW, keep_until=NOW + 10)  # nonces are per key
    assert guard.seen("a", "n1", now=NOW + 10, keep_until=NOW + 10)
    assert len(guard) == 3
    assert not guard.seen("a", "n3", now=NOW + 11, keep_until=NOW + 30)
    assert len(guard) == 2  # a/n1 and b/n1 forgotten, a/n2 and a/n3 kept
    assert not guard.seen("a", "n1", now=NOW + 11, keep_until=NOW + 30)


def test_replay_guard_is_bounded() -> None:
    guard = MemoryReplayGuard(max_entries=2)
    guard.seen("a", "1", now=NOW, keep_until=NOW + 5)
    guard.seen("a", "2", now=NOW, keep_until=NOW + 5)
    with pytest.raises(Unavailable):
        guard.seen("a", "3", now=NOW, keep_until=NOW + 5)
    assert not guard.seen("a", "3", now=NOW + 6, keep_until=NOW + 10)


def test_replay_guard_admits_one_of_many_concurrent_copies() -> None:
    guard, start = MemoryReplayGuard(), threading.Barrier(8)
    results: list[bool] = []

    def submit() -> None:
        start.wait()
        for number in range(200):
            results.append(guard.seen("a", str(number), now=NOW, keep_until=NOW + 5))

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(False) == 200 and results.count(True) == 7 * 200


def test_structured_field_parser_reads_each_item_kind() -> None:
    parsed = structured_fields.parse_dictionary(
        'a=("x\\"y\\\\z" tok/en:1 -12 ?0 :AAE=:);p;q=?1, b, c=7;r=*t', "test"
    )
    inner = parsed["a"]
    assert isinstance(inner, structured_fields.InnerList)
    assert [item.value for item in inner.items] == ['x"y\\z', "tok/en:1", -12, False, b"\x00\x01"]
    assert isinstance(inner.items[1].value, structured_fields.Token)
    assert inner.params == {"p": True, "q": True}
    assert parsed["b"] == structured_fields.Item(True, {})
    assert parsed["c"] == structured_fields.Item(7, {"r": structured_fields.Token("*t")})
    assert structured_fields.parse_dictionary("d=:AAE:", "unpadded")["d"] == structured_fields.Item(
        b"\x00\x01"
    )


def test_structured_field_parser_refuses_malformed_headers() -> None:
    for text in [
        'a=("x" "y"',
        'a=("x""y")',
        "a=:not base64!:",
        "a=1.5",
        "a=1234567890123456",
        "A=1",
        "a=1,",
        'a="\x01"',
        'a="\\n"',
        "a=?2",
        "a=\u00e9",
    ]:
        with pytest.raises(MalformedSignature):
            structured_fields.parse_dictionary(text, "Signature-Input", MalformedSignature)


_bare_items = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)),
    st.binary(max_size=80),
    st.from_regex(r"\A[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,20}\Z").map(structured_fields.Token),
)
_keys_st = st.from_regex(r"\A[a-z*][a-z0-9_.*-]{0,10}\Z")


@given(st.lists(_bare_items, max_size=5), st.dictionaries(_keys_st, _bare_items, max_size=4))
def test_structured_field_serialisation_round_trips(
    values: list[httpsig.BareItem], params: httpsig.Params
) -> None:
    inner = structured_fields.InnerList(
        tuple(structured_fields.Item(value, params) for value in values), params
    )
    parsed = structured_fields.parse_dictionary(
        f"sig={structured_fields.serialize_inner_list(inner)}", "x"
    )["sig"]
    assert parsed == inner
    assert isinstance(parsed, structured_fields.InnerList)
    # == cannot tell True from 1 or a token from a string: compare the types too
    parsed_values = [item.value for item in parsed.items]
    assert [type(value) for value in parsed_values] == [type(value) for value in values]
    assert [type(value) for value in parsed.params.values()] == [
        type(value) for value in params.values()
    ]


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=2048),
    segments=st.lists(st.text(max_size=12), min_size=0, max_size=4),
    query=st.dictionaries(st.text(min_size=1, max_size=6), st.text(max_size=8), max_size=3),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
)
def test_any_body_path_and_query_round_trip(
    body: bytes, segments: list[str], query: dict[str, str], method: str
) -> None:
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    url = f"https://node-b.example.org{path}" + (f"?{urlencode(query)}" if query else "")
    headers = sign_request(method, url, {}, body, KEY, "node-a", now=NOW)
    verified = verify_request(method, url, headers, body, _keys({"node-a": KEY}), _guard(), now=NOW)
    assert verified.key_id == "node-a"
    with pytest.raises(DigestMismatch):
        verify_request(method, url, headers, body + b"x", _keys({"node-a": KEY}), _guard(), now=NOW)


def _keys(keys: dict[str, Ed25519PrivateKey]) -> Callable[[str], Ed25519PublicKey | None]:
    public = {key_id: _public(key) for key_id, key in keys.items()}
    return public.get


def _public(key: Ed25519PrivateKey) -> Ed25519PublicKey:
    return key.public_key()


def _guard() -> MemoryReplayGuard:
    return MemoryReplayGuard()
