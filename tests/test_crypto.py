from __future__ import annotations

import os

import pytest

from tipnet.crypto import DecryptionFailed, KeyNotConfigured, Keyring


def test_round_trip_and_context_binding() -> None:
    keyring = Keyring(os.urandom(32))
    sealed = keyring.encrypt("Ana María", context="person.name")
    assert b"Ana" not in sealed
    assert keyring.decrypt(sealed, context="person.name") == "Ana María"
    with pytest.raises(DecryptionFailed):
        keyring.decrypt(sealed, context="person.date_of_birth")


def test_same_plaintext_encrypts_differently() -> None:
    keyring = Keyring(os.urandom(32))
    assert keyring.encrypt("x", context="c") != keyring.encrypt("x", context="c")


def test_tampered_ciphertext_is_refused() -> None:
    keyring = Keyring(os.urandom(32))
    sealed = bytearray(keyring.encrypt("secret", context="c"))
    sealed[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        keyring.decrypt(bytes(sealed), context="c")


@pytest.mark.parametrize("length", [1, 5, 13, 28])
def test_truncated_ciphertext_is_refused_not_a_crash(length: int) -> None:
    keyring = Keyring(os.urandom(32))
    sealed = keyring.encrypt("secret", context="c")
    with pytest.raises(DecryptionFailed):
        keyring.decrypt(sealed[:length], context="c")


def test_other_key_cannot_decrypt() -> None:
    sealed = Keyring(os.urandom(32)).encrypt("secret", context="c")
    with pytest.raises(DecryptionFailed):
        Keyring(os.urandom(32)).decrypt(sealed, context="c")


def test_blind_index_folds_case_and_spacing_but_depends_on_key_and_context() -> None:
    key = os.urandom(32)
    keyring = Keyring(key)
    assert keyring.blind_index("Ana  María", context="n") == keyring.blind_index(
        " ana maría", context="n"
    )
    assert keyring.blind_index("Ana María", context="n") != keyring.blind_index(
        "Ana Maria", context="n"
    )
    assert keyring.blind_index("x", context="a") != keyring.blind_index("x", context="b")
    assert Keyring(os.urandom(32)).blind_index("x", context="a") != keyring.blind_index(
        "x", context="a"
    )


def test_ciphertexts_name_their_key_and_a_rotating_keyring_reads_both() -> None:
    old, new = os.urandom(32), os.urandom(32)
    legacy = b"\x01" + Keyring(old).encrypt("Ana", context="c")[5:]  # as before key ids
    sealed = Keyring(old).encrypt("Ana", context="c")
    assert sealed[:1] == b"\x02" and sealed[1:5].hex() == Keyring(old).key_id
    rotating = Keyring(new, previous=old)
    assert rotating.decrypt(legacy, context="c") == rotating.decrypt(sealed, context="c") == "Ana"
    fresh = rotating.encrypt("Ana", context="c")
    assert rotating.is_current(fresh) and not rotating.is_current(sealed)
    assert not rotating.is_current(legacy)
    with pytest.raises(KeyNotConfigured, match=f"written by key {Keyring(new).key_id}"):
        Keyring(old).decrypt(fresh, context="c")


def test_blind_indexes_mid_rotation_cover_both_keys() -> None:
    old, new = os.urandom(32), os.urandom(32)
    both = Keyring(new, previous=old).blind_indexes("Ana", context="n")
    assert both == [
        Keyring(new).blind_index("Ana", context="n"),
        Keyring(old).blind_index("Ana", context="n"),
    ]
    assert Keyring(new).blind_indexes("Ana", context="n") == both[:1]


def test_the_previous_key_must_differ_from_the_current_one() -> None:
    key = os.urandom(32)
    with pytest.raises(ValueError, match="previous key is the current key"):
        Keyring(key, previous=key)
