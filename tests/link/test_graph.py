from __future__ import annotations

import pytest

from tipnet.errors import InvalidInput
from tipnet.link.graph import Clustering, GraphConfig, Overrides, cluster
from tipnet.link.items import Item
from tipnet.link.signals import SignalConfig, build_signals, prepare_block

HOTLINE = "+18682956306"
COUNTRIES = ("ESP", "FRA", "USA", "BRA", "NGA", "THA", "ROU", "GBR", "MEX", "PRT")
PHOTO = "7bab89d5a3e4dfa9d5d0d0e898e0f5a1abcfecee4848c8c04246c654b04ce4fe"
SCRIPT = (
    "I have a very good job for you in Norway, good pay every month, travel and "
    "housing paid, send me your passport copy today so I can prepare the visa"
)


def _run(
    items: list[Item], config: GraphConfig | None = None, overrides: Overrides | None = None
) -> tuple[dict[str, int], Clustering]:
    signal_config = SignalConfig(score=False)
    corpus, table = build_signals([prepare_block(items, signal_config)], signal_config)
    result = cluster(corpus, table, config or GraphConfig(), overrides or Overrides())
    group = dict(zip(corpus.item_ids, result.labels.tolist(), strict=True))
    return group, result


def _hotline_items() -> list[Item]:
    return [
        Item(f"h{n}", "ad", countries=(COUNTRIES[n % 10],), fields={"phone": (HOTLINE,)},
             handles=(("account", f"poster{n}", "adsboard"),))
        for n in range(25)
    ]  # fmt: skip


def _burner_items() -> list[Item]:
    return [
        Item(f"b{n}", "ad", countries=("ESP",), fields={"phone": ("+34612345678",)})
        for n in range(3)
    ]


def test_hotline_is_a_hub_burner_is_not() -> None:
    group, result = _run(_hotline_items() + _burner_items())
    assert len({group[f"h{n}"] for n in range(25)}) == 25
    assert len({group[f"b{n}"] for n in range(3)}) == 1
    (hub,) = result.hubs
    assert (hub.kind, hub.value, hub.items, hub.decision) == ("phone", HOTLINE, 25, "dropped")
    assert "countries" in hub.reason and hub.countries == 10 and hub.accounts == 25


def test_accounts_alone_make_a_hub() -> None:
    config = GraphConfig(hub_max_accounts=5, hub_max_countries=50)
    _, result = _run(_hotline_items(), config)
    assert "accounts" in result.hubs[0].reason


def test_overrides_keep_a_hub_and_drop_a_signal() -> None:
    overrides = Overrides(
        keep=frozenset({f"phone:{HOTLINE}"}), drop=frozenset({"phone:+34612345678"})
    )
    group, result = _run(_hotline_items() + _burner_items(), overrides=overrides)
    assert len({group[f"h{n}"] for n in range(25)}) == 1
    assert len({group[f"b{n}"] for n in range(3)}) == 3
    decisions = {hub.value: hub.decision for hub in result.hubs}
    assert decisions == {HOTLINE: "kept by override", "+34612345678": "dropped by override"}
    with pytest.raises(InvalidInput, match="both kept and dropped"):
        Overrides(keep=frozenset({"a:b"}), drop=frozenset({"a:b"}))


def _core(name: str, risk: float, *, photo: bool = True, script: bool = False) -> list[Item]:
    """Two items of one poster (same phone), one showing the photo and/or the script."""
    phone = {"phone": (f"+3461{abs(hash(name)) % 10_000_000:07d}",)}
    first = Item(f"{name}1", "ad", SCRIPT if script else "", countries=("ESP",), fields=phone,
                 images=((PHOTO, 100),) if photo else (), risk=risk)  # fmt: skip
    return [first, Item(f"{name}2", "ad", countries=("ESP",), fields=phone, risk=risk)]


def test_a_photo_joins_cores_on_the_same_risk_side_only() -> None:
    group, result = _run(_core("net", 0.8) + _core("person", 0.0) + _core("more", 0.6))
    assert group["net1"] == group["more2"] != group["person1"]
    assert result.weak_links["single weak signal, same risk side"] == 1


def test_a_photo_and_a_template_together_cross_risk_sides() -> None:
    items = _core("net", 0.8, script=True) + _core("person", 0.0, script=True)
    group, _ = _run(items)
    assert group["net1"] == group["person2"]
    group, _ = _run(items, GraphConfig(text_mode="off"))
    assert group["net1"] != group["person2"]


@pytest.mark.parametrize(("mode", "joined"), [("corroborate", False), ("link", True)])
def test_a_template_alone_links_only_in_link_mode(mode: str, joined: bool) -> None:
    items = _core("a", 0.8, photo=False, script=True) + _core("b", 0.7, photo=False, script=True)
    group, _ = _run(items, GraphConfig(text_mode=mode))
    assert (group["a1"] == group["b1"]) is joined


def test_oversized_components_are_split_at_their_bridge() -> None:
    items = []
    for code, side in enumerate("LR"):
        for n in range(12):
            # a dense side: an email on every item, a phone on each three
            fields = {"phone": (f"+346123{code}{n // 3:02d}00",), "email": (f"{side}@mail.com",)}
            items.append(Item(f"{side}{n}", fields=fields))
    items.append(Item("bridge", fields={"email": ("L@mail.com", "R@mail.com")}))
    group, result = _run(items, GraphConfig(max_network_size=15))
    assert len({group[f"L{n}"] for n in range(12)}) == 1
    assert len({group[f"R{n}"] for n in range(12)}) == 1
    assert group["L0"] != group["R0"]
    assert result.splits[0]["items"] == 25 and result.splits[0]["still_oversized"] == 0


def test_a_star_that_cannot_be_split_is_reported() -> None:
    items = [Item(f"s{n}", fields={"phone": ("+34612345678",)}) for n in range(12)]
    group, result = _run(items, GraphConfig(max_network_size=5, hub_max_degree=100))
    assert result.splits and result.splits[0]["items"] == 12
    assert result.splits[0]["still_oversized"] >= 1


def test_a_website_is_a_claim_joining_cores_on_the_same_risk_side_only() -> None:
    site = {"url": ("https://www.nova-talent.com",)}

    def core(name: str, risk: float) -> list[Item]:
        phone = (f"+3461{abs(hash(name)) % 10_000_000:07d}",)
        return [Item(f"{name}{n}", fields={**site, "phone": phone}, risk=risk) for n in (1, 2)]

    group, _ = _run(core("fake", 0.8) + core("agency", 0.0) + core("burner", 0.7))
    assert group["fake1"] == group["burner1"] != group["agency1"]
    group, _ = _run(core("fake", 0.8) + core("agency", 0.0), GraphConfig(claimed_kinds=frozenset()))
    assert group["fake1"] == group["agency1"]  # a strong signal when not treated as a claim
