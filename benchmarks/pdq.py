"""Reused images: PDQ matching at Hamming distance <= 31, tipnet's multi-index hash against a
FAISS flat binary index, on the same random bank in the same run.

    .venv/bin/python benchmarks/pdq.py [--quick] [--queries 10000] [--repeats 3]

For each bank size (1M and 10M random hashes; --quick: 1M only) it plants near-duplicates
(each query is a random bank row with 0 to 31 of its bits flipped, uniformly) and prints
queries/s (best and spread of the repeats), the recall of the planted pairs (must be 100%),
build time and peak memory of the process (ru_maxrss) after tipnet's index, then after FAISS.
FAISS's flat index (``IndexBinaryFlat(256).range_search`` at radius 32, i.e. distance < 32)
compares every query with every hash, so at 10M it runs a smaller batch and its rate is per
query of that batch; both answer the same queries there, and their answers are compared.
Then ``pairs_within`` (the self-join used for linking) on 1M hashes of which 20% are
near-duplicate copies of others.

tipnet's index runs on one thread; FAISS uses all cores (OpenMP). Each part runs in a fresh
process so that its peak memory is its own. Goal (issue): 1,000 queries/s on 10M hashes within
8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt

GOAL_QPS = 1_000
GOAL_BYTES = 8 * 1024**3
MAX_DISTANCE = 31


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M hashes only")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--search", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--pairs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search:
        print(json.dumps(run_search(args.search, args.queries, args.repeats)))
        return
    if args.pairs:
        print(json.dumps(run_pairs(args.pairs, args.repeats)))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    for size in sizes:
        result = child(["--search", str(size), "--queries", str(args.queries)], args.repeats)
        report_search(size, result)
    report_pairs(child(["--pairs", "1000000"], args.repeats))
    print(f"machine: load average {os.getloadavg()[0]:.1f} at end (the machine is shared)")


def child(arguments: list[str], repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, *arguments, "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(arguments)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report_search(size: int, r: dict[str, Any]) -> None:
    ours, theirs = r["tipnet"], r["faiss"]
    print(f"\n{size:,} random PDQ hashes, {r['queries']:,} planted queries at distance 0-31:")
    print(
        f"  tipnet MIH : {rate(ours['rates'])}, {ours['cpu_rate']:,.0f} per CPU second, "
        f"recall {ours['recall']:.2%}, "
        f"build {ours['build_seconds']:.1f} s, peak memory {ours['peak_bytes'] / 2**20:,.0f} MB"
        f", layout {ours['layout']}"
    )
    print(
        f"  FAISS flat : {rate(theirs['rates'])} ({theirs['queries']:,} queries), recall "
        f"{theirs['recall']:.2%}, build {theirs['build_seconds']:.1f} s, peak memory "
        f"{theirs['peak_bytes'] / 2**20:,.0f} MB (whole process, both indexes)"
    )
    same = "identical" if r["same_answers"] else "DIFFERENT"
    print(f"  answers on FAISS's {theirs['queries']:,} queries: {same}")
    ratio = max(ours["rates"]) / max(theirs["rates"])
    print(f"  ratio tipnet / FAISS flat (best rates): {ratio:.1f}x")
    if size == 10_000_000:
        met = max(ours["rates"]) >= GOAL_QPS and ours["peak_bytes"] < GOAL_BYTES
        met = met and ours["recall"] == 1.0
        verdict = "met" if met else "missed"
        print(f"  goal (>= {GOAL_QPS:,} q/s on 10M within 8 GB, recall 100%): {verdict}")


def report_pairs(r: dict[str, Any]) -> None:
    print(
        f"\npairs_within on {r['size']:,} hashes (20% near-duplicate copies): "
        f"{seconds(r['seconds'])} (cpu {min(r['cpu_seconds']):.1f} s), {r['pairs']:,} pairs, "
        f"recall of planted pairs {r['recall']:.2%}, build {r['build_seconds']:.1f} s, "
        f"peak memory {r['peak_bytes'] / 2**20:,.0f} MB, layout {r['layout']}"
    )


def rate(rates: list[float]) -> str:
    spread = f"spread {min(rates):,.0f}-{max(rates):,.0f}"
    return f"{max(rates):,.0f} queries/s (best of {len(rates)}; {spread})"


def seconds(values: list[float]) -> str:
    return (
        f"{min(values):.1f} s (best of {len(values)}; spread {min(values):.1f}-{max(values):.1f})"
    )


# -- the measurements, each in its own process ---------------------------------------------------


def run_search(size: int, queries: int, repeats: int) -> dict[str, Any]:
    import faiss

    from tipnet.link.pdq_index import PDQIndex

    rng = np.random.default_rng(size)
    bank = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    sources, planted = plant(rng, bank, queries)

    began = time.perf_counter()
    index = PDQIndex.build(bank)
    build = time.perf_counter() - began
    rates, cpu_rates, found = [], [], None
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        found = index.search(planted, MAX_DISTANCE)
        rates.append(queries / (time.perf_counter() - began))
        cpu_rates.append(queries / (time.process_time() - began_cpu))
    assert found is not None
    ours = {
        "rates": rates,
        "cpu_rate": max(cpu_rates),
        "recall": recall(found[0], found[1], sources),
        "build_seconds": build,
        "peak_bytes": peak_bytes(),
        "layout": f"{len(index.chunk_widths)} chunks of {min(index.chunk_widths)}-"
        f"{max(index.chunk_widths)} bits",
    }

    began = time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)
    flat_build = time.perf_counter() - began
    flat_queries = min(queries, max(200, 2_000_000_000 // size))
    flat_rates, answer = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        answer = flat.range_search(planted[:flat_queries], MAX_DISTANCE + 1)
        flat_rates.append(flat_queries / (time.perf_counter() - began))
    assert answer is not None
    limits, _distances, rows = answer
    flat_query_rows = np.repeat(np.arange(flat_queries), np.diff(limits.astype(np.int64)))
    theirs = {
        "rates": flat_rates,
        "queries": flat_queries,
        "recall": recall(flat_query_rows, rows, sources[:flat_queries]),
        "build_seconds": flat_build,
        "peak_bytes": peak_bytes(),
    }
    ours_subset = found[0] < flat_queries
    same = pair_set(found[0][ours_subset], found[1][ours_subset]) == pair_set(flat_query_rows, rows)
    return {"queries": queries, "tipnet": ours, "faiss": theirs, "same_answers": same}


def run_pairs(size: int, repeats: int = 1) -> dict[str, Any]:
    from tipnet.link.pdq_index import PDQIndex

    rng = np.random.default_rng(7)
    bank = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    copies = size // 5
    sources, planted = plant(rng, bank[: size - copies], copies)
    bank[size - copies :] = planted
    began = time.perf_counter()
    index = PDQIndex.build(bank)
    build = time.perf_counter() - began
    wall, cpu, found = [], [], None
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        found = index.pairs_within(MAX_DISTANCE)
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    assert found is not None
    copy_rows = np.arange(size - copies, size)
    found_pairs = pair_set(found[0], found[1])
    planted_pairs = pair_set(np.minimum(sources, copy_rows), np.maximum(sources, copy_rows))
    return {
        "size": size,
        "seconds": wall,
        "cpu_seconds": cpu,
        "pairs": len(found[0]),
        "recall": len(planted_pairs & found_pairs) / len(planted_pairs),
        "build_seconds": build,
        "peak_bytes": peak_bytes(),
        "layout": f"{len(index.chunk_widths)} chunks",
    }


def plant(
    rng: np.random.Generator, bank: npt.NDArray[np.uint8], count: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """(source rows, copies of them with 0 to 31 bits flipped, uniformly)."""
    sources = rng.integers(0, len(bank), count)
    distances = rng.integers(0, MAX_DISTANCE + 1, count)
    flips = np.argsort(rng.random((count, 256)), axis=1) < distances[:, None]
    return sources, np.packbits(np.unpackbits(bank[sources], axis=1) ^ flips, axis=1)


def recall(query_rows: np.ndarray, bank_rows: np.ndarray, sources: np.ndarray) -> float:
    found = pair_set(query_rows, bank_rows)
    return sum((query, int(source)) in found for query, source in enumerate(sources)) / len(sources)


def pair_set(first: np.ndarray, second: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(first.tolist(), second.tolist(), strict=True))


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    main()
