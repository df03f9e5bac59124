from __future__ import annotations

import os

import pytest

from tipnet.crypto import DecryptionFailed, Keyring


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
