"""The linking pipeline and the engines that run it: ``local`` (processes on this machine) and
``dask`` (a Dask cluster), running the same per-partition function.

::

    result = link("scenario/", engine="local")              # or engine="dask", scheduler="tcp://..."
    result.networks                                          # list[Network], largest first
    result.report                                            # RunReport: counts, hubs, skips, times

Stages: (1) :func:`prepare_partition` on every partition, in parallel: read the records,
extract selectors, score, sign texts, check image hashes (nearly all the cost); (2) on the
calling process, merge the blocks, find image and text near-duplicates and the other signals;
(3) hubs, components, splits (:mod:`tipnet.link.graph`); (4) network records with stable ids.

**Incremental.** :func:`save_state` keeps the prepared blocks and the item -> network
assignment; ``link(new_items, state=DIR)`` prepares only the new items, solves the graph again
over all of them (seconds at a million items, NumPy only) and keeps the earlier ids, so a grown
network keeps its id (rules in :mod:`tipnet.link.networks`). The result is the same grouping a
full run over all items would give.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from tipnet.errors import InvalidInput
from tipnet.link.graph import Clustering, GraphConfig, Overrides, cluster
from tipnet.link.items import (
    DEFAULT_PARTITION_ITEMS,
    Item,
    PartitionSpec,
    Skips,
    plan_partitions,
    read_partition,
)
from tipnet.link.networks import Network, build_networks
from tipnet.link.signals import (
    SIGNAL_KINDS,
    Corpus,
    ItemBlock,
    SignalConfig,
    SignalTable,
    build_signals,
    cache_phone_patterns,
    prepare_block,
)

ENGINES = ("local", "dask")
STATE_FORMAT = "tipnet-link-state/1"
T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[str, int, int], None]
Task = PartitionSpec | Sequence[Item]


@dataclass(frozen=True)
class LinkConfig:
    signals: SignalConfig = field(default_factory=SignalConfig)
    graph: GraphConfig = field(default_factory=GraphConfig)
    overrides: Overrides = field(default_factory=Overrides)
    items_per_partition: int = DEFAULT_PARTITION_ITEMS

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["signals"]["kinds"] = sorted(self.signals.kinds)
        data["graph"]["claimed_kinds"] = sorted(self.graph.claimed_kinds)
        data["overrides"] = {k: sorted(v) for k, v in data["overrides"].items()}
        return data


@dataclass
class RunReport:
    """What a run did: the summary the CLI prints and writes as JSON."""

    engine: str
    sources: list[str]
    partitions: int
    items: int
    items_in_networks: int
    networks: int
    transnational_networks: int
    signals: dict[str, int]  # signals shared by 2+ items, by kind
    hubs: list[dict[str, Any]]
    weak_links: dict[str, int]
    splits: list[dict[str, int]]
    skipped: dict[str, Any]
    seconds: dict[str, float]
    config: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LinkResult:
    networks: list[Network]
    report: RunReport
    corpus: Corpus
    table: SignalTable
    clustering: Clustering
    blocks: list[ItemBlock]

    def assignments(self) -> dict[str, str]:
        """Item id -> network id, for every item in a network."""
        return {item.item_id: network.id for network in self.networks for item in network.items}


class Engine(ABC):
    """Runs one function over many tasks; results come back in task order."""

    name: str

    @abstractmethod
    def map(
        self, function: Callable[[T], R], tasks: Sequence[T], done: Callable[[int], None]
    ) -> list[R]: ...

    @contextmanager
    def session(self) -> Iterator[Engine]:
        yield self


class LocalEngine(Engine):
    """Worker processes on this machine (forked, so they start in milliseconds and share what
    the parent has loaded); one worker, or one task, runs in this process."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map(
        self, function: Callable[[T], R], tasks: Sequence[T], done: Callable[[int], None]
    ) -> list[R]:
        if self.workers == 1 or len(tasks) <= 1:
            results = []
            for task in tasks:
                results.append(function(task))
                done(len(results))
            return results
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        found: dict[int, R] = {}
        with ProcessPoolExecutor(min(self.workers, len(tasks)), mp_context=context) as pool:
            futures = {pool.submit(function, task): n for n, task in enumerate(tasks)}
            for future in as_completed(futures):
                found[futures[future]] = future.result()
                done(len(found))
        return [found[n] for n in range(len(tasks))]


