"""Property-based fuzzing of what a stranger or a peer sends a node: descriptors and rotation
statements handed over out of band, signature headers (RFC 8941 structured fields, RFC 9421
signatures), OPRF elements, and bodies of correctly signed requests.

Each parser returns its result or raises a TipnetError saying what is wrong (a 4xx at the
door); a signed request with any body gets a deliberate answer, never a 5xx.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Node
from tests.federation.fednodes import (
    another_database,
    backend_of,
    befriend,
    extra_node,
    init_identity,
    local_identity,
)
from tests.fuzzing import any_text, deep, fuzz_settings, hostile_text, json_values, mangled
from tipnet.errors import InvalidInput, TipnetError
from tipnet.federation import httpsig, oprf, ristretto
from tipnet.federation.identity import NodeIdentity, parse_descriptor, parse_rotation_statement
from tipnet.federation.identity import rotation_statement as make_rotation
from tipnet.federation.inbound import SIGNED_PREFIX
from tipnet.federation.structured_fields import parse_dictionary, parse_item

HOME = "http://testserver"
IDENTITY = NodeIdentity.generate(country="ITA", name="ITA peer", url="http://ita.test")
DESCRIPTOR = json.loads(IDENTITY.descriptor().to_json())


def _cut_short(valid: str) -> st.SearchStrategy[str]:
    """A valid header value cut anywhere, with a few characters added."""
    return st.builds(lambda cut, more: valid[:cut] + more, st.integers(0, 90), st.text(max_size=5))


FIELD_TEXT = (
    st.sampled_from(
        [
            'tipnet=("@method" "@target-uri" "content-digest");created=1;keyid="k";alg="ed25519"',
            "tipnet=:AAAA:",
            'a=1, b=?0, c=(1 2);x="y", d=1.5, e=%"caf%c3%a9", f=@1',
            "sha-512=:" + base64.b64encode(b"\0" * 64).decode() + ":",
        ]
    ).flatmap(_cut_short)
    | hostile_text
    | st.text(alphabet='()=;,:" ?*@%-.0123456789abcdefAZ\\\t', max_size=60)
)


@fuzz_settings(400)
@given(text=FIELD_TEXT)
def test_structured_fields_parse_or_are_malformed(text: str) -> None:
    for parse in (lambda: parse_dictionary(text, "Signature-Input"), lambda: parse_item(text)):
        try:
            parse()
        except TipnetError as malformed:
            assert malformed.message.strip()


@fuzz_settings(150)
@given(data=st.data())
def test_descriptors_and_rotation_statements_parse_or_are_refused(data: Any) -> None:
    descriptor = copy.deepcopy(DESCRIPTOR)
    key = data.draw(st.sampled_from([*descriptor, "extra"]))
    descriptor[key] = data.draw(json_values | st.sampled_from(["", "AAAA", "A" * 44, 1e999]))
    content = json.dumps(descriptor).encode()
    content = data.draw(mangled(content) | st.just(content) | st.just(deep(50_000).encode()))
    for parse in (parse_descriptor, parse_rotation_statement):
        try:
            parse(content)
        except TipnetError as refused:
            assert refused.message.strip()
    statement = make_rotation(IDENTITY, NodeIdentity.generate(country="ITA", name="n", url=HOME))
    damaged = data.draw(mangled(statement.encode()))
    try:
        parse_rotation_statement(damaged)
    except TipnetError as refused:
        assert refused.message.strip()


@pytest.mark.parametrize("where", ["descriptor value", "rotation key"])
def test_a_lone_surrogate_in_a_descriptor_is_refused(where: str) -> None:
    with pytest.raises(InvalidInput):
        if where == "descriptor value":
            parse_descriptor(json.dumps({**DESCRIPTOR, "name": "\ud800"}))
        else:
            new = NodeIdentity.generate(country="ITA", name="n", url=HOME)
            statement = json.loads(make_rotation(IDENTITY, new))
            statement["descriptor"]["\ud800"] = "y"
            parse_rotation_statement(json.dumps(statement))


@fuzz_settings(150)
@given(element=st.binary(min_size=30, max_size=34) | st.binary(max_size=64))
def test_oprf_elements_are_checked(element: bytes) -> None:
    try:
        ristretto.check_element(element)
    except TipnetError:
        return
    assert len(element) == 32


KEY = Ed25519PrivateKey.generate()


@fuzz_settings(200)
@given(data=st.data())
def test_signature_headers_verify_or_are_refused(data: Any) -> None:
    body = data.draw(st.binary(max_size=40))
    url = HOME + SIGNED_PREFIX + "/ping"
    headers = httpsig.sign_request("POST", url, {}, body, KEY, "peer-key")
    name = data.draw(st.sampled_from(["Signature-Input", "Signature", "Content-Digest", "extra"]))
    if name != "extra":
        headers[name] = data.draw(FIELD_TEXT | st.just(headers[name]))
    if data.draw(st.booleans()):
        headers[data.draw(st.text(min_size=1, max_size=6))] = data.draw(any_text)
    try:
        httpsig.verify_request(
            "POST",
            url,
            headers,
            body,
            lambda key_id: KEY.public_key() if key_id == "peer-key" else None,
            httpsig.MemoryReplayGuard(),
            now=int(time.time()),
        )
    except TipnetError as refused:
        assert refused.message.strip()


# --- bodies of signed requests ---------------------------------------------------------------


@pytest.fixture
def pair(node: Node, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    init_identity(node, "ESP", HOME)
    database = another_database(backend_of(request), tmp_path, "ita")
    with extra_node(next(database)) as asker:
        init_identity(asker, "ITA", "http://ita.test")
        befriend(node, asker)
        yield node, asker
    next(database, None)  # runs the generator to its end: drops a PostgreSQL schema


def _element() -> str:
    return base64.b64encode(oprf.blind(b"+34612345678")[1]).decode()


BODIES: dict[str, Any] = {
    "/oprf/evaluate": {"kind": "phone", "elements": [_element()]},
    "/persons/match": {"scheme": "0" * 32, "encodings": [base64.b64encode(b"x" * 128).decode()]},
    "/cooperation/requests": {
        "message_id": "6f1c1b1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f",
        "request_id": "7f1c1b1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f",
        "reference": "ref-1",
        "purpose": "investigation",
        "legal_basis": "MLA treaty",
        "urgency": "normal",
        "fields": ["selectors"],
        "requested_by": "officer",
    },
    "/cooperation/answers": {
        "message_id": "8f1c1b1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f",
        "request_id": "7f1c1b1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f",
        "decision": "refused",
        "reason": "no",
        "decided_by": "officer",
    },
}


@fuzz_settings(50)
@given(data=st.data())
def test_signed_requests_with_any_body_get_a_deliberate_answer(
    pair: tuple[Node, Node], data: Any
) -> None:
    owner, asker = pair
    path = data.draw(st.sampled_from(sorted(BODIES)))
    body = copy.deepcopy(BODIES[path])
    for _ in range(data.draw(st.integers(0, 2))):
        body[data.draw(st.sampled_from([*body, "extra"]))] = data.draw(json_values)
    content = json.dumps(body).encode()
    content = data.draw(st.just(content) | mangled(content) | st.binary(max_size=100))
    full = SIGNED_PREFIX + path
    local = local_identity(asker)
    headers = {"Content-Type": "application/json"} | httpsig.sign_request(
        "POST", HOME + full, {"Content-Type": "application/json"}, content,
        local.identity.private_key, local.node_id,
    )  # fmt: skip
    answer = owner.client.post(full, content=content, headers=headers)
    assert answer.status_code < 500, (answer.status_code, answer.text, content)
    assert answer.status_code != 401, answer.text  # the signature was right
