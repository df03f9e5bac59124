"""Linking speed and quality: wall time and peak memory to link 100,000 and 1,000,000 generated
items (scenario generation not counted), their ratio, and the quality of the networks found.

    .venv/bin/python benchmarks/link.py [--scales 100000,1000000] [--seed 7] [--repeat 1]
                                        [--engine local|dask] [--workers N] [--quick]

Goals (issue 5): 1,000,000 items linked in under 5 minutes and 4 GB on a 2-core machine, cost
near-linear (1M / 100k time ratio under 12; 10 = linear). Reference measured in the same run:
the intake extractor alone (:func:`tipnet.identifiers.extract_selectors` on each item's fields
and text, one core), on a sample, scaled to the run's items; linking has to do at least that.

Scenarios are generated once and cached under the temporary directory, keyed by seed and scale
(``tipnet-bench-link/seed7-scale1000000``), so reruns skip generation. Each scale is linked in
a fresh process so that its peak memory (sum of the PSS of it and its workers) is its own.
``--quick`` links 20,000 and 100,000 items once.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

GOAL_SECONDS = 300.0
GOAL_BYTES = 4 * 1024**3
GOAL_RATIO = 12.0
REFERENCE_SAMPLE = 4_000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scales", default="100000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="Runs per scale (best reported).")
    parser.add_argument("--engine", default="local")
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000 items, once.")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args)))
        return
    scales = [20_000, 100_000] if args.quick else [int(s) for s in args.scales.split(",")]
    results: dict[int, list[dict[str, Any]]] = {}
    for scale in scales:
        scenario(scale, args.seed)  # generated (or found) before any timing
        for _ in range(1 if args.quick else args.repeat):
            results.setdefault(scale, []).append(_in_fresh_process(scale, args))
        _print_scale(scale, results[scale])
    _print_summary(results, scales)


def scenario(scale: int, seed: int) -> Path:
    """A generated scenario, cached by seed and scale."""
    path = Path(tempfile.gettempdir()) / "tipnet-bench-link" / f"seed{seed}-scale{scale}"
    if (path / "truth.json").is_file():
        return path
    from tipnet.simulate.generate import generate
    from tipnet.simulate.params import ScenarioParams

    print(f"generating {scale:,} items (seed {seed}) into {path} ...", flush=True)
    partial = path.with_name(path.name + ".partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    generate(ScenarioParams(seed=seed, scale=scale), partial)
    partial.rename(path)
    return path


def run_one(scale: int, args: argparse.Namespace) -> dict[str, Any]:
    from tipnet.link.engine import link
    from tipnet.link.evaluate import evaluate, load_truth

    path = scenario(scale, args.seed)
    sampler = PeakMemory()
    sampler.start()
    began = time.perf_counter()
    result = link(path, engine=args.engine, scheduler=args.scheduler, workers=args.workers)
    seconds = time.perf_counter() - began
    sampler.stop()
    figures = evaluate(result.assignments(), load_truth(path))
    return {
        "seconds": seconds,
        "peak_bytes": sampler.peak,
        "items": result.report.items,
        "networks": result.report.networks,
        "stages": result.report.seconds,
        "hubs": len(result.report.hubs),
        "reference_seconds": _reference(path, result.report.items),
        "trafficking": figures.trafficking.__dict__,
        "posters": figures.posters.__dict__,
        "hard_negatives": figures.hard_negatives_in_trafficking_networks,
        "benign_in_trafficking": figures.benign_in_trafficking_networks,
        "load": os.getloadavg()[0],
    }


def _reference(path: Path, items: int) -> float:
    """Seconds the intake extractor alone would take, on one core, for ``items`` items: timed
    on a sample of each file, weighted by the files' sizes."""
    from tipnet.identifiers import extract_selectors
    from tipnet.link.items import plan_partitions, read_partition

    source = plan_partitions(path, items_per_partition=REFERENCE_SAMPLE)
    per_file: dict[str, tuple[float, int]] = {}
    counted: dict[str, int] = {}
    for spec in source.partitions:
        counted[spec.path] = counted.get(spec.path, 0) + 1
        if spec.path in per_file:
            continue
        sample, _ = read_partition(spec)
        began = time.perf_counter()
        for item in sample:
            extract_selectors(
                fields=item.fields,
                handles=item.handles,
                texts={"text": item.text},
                region_hints=item.countries,
                platform=item.platform,
            )
        per_file[spec.path] = (time.perf_counter() - began, len(sample))
    total_rate = sum(seconds / max(n, 1) * counted[p] * n for p, (seconds, n) in per_file.items())
    sampled = sum(counted[p] * n for p, (_, n) in per_file.items())
    return total_rate / max(sampled, 1) * items