class DaskEngine(Engine):
    """A Dask cluster: give a ``distributed.Client`` or the scheduler's address. Partitions
    read from files are read by the workers, so the files must be at the same path there."""

    name = "dask"

    def __init__(self, scheduler: Any) -> None:
        if scheduler is None:
            raise InvalidInput("the dask engine needs --scheduler ADDRESS (tcp://host:8786)")
        self.scheduler = scheduler
        self._client: Any = scheduler if not isinstance(scheduler, str) else None

    @contextmanager
    def session(self) -> Iterator[Engine]:
        if self._client is not None:
            yield self
            return
        try:
            client = _distributed().Client(self.scheduler, timeout=30)
        except (OSError, TimeoutError) as error:
            raise InvalidInput(
                f"cannot reach the Dask scheduler at {self.scheduler}: {error}"
            ) from error
        self._client = client
        try:
            yield self
        finally:
            self._client = None
            client.close()

    def map(
        self, function: Callable[[T], R], tasks: Sequence[T], done: Callable[[int], None]
    ) -> list[R]:
        completed = _distributed().as_completed
        client = self._client
        if client is None:
            raise RuntimeError("use DaskEngine inside `with engine.session():`")
        futures = client.map(function, list(tasks), pure=False)
        for count, _ in enumerate(completed(futures), start=1):
            done(count)
        results: list[R] = client.gather(futures)
        return results


def _distributed() -> Any:
    """dask.distributed, loaded when the dask engine is used (it ships no type information)."""
    return import_module("distributed")


