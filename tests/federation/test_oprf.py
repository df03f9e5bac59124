"""The RFC 9497 OPRF (ristretto255-SHA512) against the RFC's vectors, and the batch API and token
set the federation builds on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tipnet.errors import InvalidInput
from tipnet.federation import oprf, ristretto

VECTORS = json.loads((Path(__file__).parent / "rfc9497_vectors.json").read_text())
RFC_KEY = oprf.derive_server_key(bytes.fromhex(VECTORS["seed"]), bytes.fromhex(VECTORS["keyInfo"]))

# Invalid encodings from RFC 9496 section A.2: non-canonical field elements, a negative one.
BAD_ELEMENTS = [
    bytes(32),  # the identity
    bytes.fromhex("00" + "ff" * 31),
    bytes.fromhex("ed" + "ff" * 30 + "7f"),
    bytes.fromhex("01" + "00" * 31),
    bytes(31),
    b"\x01" * 33,
]


def hexes(vector: dict[str, str], *names: str) -> list[bytes]:
    return [bytes.fromhex(vector[name]) for name in names]


def phones(count: int, start: int = 0) -> list[bytes]:
    return [f"phone:+4477009{number:06d}".encode() for number in range(start, start + count)]


@pytest.fixture(scope="module", autouse=True)
def _stop_pools() -> Iterator[None]:
    yield
    oprf.close_worker_pools()


def test_context_string_is_the_rfcs() -> None:
    assert oprf.CONTEXT_STRING == b"OPRFV1-\x00-ristretto255-SHA512"


def test_derive_key_pair_gives_the_rfc_key() -> None:
    assert RFC_KEY.secret.hex() == VECTORS["skSm"]
    assert RFC_KEY.public == ristretto.scalar_mult_base(RFC_KEY.secret)
    assert VECTORS["skSm"] not in repr(RFC_KEY)


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=["input-00", "input-5a*17"])
def test_rfc9497_vector_every_step(vector: dict[str, str]) -> None:
    selector, blind, blinded, evaluated, output = hexes(
        vector, "Input", "Blind", "BlindedElement", "EvaluationElement", "Output"
    )
    chosen, blinded_element = oprf.blind(selector, blind)
    assert (chosen, blinded_element) == (blind, blinded)
    assert oprf.blind_evaluate(RFC_KEY, blinded_element) == evaluated
    assert oprf.finalize(selector, blind, evaluated) == output
    assert oprf.evaluate(RFC_KEY, selector) == output


def test_batch_functions_reproduce_the_rfc_vectors() -> None:
    columns = [
        hexes(v, "Input", "Blind", "BlindedElement", "EvaluationElement", "Output")
        for v in VECTORS["vectors"]
    ]
    selectors, blinds, blinded, evaluated, outputs = (list(c) for c in zip(*columns, strict=True))
    assert oprf.evaluate_batch(RFC_KEY, blinded) == evaluated
    state = oprf.BlindState(tuple(selectors), tuple(blinds))
    assert oprf.finalize_batch(state, evaluated) == outputs
    assert oprf.owner_tokens(RFC_KEY, selectors) == [o[: oprf.TOKEN_BYTES] for o in outputs]


@pytest.mark.parametrize("case", VECTORS["expand_message_xmd_sha512"]["cases"])
def test_expand_message_xmd_rfc9380_vectors(case: dict[str, Any]) -> None:
    dst = VECTORS["expand_message_xmd_sha512"]["dst"].encode()
    expanded = oprf.expand_message_xmd(case["msg"].encode(), dst, case["len"])
    assert expanded.hex() == case["uniform_bytes"]


def test_hash_to_group_and_scalar_follow_their_definitions() -> None:
    dst = b"HashToGroup-" + oprf.CONTEXT_STRING
    for message in (b"", b"x", b"phone:+447700900123" * 20):
        uniform = oprf.expand_message_xmd(message, dst, 64)
        assert oprf.hash_to_group(message) == ristretto.element_from_hash(uniform)
        wide = oprf.expand_message_xmd(message, b"HashToScalar-" + oprf.CONTEXT_STRING, 64)
        reduced = int.from_bytes(wide, "little") % ristretto.GROUP_ORDER
        assert oprf.hash_to_scalar(message) == reduced.to_bytes(32, "little")


def test_querier_finds_exactly_the_planted_hits() -> None:
    owner_selectors = phones(400)
    key = oprf.generate_server_key()
    published = oprf.TokenSet(oprf.owner_tokens(key, owner_selectors, workers=1))
    planted = owner_selectors[::37]
    asked = phones(150, start=10_000) + planted
    state, blinded = oprf.blind_batch(asked, workers=1)
    evaluated = oprf.evaluate_batch(key, blinded, workers=1)
    assert oprf.find_hits(state, evaluated, published, workers=1) == planted

    other_key = oprf.generate_server_key()
    answered_by_other = oprf.evaluate_batch(other_key, blinded, workers=1)
    assert oprf.find_hits(state, answered_by_other, published, workers=1) == []


def test_blinding_hides_the_selector() -> None:
    selector = b"email:someone@example.org"
    first_blind, first = oprf.blind(selector)
    second_blind, second = oprf.blind(selector)
    assert first != second and first_blind != second_blind
    assert first != oprf.hash_to_group(selector)
    state, batch = oprf.blind_batch([selector, selector])
    assert batch[0] != batch[1] and first not in batch
    outputs = [
        oprf.finalize(selector, first_blind, oprf.blind_evaluate(RFC_KEY, first)),
        oprf.finalize(selector, second_blind, oprf.blind_evaluate(RFC_KEY, second)),
        *oprf.finalize_batch(state, oprf.evaluate_batch(RFC_KEY, batch)),
    ]
    assert set(outputs) == {oprf.evaluate(RFC_KEY, selector)}


@pytest.mark.parametrize("element", BAD_ELEMENTS, ids=lambda e: e.hex()[:8] + f"/{len(e)}")
def test_invalid_points_are_rejected(element: bytes) -> None:
    with pytest.raises(InvalidInput):
        oprf.blind_evaluate(RFC_KEY, element)
    with pytest.raises(InvalidInput):
        oprf.evaluate_batch(RFC_KEY, [oprf.blind(b"ok")[1], element])
    with pytest.raises(InvalidInput):
        oprf.finalize(b"ok", ristretto.random_scalars(1)[0], element)
    state, _ = oprf.blind_batch([b"a", b"b"])
    with pytest.raises(InvalidInput):
        oprf.finalize_batch(state, [oprf.blind(b"ok")[1], element])


def test_bad_inputs_get_clear_errors() -> None:
    order = ristretto.GROUP_ORDER.to_bytes(32, "little")
    with pytest.raises(InvalidInput, match="selector"):
        oprf.blind(b"x" * (oprf.MAX_INPUT_BYTES + 1))
    with pytest.raises(InvalidInput, match="selector 1"):
        oprf.owner_tokens(RFC_KEY, [b"fine", "not bytes"])  # type: ignore[list-item]
    for blind in (bytes(32), order, b"short"):
        with pytest.raises(InvalidInput, match="blind"):
            oprf.blind(b"x", blind)
    for secret in (bytes(32), order):
        with pytest.raises(InvalidInput, match="key"):
            oprf.ServerKey(secret)
    with pytest.raises(InvalidInput, match="seed"):
        oprf.derive_server_key(b"too short", b"info")
    with pytest.raises(InvalidInput, match="workers"):
        oprf.owner_tokens(RFC_KEY, [b"x"], workers=0)
    state, blinded = oprf.blind_batch([b"a", b"b"])
    with pytest.raises(InvalidInput, match="1 evaluated elements for 2"):
        oprf.finalize_batch(state, blinded[:1])
    with pytest.raises(InvalidInput, match="token 0 .* to_token"):
        oprf.TokenSet().contains_many([b"x" * 64])
    with pytest.raises(InvalidInput, match="token 1 "):
        oprf.TokenSet().add([b"x" * 16, b"y" * 15, b"z" * 17])
    with pytest.raises(InvalidInput, match="token 2 "):
        oprf.TokenSet().add([b"x" * 16, b"y" * 16, "z" * 16])  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="element 0"):
        oprf.evaluate_batch(RFC_KEY, ["x" * 32])  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="2 selectors with 1 blinds"):
        oprf.BlindState((b"a", b"b"), state.blinds[:1])


def test_worker_processes_give_the_single_process_results() -> None:
    selectors = phones(700)
    single = oprf.owner_tokens(RFC_KEY, selectors, workers=1)
    assert oprf.owner_tokens(RFC_KEY, selectors, workers=2) == single
    assert single[:20] == [oprf.to_token(oprf.evaluate(RFC_KEY, s)) for s in selectors[:20]]

    state, blinded = oprf.blind_batch(selectors, workers=2)
    evaluated = oprf.evaluate_batch(RFC_KEY, blinded, workers=2)
    assert evaluated == oprf.evaluate_batch(RFC_KEY, blinded, workers=1)
    outputs = oprf.finalize_batch(state, evaluated, workers=2)
    assert outputs == oprf.finalize_batch(state, evaluated, workers=1)
    assert [oprf.to_token(o) for o in outputs] == single


def test_batch_inversion_matches_one_at_a_time() -> None:
    scalars = ristretto.random_scalars(9)
    assert ristretto.invert_many(scalars) == [ristretto.scalar_invert(s) for s in scalars]
    assert ristretto.invert_many([]) == []


def test_token_set_membership_and_versions() -> None:
    tokens = oprf.owner_tokens(RFC_KEY, phones(50))
    published = oprf.TokenSet()
    assert published.version == 0 and not published.contains_many(tokens[:1])[0]
    assert published.add(tokens[:30]) == 1
    assert published.add(tokens[:10]) == 1  # nothing new, no new version
    assert published.add(tokens[25:]) == 2
    assert len(published) == 50
    assert published.contains_many(tokens) == [True] * 50
    assert published.remove(tokens[:5] + [b"\x00" * 16]) == 3
    assert published.contains_many(tokens[:6]) == [False] * 5 + [True]
    assert tokens[5] in published and tokens[0] not in published and "text" not in published
    assert published.nbytes >= len(published) * oprf.TOKEN_BYTES


def test_token_set_syncs_incrementally() -> None:
    tokens = oprf.owner_tokens(RFC_KEY, phones(60))
    owner = oprf.TokenSet(tokens[:20])
    peer = oprf.TokenSet()
    peer.apply(owner.changes_since(peer.version))
    owner.add(tokens[20:40])
    owner.remove(tokens[:3])
    owner.add(tokens[:1])  # withdrawn, then published again
    delta = owner.changes_since(peer.version)
    assert delta.base_version == 1 and delta.version == owner.version == 4
    assert len(delta.changes) == 3
    peer.apply(delta)
    assert peer.version == owner.version
    assert peer.contains_many(tokens) == owner.contains_many(tokens)
    assert peer.contains_many(tokens[:4]) == [True, False, False, True]
    with pytest.raises(InvalidInput, match="changes_since\\(4\\)"):
        peer.apply(delta)
    with pytest.raises(InvalidInput, match="version"):
        owner.changes_since(5)
    fresh = oprf.TokenSet()
    fresh.apply(peer.changes_since(0))
    assert fresh.version == owner.version and len(fresh) == len(owner) == 38
    assert owner.changes_since(owner.version).changes == ()
