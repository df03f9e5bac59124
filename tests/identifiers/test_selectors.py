import pickle

import pytest

from tipnet.errors import InvalidInput
from tipnet.identifiers import Selector, SelectorKind, SelectorRejected


def test_selector_equality_includes_detail_but_hash_does_not() -> None:
    a = Selector(SelectorKind.PHONE, "+34612345678", "612 34 56 78", "f[0]", {"region": "ES"})
    b = Selector(SelectorKind.PHONE, "+34612345678", "612 34 56 78", "f[0]", {"region": "FR"})
    assert a != b
    assert hash(a) == hash(b)
    assert {a, b} == {a, b}  # usable in sets despite the dict field
    assert a.key == b.key == (SelectorKind.PHONE, "+34612345678")


def test_selector_is_frozen() -> None:
    sel = Selector(SelectorKind.EMAIL, "a@example.com", "A@example.com")
    with pytest.raises(AttributeError):
        sel.value = "b@example.com"  # type: ignore[misc]


def test_selector_kind_is_a_str_enum() -> None:
    assert SelectorKind("wallet") is SelectorKind.WALLET
    assert f"{SelectorKind.URL}" == "url"


def test_rejection_is_a_value_error_and_an_api_error() -> None:
    err = SelectorRejected(SelectorKind.PHONE, "+34 12", "'+34 12' is too short")
    assert isinstance(err, ValueError)
    assert isinstance(err, InvalidInput)
    assert err.status_code == 422
    assert (err.kind, err.raw, err.message, str(err)) == (
        SelectorKind.PHONE,
        "+34 12",
        "'+34 12' is too short",
        "'+34 12' is too short",
    )


def test_selectors_and_rejections_pickle_for_dask() -> None:
    sel = Selector(SelectorKind.WALLET, "btc:x", "x", "s", {"chain": "btc"})
    assert pickle.loads(pickle.dumps(sel)) == sel
    err = pickle.loads(pickle.dumps(SelectorRejected(SelectorKind.URL, "raw", "why")))
    assert (err.kind, err.raw, err.message) == (SelectorKind.URL, "raw", "why")