def make_engine(name: str | Engine, *, scheduler: Any = None, workers: int | None = None) -> Engine:
    if isinstance(name, Engine):
        return name
    if name == "local":
        return LocalEngine(workers)
    if name == "dask":
        return DaskEngine(scheduler)
    raise InvalidInput(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")


def prepare_partition(task: Task, config: SignalConfig) -> ItemBlock:
    """The per-partition function both engines run: read (or take) the items and prepare them."""
    cache_phone_patterns()  # before reading: report bodies are extracted as they are read
    if isinstance(task, PartitionSpec):
        items, skips = read_partition(task)
    else:
        items, skips = list(task), Skips()
    block = prepare_block(items, config)
    block.skips.merge(skips)
    return block


def link(
    source: Path | str | Sequence[Item],
    *,
    engine: str | Engine = "local",
    scheduler: Any = None,
    workers: int | None = None,
    config: LinkConfig | None = None,
    state: Path | str | None = None,
    previous: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> LinkResult:
    """Link the items of ``source`` (a scenario directory, a JSONL/Parquet file, or items) into
    networks. ``state``: a directory written by :func:`save_state` for an earlier run; its
    items are kept and its network ids carried over. ``previous``: item id -> network id of
    earlier networks (e.g. from the node's database), used instead of the state's."""
    config = config or LinkConfig()
    report_progress = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    tasks, sources = _tasks(source, config.items_per_partition)
    earlier_blocks, earlier = load_state(state) if state is not None else ([], {})
    if previous is not None:
        earlier = dict(previous)
    runner = make_engine(engine, scheduler=scheduler, workers=workers)
    report_progress("prepare", 0, len(tasks))
    with runner.session():
        blocks = runner.map(
            partial(prepare_partition, config=config.signals),
            tasks,
            lambda done: report_progress("prepare", done, len(tasks)),
        )
    seconds["prepare"] = time.perf_counter() - began
    return _solve(earlier_blocks + blocks, earlier, config, runner.name, sources, seconds,
                  report_progress, partitions=len(tasks))  # fmt: skip


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """The solve makes millions of small objects that all live on (network items, selector
    lists): Python's cycle collector would walk them again and again for nothing (at a million
    items it took half the time of building the networks)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_no_garbage_collection()
def _solve(
    blocks: list[ItemBlock],
    earlier: Mapping[str, str],
    config: LinkConfig,
    engine: str,
    sources: list[str],
    seconds: dict[str, float],
    progress: Progress,
    *,
    partitions: int,
) -> LinkResult:
    stage = time.perf_counter()
    progress("signals", 0, 1)
    skips = Skips()
    corpus, table = build_signals(blocks, config.signals, skips=skips)
    seconds["signals"] = _lap(stage)
    progress("signals", 1, 1)
    stage = time.perf_counter()
    progress("graph", 0, 1)
    clustering = cluster(corpus, table, config.graph, config.overrides)
    for split in clustering.splits:
        if split["still_oversized"]:
            skips.add(
                "components that community detection could not split below the size limit",
                f"{split['items']:,} items, largest part {split['largest_part']:,}",
            )
    seconds["graph"] = _lap(stage)
    progress("graph", 1, 1)
    stage = time.perf_counter()
    progress("networks", 0, 1)
    networks = build_networks(corpus, table, clustering.labels, clustering.active, earlier)
    seconds["networks"] = _lap(stage)
    progress("networks", 1, 1)
    shared = table.degrees() >= 2
    kinds = np.bincount(table.kinds[shared & clustering.active], minlength=len(SIGNAL_KINDS))
    report = RunReport(
        engine=engine,
        sources=sources,
        partitions=partitions,
        items=len(corpus),
        items_in_networks=sum(len(network.items) for network in networks),
        networks=len(networks),
        transnational_networks=sum(1 for network in networks if network.transnational),
        signals={kind: int(n) for kind, n in zip(SIGNAL_KINDS, kinds.tolist(), strict=True) if n},
        hubs=[hub.as_dict() for hub in sorted(clustering.hubs, key=lambda h: -h.items)],
        weak_links=clustering.weak_links,
        splits=clustering.splits,
        skipped=skips.as_dict(),
        seconds={name: round(value, 3) for name, value in seconds.items()},
        config=config.as_dict(),
    )
    return LinkResult(networks, report, corpus, table, clustering, blocks)


def _tasks(source: Path | str | Sequence[Item], size: int) -> tuple[list[Task], list[str]]:
    if isinstance(source, str | Path):
        planned = plan_partitions(source, items_per_partition=size)
        return list(planned.partitions), list(planned.files)
    items = list(source)
    if not all(isinstance(item, Item) for item in items):
        raise InvalidInput("give a path, or a list of tipnet.link.items.Item")
    return [items[start : start + size] for start in range(0, len(items), size)], ["<items>"]


def _lap(start: float) -> float:
    return time.perf_counter() - start


# --- state for incremental runs -------------------------------------------------------------------

_ARRAYS = (
    "kinds", "times", "country", "city", "other_rows", "other_codes", "risks", "accounts",
    "sel_rows", "sel_keys", "link_rows", "image_rows", "image_hashes", "text_rows", "signatures",
)  # fmt: skip


def save_state(result: LinkResult, directory: Path | str) -> Path:
    """Keep what a later incremental run needs: the prepared blocks (no text) and the item ->
    network assignment. NumPy arrays and JSON only: nothing executable is ever loaded back."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("block-*"):
        stale.unlink()
    for number, block in enumerate(result.blocks):
        np.savez(target / f"block-{number:05d}.npz", **{n: getattr(block, n) for n in _ARRAYS})
        strings = {
            "item_ids": block.item_ids,
            "places": block.places,
            "link_targets": block.link_targets,
            "label_keys": [str(key) for key in block.labels],
            "label_values": list(block.labels.values()),
        }
        (target / f"block-{number:05d}.json").write_text(json.dumps(strings), "utf-8")
    manifest = {"format": STATE_FORMAT, "blocks": len(result.blocks)}
    (target / "state.json").write_text(json.dumps(manifest), "utf-8")
    (target / "assignments.json").write_text(json.dumps(result.assignments()), "utf-8")
    return target


def load_state(directory: Path | str) -> tuple[list[ItemBlock], dict[str, str]]:
    source = Path(directory)
    try:
        manifest = json.loads((source / "state.json").read_text("utf-8"))
        assignments = json.loads((source / "assignments.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(
            f"{source} is not a link state directory (from --state): {error}"
        ) from error
    if manifest.get("format") != STATE_FORMAT:
        raise InvalidInput(f"{source} holds state of another format: {manifest.get('format')}")
    blocks = []
    for number in range(int(manifest["blocks"])):
        arrays = np.load(source / f"block-{number:05d}.npz", allow_pickle=False)
        strings = json.loads((source / f"block-{number:05d}.json").read_text("utf-8"))
        labels = dict(zip(map(int, strings["label_keys"]), strings["label_values"], strict=True))
        blocks.append(
            ItemBlock(
                item_ids=strings["item_ids"],
                places=strings["places"],
                link_targets=strings["link_targets"],
                labels=labels,
                **{name: arrays[name] for name in _ARRAYS},
            )
        )
    return blocks, assignments
