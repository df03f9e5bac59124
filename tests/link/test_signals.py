from __future__ import annotations

import numpy as np
import pytest

from tipnet.link.items import Item
from tipnet.link.signals import (
    SIGNAL_KINDS,
    SignalConfig,
    SignalTable,
    build_signals,
    prepare_block,
)

TEMPLATE = (
    "Hi guys, relaxing body massage by {name}. Private apartment, incall only, clean room "
    "and hot shower. Donation 270 USD. Text or WhatsApp {phone}"
)
PDQ = "7bab89d5a3e4dfa9d5d0d0e898e0f5a1abcfecee4848c8c04246c654b04ce4fe"


def _flip(hex_hash: str, bits: int) -> str:
    value = bytearray(bytes.fromhex(hex_hash))
    for bit in range(bits):
        value[bit // 8] ^= 1 << (bit % 8)
    return value.hex()


def _members(table: SignalTable, label: str) -> set[int]:
    signal = table.labels.index(label)
    return set(table.items[table.signals == signal].tolist())


def _by_kind(table: SignalTable, kind: str) -> list[str]:
    code = SIGNAL_KINDS.index(kind)
    return [label for label, k in zip(table.labels, table.kinds, strict=True) if k == code]


def test_obfuscated_phone_in_text_meets_the_plain_one() -> None:
    items = [
        Item("a", "ad", "call six one two, 3 4 5 six seven eight", countries=("ESP",)),
        Item("b", "ad", "ring me", countries=("ESP",), fields={"phone": ("612 345 678",)}),
    ]
    corpus, table = build_signals([prepare_block(items, SignalConfig(score=False))], SignalConfig())
    assert _members(table, "phone:+34612345678") == {0, 1}


def test_platform_domains_do_not_link_by_default() -> None:
    items = [
        Item(f"i{n}", "ad", fields={"url": (f"https://adsboard.com/ad/{n}",)}) for n in range(3)
    ]
    corpus, table = build_signals([prepare_block(items, SignalConfig(score=False))], SignalConfig())
    assert not _by_kind(table, "domain")
    with_domains = SignalConfig(kinds=SignalConfig().kinds | {"domain"}, score=False)
    corpus, table = build_signals([prepare_block(items, with_domains)], with_domains)
    assert _by_kind(table, "domain") == ["domain:adsboard.com"]


def test_near_duplicate_images_share_a_signal_far_ones_do_not() -> None:
    items = [
        Item("a", images=((PDQ, 100),)),
        Item("b", images=((_flip(PDQ, 31), None),)),
        Item("c", images=((_flip(PDQ, 80), None),)),
        Item("d", images=(("not a hash", None), (PDQ.upper(), 90))),
    ]
    block = prepare_block(items, SignalConfig(score=False))
    assert block.skips.counts["image hashes that are not 64 hex digits (ignored)"] == 1
    corpus, table = build_signals([block], SignalConfig())
    (image,) = _by_kind(table, "image")
    assert _members(table, image) == {0, 1, 3}


def test_templates_share_a_text_signal_and_scores_come_from_detection() -> None:
    texts = [TEMPLATE.format(name=n, phone=f"(201) 530-65{k:02d}") for k, n in enumerate("AB")]
    items = [Item(f"t{k}", "ad", text) for k, text in enumerate(texts)]
    items.append(Item("other", "ad", "Selling a second-hand bicycle, barely used, good brakes"))
    block = prepare_block(items, SignalConfig())
    assert np.all((block.risks >= 0) & (block.risks <= 1))
    corpus, table = build_signals([block], SignalConfig())
    (text,) = _by_kind(table, "text")
    assert _members(table, text) == {0, 1}


def test_links_to_named_items_and_bad_input_is_counted() -> None:
    items = [
        Item("profile", "profile", "hello"),
        Item("m1", "message", "", links=("profile",)),
        Item("m2", "message", "", links=("nowhere",), time="yesterday"),
        Item("m2", "message", "again"),
        Item("x", countries=("Spain",)),
    ]
    block = prepare_block(items, SignalConfig(score=False))
    corpus, table = build_signals([block], SignalConfig())
    assert _members(table, "item:profile") == {0, 1}
    skipped = block.skips.counts
    assert skipped["duplicate item id (first occurrence kept)"] == 1
    assert skipped["times that are not ISO 8601 (time left unknown)"] == 1
    assert skipped["country codes that are not ISO 3166 alpha-3 (ignored)"] == 1
    assert skipped["items with no selector (linked by text or images only)"] == 4
    assert corpus.item_ids == ["profile", "m1", "m2", "x"]


def test_blocks_merge_first_occurrence_wins() -> None:
    config = SignalConfig(score=False)
    first = prepare_block([Item("a", fields={"phone": ("+34612345678",)})], config)
    second = prepare_block(
        [
            Item("a", fields={"phone": ("+34699999999",)}),
            Item("b", fields={"phone": ("+34612345678",)}),
        ],
        config,
    )
    corpus, table = build_signals([first, second], config)
    assert corpus.item_ids == ["a", "b"]
    assert _members(table, "phone:+34612345678") == {0, 1}
    assert "phone:+34699999999" not in table.labels


@pytest.mark.parametrize("score", [True, False])
def test_given_risk_is_kept(score: bool) -> None:
    block = prepare_block([Item("a", "ad", "some text here", risk=0.25)], SignalConfig(score=score))
    assert block.risks.tolist() == [0.25]
