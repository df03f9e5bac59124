import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipnet.identifiers import SelectorKind, SelectorRejected
from tipnet.identifiers.wallets import find_wallets, normalize_wallet

GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # Bitcoin genesis block address
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"  # Bitcoin wiki P2SH example
USDT_TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # USDT token contract on Tron
MONERO = (  # Monero general fund donation address
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
)
# Published in Bisq's asset tests
LITECOIN = ["Lg3PX8wRWmApFCoCMAsPF5P9dPHYQHEWKW", "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi"]
LITECOIN_BECH32 = "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz"

# BIP-350 "valid segwit addresses" test vectors
BIP350_VALID = [
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
    "BC1SW50QGDZ25J",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
    "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
]
# BIP-350 "invalid segwit addresses", with the reason our message must give
BIP350_INVALID = [
    ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "base58"),  # unknown hrp
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "needs a bech32m"),
    ("tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "needs a bech32m"),
    ("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "needs a bech32m"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "needs a bech32 checksum"),
    ("tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", "needs a bech32 checksum"),
    ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "outside the bech32"),
    ("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "witness version 17"),
    ("bc1pw5dgrnzv", "1 bytes"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", "41 bytes"),
    ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "20 or 32 bytes"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixes upper and lower"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "padding"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "padding"),
    ("bc1gmk9yu", "empty"),
]
# EIP-55 test vectors: checksummed, all caps, all lower
EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
EIP55_SINGLE_CASE = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]


def test_bitcoin_base58check() -> None:
    sel = normalize_wallet(GENESIS, source="wallets[0]")
    assert (sel.kind, sel.value, sel.raw, sel.source) == (
        SelectorKind.WALLET, f"btc:{GENESIS}", GENESIS, "wallets[0]",
    )  # fmt: skip
    assert sel.detail == {"chain": "btc", "type": "p2pkh", "checksum": "base58check verified"}
    p2sh = normalize_wallet(P2SH)
    assert (p2sh.value, p2sh.detail["type"], p2sh.detail["also_valid_on"]) == (
        f"btc:{P2SH}",
        "p2sh",
        "ltc",
    )
    assert normalize_wallet(P2SH, "litecoin").value == f"ltc:{P2SH}"


def test_base58check_typo_is_rejected_as_a_checksum_failure() -> None:
    typo = GENESIS[:-1] + "b"
    with pytest.raises(SelectorRejected, match="checksum does not match") as err:
        normalize_wallet(typo)
    assert err.value.kind is SelectorKind.WALLET and err.value.raw == typo


@pytest.mark.parametrize("address", BIP350_VALID)
def test_bip350_valid_vectors(address: str) -> None:
    sel = normalize_wallet(address)
    assert sel.value == f"btc:{address.lower()}"
    assert sel.detail["checksum"].endswith("verified")
    assert ("network" in sel.detail) is address.lower().startswith("tb1")


def test_segwit_types() -> None:
    assert normalize_wallet(BIP350_VALID[0]).detail["type"] == "p2wpkh"
    assert normalize_wallet(BIP350_VALID[1]).detail["type"] == "p2wsh"
    assert normalize_wallet(BIP350_VALID[7]).detail["type"] == "p2tr"
    assert normalize_wallet(BIP350_VALID[7]).detail["checksum"] == "bech32m verified"


@pytest.mark.parametrize(("address", "reason"), BIP350_INVALID)
def test_bip350_invalid_vectors(address: str, reason: str) -> None:
    with pytest.raises(SelectorRejected, match=reason):
        normalize_wallet(address)


@pytest.mark.parametrize("address", EIP55)
def test_eip55_vectors(address: str) -> None:
    sel = normalize_wallet(address)
    assert (sel.value, sel.detail["checksum"]) == (f"eth:{address}", "eip55 verified")
    # the same address in one case has no checksum to verify, and canonicalises to EIP-55
    for single_case in ("0x" + address[2:].lower(), "0x" + address[2:].upper()):
        sel = normalize_wallet(single_case)
        assert sel.value == f"eth:{address}"
        assert sel.detail["checksum"].startswith("absent")


@pytest.mark.parametrize("address", EIP55_SINGLE_CASE)
def test_eip55_single_case_vectors(address: str) -> None:
    sel = normalize_wallet(address)
    assert sel.value.startswith("eth:0x") and sel.value[6:].lower() == address[2:].lower()


def test_eip55_wrong_case_is_a_checksum_failure() -> None:
    flipped = EIP55[0][:-1] + EIP55[0][-1].swapcase()
    with pytest.raises(SelectorRejected, match="EIP-55 checksum"):
        normalize_wallet(flipped)


def test_tron_litecoin_monero() -> None:
    tron = normalize_wallet(USDT_TRC20, "TRC20")
    assert (tron.value, tron.detail["chain"]) == (f"trx:{USDT_TRC20}", "trx")
    for address in LITECOIN:
        assert normalize_wallet(address).value == f"ltc:{address}"
    assert normalize_wallet(LITECOIN_BECH32.upper()).value == f"ltc:{LITECOIN_BECH32}"
    monero = normalize_wallet(MONERO)
    assert monero.value == f"xmr:{MONERO}"
    assert monero.detail["checksum"] == "format only, no checksum verified"


def test_chains_aliases_prefixes_and_payment_uris() -> None:
    assert normalize_wallet(f"bitcoin:{GENESIS}?amount=0.1").value == f"btc:{GENESIS}"
    assert normalize_wallet(f"ethereum:{EIP55[0]}@1").value == f"eth:{EIP55[0]}"
    bsc = normalize_wallet(EIP55[1], "BEP20")
    assert (bsc.value, bsc.detail["network"]) == (f"eth:{EIP55[1]}", "bep20")
    assert normalize_wallet(USDT_TRC20, "usdt").value == f"trx:{USDT_TRC20}"  # token: detected


@pytest.mark.parametrize(
    ("raw", "chain", "why"),
    [
        (GENESIS, "eth", "it is a btc address, not eth"),
        (EIP55[0], "btc", "it is a eth address, not btc"),
        (GENESIS, "dogecoin", "unknown chain"),
        ("0x123", None, "exactly 40 hex"),
        ("hello world", None, "not base58"),
        ("4" + "A" * 90, "xmr", "95 \\(or 106\\)"),
    ],
)
def test_rejections_say_why(raw: str, chain: str | None, why: str) -> None:
    with pytest.raises(SelectorRejected, match=why):
        normalize_wallet(raw, chain)


def test_find_wallets_in_text() -> None:
    text = f"Pay to {GENESIS}, or {EIP55[0].lower()}. Not {GENESIS[:-1]}b nor x{GENESIS}."
    found = find_wallets(text, source="summary")
    assert [f.selector.value for f in found] == [f"btc:{GENESIS}", f"eth:{EIP55[0]}"]
    assert text[found[0].start : found[0].end] == GENESIS


@given(
    st.sampled_from(
        [
            GENESIS,
            P2SH,
            USDT_TRC20,
            MONERO,
            *LITECOIN,
            LITECOIN_BECH32,
            *BIP350_VALID,
            *EIP55,
            *EIP55_SINGLE_CASE,
        ]
    )
)
def test_wallet_normalisation_is_idempotent(address: str) -> None:
    sel = normalize_wallet(address)
    assert normalize_wallet(sel.value).value == sel.value