def _in_fresh_process(scale: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", str(scale), "--seed", str(args.seed)]
    command += ["--engine", args.engine]
    if args.scheduler:
        command += ["--scheduler", args.scheduler]
    if args.workers:
        command += ["--workers", str(args.workers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _print_scale(scale: int, runs: list[dict[str, Any]]) -> None:
    best = min(runs, key=lambda run: run["seconds"])
    spread = max(run["seconds"] for run in runs) - best["seconds"]
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in best["stages"].items())
    quality = best["trafficking"]
    print(
        f"{scale:>9,} items ({best['items']:,} with reports): best {best['seconds']:6.1f} s "
        f"of {len(runs)} (spread {spread:.1f} s), {best['items'] / best['seconds']:,.0f} "
        f"items/s, peak memory {best['peak_bytes'] / 1024**2:,.0f} MB, load {best['load']:.1f}\n"
        f"{'':>11}stages: {stages}\n"
        f"{'':>11}reference (intake extractor alone, one core): {best['reference_seconds']:.1f} s"
        f" -> linking takes {best['seconds'] / best['reference_seconds']:.2f}x it\n"
        f"{'':>11}trafficking networks: precision {quality['precision']:.3f}, recall "
        f"{quality['recall']:.3f}, ARI {quality['ari']:.3f}; benign items in them "
        f"{best['benign_in_trafficking']:,} (hard negatives {best['hard_negatives']:,}); "
        f"{best['networks']:,} networks, {best['hubs']:,} hubs",
        flush=True,
    )


def _print_summary(results: dict[int, list[dict[str, Any]]], scales: list[int]) -> None:
    best = {scale: min(run["seconds"] for run in runs) for scale, runs in results.items()}
    if len(scales) >= 2:
        small, large = scales[0], scales[-1]
        ratio = best[large] / best[small]
        print(
            f"{large:,} / {small:,} time ratio: {ratio:.1f} ({large / small:.0f} = linear; "
            f"goal for 1M / 100k: under {GOAL_RATIO:.0f})"
        )
    if 1_000_000 in results:
        run = min(results[1_000_000], key=lambda r: r["seconds"])
        met = run["seconds"] < GOAL_SECONDS and run["peak_bytes"] < GOAL_BYTES
        print(
            f"goal (1M in < {GOAL_SECONDS:.0f} s and < 4 GB): {'met' if met else 'missed'} "
            f"({run['seconds']:.0f} s, {run['peak_bytes'] / 1024**3:.2f} GB)"
        )
    print(f"machine: {os.cpu_count()} cores, shared with other work (load shown per run)")


class PeakMemory(threading.Thread):
    """Samples the memory of this process and its children (Linux /proc): the sum of their
    proportional set sizes, so pages shared after fork are not counted twice."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._running = True

    def run(self) -> None:
        while self._running:
            self.peak = max(self.peak, tree_pss(os.getpid()))
            time.sleep(0.1)

    def stop(self) -> None:
        self._running = False
        self.join()


def tree_pss(root: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if int(entry.name) != root and parent != root:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (OSError, IndexError, ValueError):
            continue
    return total


if __name__ == "__main__":
    main()
