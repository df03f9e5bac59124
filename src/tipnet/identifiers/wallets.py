"""Crypto wallet addresses: chain detection, checksum validation, canonical form.

========  ==========================================================  =========================
chain     formats                                                     checksum
========  ==========================================================  =========================
btc       base58check P2PKH ``1...`` / P2SH ``3...``; bech32/bech32m   verified (double SHA-256;
          ``bc1...`` (BIP-173/BIP-350); testnet ``m/n/2``, ``tb1``     BCH code of BIP-173/350)
ltc       base58check ``L...``/``M...``/``3...``; bech32 ``ltc1...``   verified
trx       base58check ``T...`` (version byte 0x41)                     verified
eth       ``0x`` + 40 hex; EVM chains (BSC, Polygon...) share it      EIP-55 when mixed case
xmr       ``4...``/``8...`` 95 chars, integrated ``4...`` 106 chars    format only, not verified
========  ==========================================================  =========================

The canonical value is ``chain:address``: bech32 lowercased, Ethereum in its EIP-55 checksummed
form, base58 as is (it is case-sensitive). A ``3...`` address is valid on both Bitcoin and
Litecoin; without a chain it is taken as Bitcoin and ``detail["also_valid_on"]`` says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace

import base58
from Crypto.Hash import keccak

from tipnet.identifiers.selectors import Found, Selector, SelectorKind, SelectorRejected, quoted

CHAINS = ("btc", "eth", "ltc", "trx", "xmr")
MAX_ADDRESS_LENGTH = 106  # an integrated Monero address; bech32 allows 90, base58check 35
_ALIASES = {
    "bitcoin": "btc", "xbt": "btc", "ethereum": "eth", "ether": "eth", "erc20": "eth",
    "litecoin": "ltc", "tron": "trx", "trc20": "trx", "monero": "xmr",
}  # fmt: skip
# EVM networks use Ethereum's address format: same key, same address, so they link as "eth".
_EVM = frozenset("bsc bep20 bnb polygon matic arbitrum optimism base avalanche avax".split())
_TOKENS = frozenset({"usdt", "usdc", "tether"})  # live on several chains: detect from the format

_BASE58_VERSIONS = {  # version byte -> (chain, type, network)
    0x00: ("btc", "p2pkh", "mainnet"), 0x05: ("btc", "p2sh", "mainnet"),
    0x6F: ("btc", "p2pkh", "testnet"), 0xC4: ("btc", "p2sh", "testnet"),
    0x30: ("ltc", "p2pkh", "mainnet"), 0x32: ("ltc", "p2sh", "mainnet"),
    0x41: ("trx", "account", "mainnet"),
}  # fmt: skip
_SEGWIT_HRPS = {"bc": ("btc", "mainnet"), "tb": ("btc", "testnet"), "ltc": ("ltc", "mainnet")}
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_MONERO = re.compile(rf"[48][{_BASE58}]{{94}}|4[{_BASE58}]{{105}}")
_HEX40 = re.compile(r"0[xX][0-9a-fA-F]{40}")
_PREFIXED = re.compile(r"([A-Za-z][A-Za-z0-9-]{1,15}):(.+)")
_LONG_TOKEN = re.compile(r"[0-9A-Za-z]{26,}+")  # every address is one; cheap to scan for
_ADDRESS = re.compile(
    r"0[xX][0-9a-fA-F]{40}"
    r"|(?i:(?:bc|ltc)1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{6,87})"
    rf"|[13LMT][{_BASE58}]{{25,34}}"  # mainnet only: testnet coins are worthless
    rf"|[48][{_BASE58}]{{94}}(?:[{_BASE58}]{{11}})?"
)

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32, _BECH32M = 1, 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class _Invalid(Exception):
    """Why an address failed; turned into a SelectorRejected with the raw value."""


def normalize_wallet(raw: str, chain: str | None = None, *, source: str = "") -> Selector:
    """Validate and canonicalise a wallet address; detect the chain when ``chain`` is None.

    Accepts ``chain:address`` and payment URIs (``bitcoin:1A1z...?amount=1``) too.
    """
    text = raw.strip()
    network = None
    prefixed = _PREFIXED.fullmatch(text)
    if prefixed and _chain_name(prefixed[1]) != "?":
        chain = chain or prefixed[1]
        text = re.split(r"[?@/]", prefixed[2], maxsplit=1)[0]
    if chain is not None:
        network = chain.strip().lower() if chain.strip().lower() in _EVM else None
        chain = _chain_name(chain)
        if chain == "?":
            known = ", ".join(CHAINS)
            message = f"unknown chain for {quoted(raw)}; use one of {known} (or omit it to detect)"
            raise SelectorRejected(SelectorKind.WALLET, raw, message)
    try:
        if len(text) > MAX_ADDRESS_LENGTH:  # before decoding: base58 decoding is quadratic
            raise _Invalid(f"it is {len(text)} characters long; no address has more than 106")
        found_chain, address, detail = _validate(text, chain)
    except _Invalid as err:
        target = f"{chain} " if chain else ""
        message = f"{quoted(raw)} is not a valid {target}wallet address: {err}"
        raise SelectorRejected(SelectorKind.WALLET, raw, message) from None
    if network:
        detail["network"] = network
    return Selector(SelectorKind.WALLET, f"{found_chain}:{address}", raw, source, detail)


def find_wallets(text: str, *, source: str = "") -> list[Found]:
    """Wallet addresses in free text; only those whose checksum (or format) holds."""
    found: list[Found] = []
    for match in _LONG_TOKEN.finditer(text):
        if not _ADDRESS.fullmatch(match.group()) or _word_char(
            text[match.start() - 1 : match.start()]
        ):
            continue
        if _word_char(text[match.end() : match.end() + 1]):
            continue
        try:
            sel = normalize_wallet(match.group(), source=source)
        except SelectorRejected:
            continue
        detail = {**sel.detail, "span": f"{match.start()}-{match.end()}"}
        found.append(Found(match.start(), match.end(), replace(sel, detail=detail)))
    return found


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _chain_name(chain: str) -> str | None:
    """Canonical chain; None for a multi-chain token (detect); "?" for an unknown name."""
    name = chain.strip().lower()
    if name in _TOKENS:
        return None
    name = "eth" if name in _EVM else _ALIASES.get(name, name)
    return name if name in CHAINS else "?"


def _validate(text: str, chain: str | None) -> tuple[str, str, dict[str, str]]:
    if _HEX40.fullmatch(text):
        return _expect(chain, _ethereum(text))
    lowered = text.lower()
    if "1" in lowered and lowered[: lowered.rfind("1")] in _SEGWIT_HRPS:
        return _expect(chain, _segwit(text))
    if chain == "xmr" or (chain is None and _MONERO.fullmatch(text)):
        if not _MONERO.fullmatch(text):
            raise _Invalid("a Monero address is 95 (or 106) base58 characters starting with 4 or 8")
        kind = (
            "integrated" if len(text) == 106 else ("subaddress" if text[0] == "8" else "standard")
        )
        detail = {"chain": "xmr", "type": kind, "checksum": "format only, no checksum verified"}
        return "xmr", text, detail
    if text.startswith(("0x", "0X")):
        raise _Invalid("an Ethereum address is 0x followed by exactly 40 hex digits")
    return _expect(chain, _base58check(text, chain))


def _expect(
    chain: str | None, found: tuple[str, str, dict[str, str]]
) -> tuple[str, str, dict[str, str]]:
    if chain is not None and found[0] != chain:
        raise _Invalid(f"it is a {found[0]} address, not {chain}")
    return found


def _ethereum(text: str) -> tuple[str, str, dict[str, str]]:
    body = text[2:]
    lower = body.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()
    checksummed = "0x" + "".join(
        ch.upper() if int(nibble, 16) >= 8 else ch
        for ch, nibble in zip(lower, digest[:40], strict=True)
    )
    if body in (lower, body.upper()):
        checksum = "absent (single case), nothing to verify"
    elif "0x" + body == checksummed:
        checksum = "eip55 verified"
    else:
        raise _Invalid("its EIP-55 checksum (the letter case) does not match: mistyped or altered")
    return "eth", checksummed, {"chain": "eth", "checksum": checksum}


def _base58check(text: str, chain: str | None) -> tuple[str, str, dict[str, str]]:
    try:
        decoded = base58.b58decode(text)
    except ValueError:
        raise _Invalid("it contains characters that are not base58") from None
    if len(decoded) != 25:
        raise _Invalid(f"it decodes to {len(decoded)} bytes, not 25")
    payload, checksum = decoded[:-4], decoded[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        raise _Invalid("its base58check checksum does not match: mistyped or altered")
    version = payload[0]
    if version not in _BASE58_VERSIONS:
        raise _Invalid(f"version byte 0x{version:02x} is not a known btc, ltc or trx address")
    found, kind, network = _BASE58_VERSIONS[version]
    detail = {"chain": found, "type": kind, "checksum": "base58check verified"}
    if network != "mainnet":
        detail["network"] = network
    if version == 0x05:  # P2SH "3..." addresses are shared by Bitcoin and Litecoin
        if chain == "ltc":
            found = detail["chain"] = "ltc"
        else:
            detail["also_valid_on"] = "ltc"
    return found, text, detail


def _segwit(text: str) -> tuple[str, str, dict[str, str]]:
    hrp, data, encoding = _bech32_decode(text)
    chain, network = _SEGWIT_HRPS[hrp]
    if not data:
        raise _Invalid("its data part is empty")
    version = data[0]
    if version > 16:
        raise _Invalid(f"witness version {version} does not exist (0-16)")
    program = _convert_bits(data[1:])
    if not 2 <= len(program) <= 40:
        raise _Invalid(f"its witness program is {len(program)} bytes (2-40 allowed)")
    if version == 0 and len(program) not in (20, 32):
        raise _Invalid("a version 0 witness program must be 20 or 32 bytes")
    if (version == 0) != (encoding == _BECH32):
        wanted = "bech32" if version == 0 else "bech32m"
        raise _Invalid(f"witness version {version} needs a {wanted} checksum (BIP-350)")
    kind = {0: "p2wpkh" if len(program) == 20 else "p2wsh", 1: "p2tr"}.get(version, "segwit")
    detail = {
        "chain": chain,
        "type": kind,
        "checksum": f"{'bech32m' if version else 'bech32'} verified",
    }
    if network != "mainnet":
        detail["network"] = network
    return chain, text.lower(), detail


def _bech32_decode(text: str) -> tuple[str, list[int], int]:
    """BIP-173/BIP-350 reference decoding: (hrp, data without checksum, checksum constant)."""
    if text.lower() != text and text.upper() != text:
        raise _Invalid("it mixes upper and lower case")
    text = text.lower()
    separator = text.rfind("1")
    if len(text) > 90 or separator + 7 > len(text):
        raise _Invalid("its length or checksum is wrong for bech32")
    hrp = text[:separator]
    if any(ch not in _CHARSET for ch in text[separator + 1 :]):
        raise _Invalid("it contains characters outside the bech32 alphabet")
    data = [_CHARSET.index(ch) for ch in text[separator + 1 :]]
    constant = _polymod(_hrp_expand(hrp) + data)
    if constant not in (_BECH32, _BECH32M):
        raise _Invalid("its bech32 checksum does not match: mistyped or altered")
    return hrp, data[:-6], constant


def _polymod(values: Sequence[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]


def _convert_bits(data: Sequence[int]) -> bytes:
    """5-bit groups to bytes, rejecting the padding BIP-173 forbids."""
    accumulator = bits = 0
    out = bytearray()
    for value in data:
        accumulator = (accumulator << 5) | value
        bits += 5
        while bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        raise _Invalid("its bech32 data has invalid padding")
    return bytes(out)
