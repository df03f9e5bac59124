"""Scenario generation speed: items/s at 100,000 and 1,000,000 items (hashes only, no image
files), peak memory of the whole process tree (sum of PSS), and the 1M/100k time ratio (linear
cost = 10).

    .venv/bin/python benchmarks/simulate.py [--scales 100000,1000000] [--workers N]

Goals (issue 3): 1,000,000 items in under 60 s on a 2-core machine, under 2 GB.
Each scale runs in a fresh process so that its peak memory is its own.
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

GOAL_SECONDS = 60.0
GOAL_BYTES = 2 * 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="100000,1000000")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.one, args.workers)))
        return
    results = {}
    for scale in (int(s) for s in args.scales.split(",")):
        command = [sys.executable, __file__, "--one", str(scale)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results[scale] = result
        print(
            f"{scale:>9,} items: {result['seconds']:6.1f} s, {scale / result['seconds']:8,.0f} "
            f"items/s, peak memory {result['peak_bytes'] / 1024**2:,.0f} MB "
            f"({result['workers']} processes), {result['images']:,} distinct images, "
            f"{result['reports']:,} reports, output {result['output_bytes'] / 1024**2:,.0f} MB"
        )
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["stages"].items())
        print(f"{'':>17}stages: {stages}")
    if 100_000 in results and 1_000_000 in results:
        ratio = results[1_000_000]["seconds"] / results[100_000]["seconds"]
        print(f"1M / 100k time ratio: {ratio:.1f} (10 = linear)")
    if 1_000_000 in results:
        big = results[1_000_000]
        verdict = (
            "met" if big["seconds"] < GOAL_SECONDS and big["peak_bytes"] < GOAL_BYTES else "missed"
        )
        print(f"goal (1M in < {GOAL_SECONDS:.0f} s and < 2 GB): {verdict}")
    print(f"machine: {os.cpu_count()} cores")


def run(scale: int, workers: int | None) -> dict[str, object]:
    from tipnet.simulate.generate import _workers, generate
    from tipnet.simulate.params import ScenarioParams

    sampler = PeakMemory()
    sampler.start()
    stages: dict[str, float] = {}
    began = time.perf_counter()
    last = [began]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total:
            stages[stage] = now - last[0]
            last[0] = now

    with tempfile.TemporaryDirectory(prefix="tipnet-bench-") as tmp:
        out = Path(tmp) / "scenario"
        result = generate(
            ScenarioParams(seed=7, scale=scale), out, workers=workers, progress=progress
        )
        seconds = time.perf_counter() - began
        size = sum(p.stat().st_size for p in out.iterdir())
    sampler.stop()
    return {
        "seconds": seconds,
        "peak_bytes": sampler.peak,
        "workers": workers or _workers(None, scale),
        "images": result.counts["images"],
        "reports": result.counts["reports"],
        "output_bytes": size,
        "stages": stages,
    }


class PeakMemory(threading.Thread):
    """Samples the memory of this process and its children (Linux /proc)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self._running = True

    def run(self) -> None:
        while self._running:
            self.peak = max(self.peak, tree_rss(os.getpid()))
            time.sleep(0.05)

    def stop(self) -> None:
        self._running = False
        self.join()


def tree_rss(root: int) -> int:
    """Memory of a process and its children: the sum of their proportional set sizes (PSS:
    pages shared after fork are split between the processes sharing them, not counted twice);
    resident set sizes where PSS is not available."""
    pages = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) != root and int(stat[1]) != root:
                continue
            total += _pss(entry) or int((entry / "statm").read_text().split()[1]) * pages
        except (OSError, IndexError, ValueError):
            continue
    return total


def _pss(entry: Path) -> int:
    try:
        for line in (entry / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


if __name__ == "__main__":
    main()
