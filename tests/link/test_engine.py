from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipnet.errors import InvalidInput
from tipnet.link.engine import DaskEngine, LinkConfig, LinkResult, link, load_state, save_state
from tipnet.link.evaluate import evaluate, load_truth
from tipnet.link.items import Item, plan_partitions, read_partition

SMALL = LinkConfig(items_per_partition=200)  # several partitions per file


def _grouping(result: LinkResult) -> dict[str, list[str]]:
    return {n.id: [item.item_id for item in n.items] for n in result.networks}


@pytest.fixture(scope="module")
def local(scenario: Path) -> LinkResult:
    return link(scenario, engine="local", workers=2, config=SMALL)


def test_local_engine_finds_the_networks(local: LinkResult, scenario: Path) -> None:
    figures = evaluate(local.assignments(), load_truth(scenario))
    # loose floors: this is a 2,000-item scenario; benchmarks/link.py measures the goals
    assert figures.trafficking.precision >= 0.9
    assert figures.trafficking.recall >= 0.6
    assert figures.hard_negatives_in_trafficking_networks <= 5
    report = local.report
    assert report.partitions > 5 and report.items == len(local.corpus)
    assert report.networks == len(local.networks) > 0
    assert any(hub["kind"] == "phone" for hub in report.hubs)  # the helpline
    assert json.dumps(report.as_dict())  # the report is JSON-ready


def test_partitioning_and_worker_count_do_not_change_networks(
    local: LinkResult, scenario: Path
) -> None:
    single = link(scenario, engine="local", workers=1)
    assert _grouping(single) == _grouping(local)


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    from distributed import Client, LocalCluster

    # real worker processes, as on a cluster: what they get is pickled, paths read there
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local_cluster,
        Client(local_cluster) as client,
    ):
        yield client


def test_dask_engine_gives_the_same_networks(
    local: LinkResult, scenario: Path, cluster: object
) -> None:
    on_dask = link(scenario, engine="dask", scheduler=cluster, config=SMALL)
    assert on_dask.report.engine == "dask"
    assert _grouping(on_dask) == _grouping(local)
    address = cluster.scheduler.address  # type: ignore[attr-defined]
    by_address = link(scenario, engine=DaskEngine(address), config=SMALL)
    assert _grouping(by_address) == _grouping(local)


def test_dask_engine_needs_a_scheduler(scenario: Path) -> None:
    with pytest.raises(InvalidInput, match="--scheduler"):
        link(scenario, engine="dask")
    with pytest.raises(InvalidInput, match="engine must be"):
        link(scenario, engine="spark")


def test_incremental_run_keeps_ids_and_matches_a_full_run(
    local: LinkResult, scenario: Path, tmp_path: Path
) -> None:
    items = [i for spec in plan_partitions(scenario).partitions for i in read_partition(spec)[0]]
    items.sort(key=lambda item: item.time or "")
    early, late = items[: len(items) // 2], items[len(items) // 2 :]
    first = link(early, config=SMALL)
    save_state(first, tmp_path / "state")
    blocks, assignments = load_state(tmp_path / "state")
    assert sum(len(block.item_ids) for block in blocks) == len(early)
    assert assignments == first.assignments()
    second = link(late, config=SMALL, state=tmp_path / "state")
    assert len(second.corpus) == len(items)
    assert sorted(map(sorted, _grouping(second).values())) == sorted(
        map(sorted, _grouping(local).values())
    )
    before = {network.id: {i.item_id for i in network.items} for network in first.networks}
    after = {network.id: {i.item_id for i in network.items} for network in second.networks}
    kept = [
        network_id
        for network_id, members in before.items()
        if members <= after.get(network_id, set())
    ]
    grown = [network_id for network_id in kept if after[network_id] > before[network_id]]
    assert len(kept) >= 0.9 * len(before) and grown
    for network in second.networks:  # an absorbed id is listed where it went
        for absorbed in network.merged_from:
            assert absorbed in before and absorbed not in after


def test_bad_input_is_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    lines = [
        json.dumps({"item_id": "a", "text": "call +34 612 345 678 now", "country": "ESP"}),
        json.dumps({"item_id": "b", "text": "", "phones": ["+34612345678"]}),
        json.dumps({"item_id": "c", "image_pdq": ["zz" * 32, "12"]}),
        "{broken",
        json.dumps({"item_id": "d"}),
        json.dumps({"item_id": "a", "text": "again"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = link(path)
    skipped = result.report.skipped
    assert skipped["record unreadable: not valid JSON"]["count"] == 1
    assert skipped["image hashes that are not 64 hex digits (ignored)"]["count"] == 2
    assert skipped["duplicate item id (first occurrence kept)"]["count"] == 1
    assert skipped["items with no selector (linked by text or images only)"]["count"] == 2
    assert [[i.item_id for i in n.items] for n in result.networks] == [["a", "b"]]


def test_a_giant_component_is_split_and_reported() -> None:
    from tipnet.link.graph import GraphConfig

    hub = [Item(f"s{n}", fields={"phone": ("+34612345678",)}) for n in range(60)]
    limits = GraphConfig(max_network_size=20, hub_max_accounts=1000, hub_max_countries=1000)
    config = LinkConfig(graph=limits)
    result = link(hub, config=config)
    assert result.report.splits[0]["items"] == 60
    assert "components that community detection could not split below the size limit" in (
        result.report.skipped
    )


def test_ids_from_the_node_database_are_carried_over(local: LinkResult, scenario: Path) -> None:
    biggest = local.networks[0]
    earlier = {item.item_id: "Nfromthedatabase" for item in biggest.items[:-1]}  # it grew by one
    again = link(scenario, config=SMALL, previous=earlier)
    found = {network.id: network for network in again.networks}
    assert [i.item_id for i in found["Nfromthedatabase"].items] == [
        i.item_id for i in biggest.items
    ]
    assert biggest.id not in found
