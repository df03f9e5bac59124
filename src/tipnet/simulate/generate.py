"""Generate a scenario: plan it, draw and hash its pictures, write its items, then its truth.

Work is cut into fixed chunks with their own seeds, and part files are joined in chunk order, so
the output is the same bytes for a seed whether one process or many did the work.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from tipnet.errors import InvalidInput
from tipnet.simulate import images, output, seeds, truth
from tipnet.simulate import plan as plan_module
from tipnet.simulate.items import ItemWriter, image_id
from tipnet.simulate.output import Record
from tipnet.simulate.params import ScenarioParams
from tipnet.simulate.plan import FILE_NAMES, Plan

CHUNK_ITEMS = 10_000
CHUNK_IMAGES = 1_500
IN_PROCESS_BELOW = 30_000  # items: not worth starting processes
Progress = Callable[[str, int, int], None]
OUTPUTS = (*FILE_NAMES, "reports", "truth_items")


@dataclass(frozen=True)
class Result:
    out: Path
    counts: dict[str, int]
    files: list[str]


def generate(
    params: ScenarioParams,
    out: Path,
    *,
    file_format: str = "jsonl",
    write_images: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Result:
    """Write the scenario ``params`` describes into the directory ``out``."""
    if file_format not in output.FORMATS:
        raise InvalidInput(
            f"format must be one of {', '.join(output.FORMATS)}, not {file_format!r}"
        )
    _prepare(out)
    report = progress or (lambda _stage, _done, _total: None)
    report("planning", 0, 1)
    plan = plan_module.build(params)
    report("planning", 1, 1)
    count = _workers(workers, len(plan))
    image_dir = out / "images" if write_images else None
    if image_dir is not None:
        image_dir.mkdir(exist_ok=True)
    pictures = _run(
        count, _init_images, (plan, image_dir), _picture_task, _image_tasks(plan), "images", report
    )
    files, picture_truth = _collect_pictures(pictures)
    suffix = "jsonl" if file_format == "jsonl" else "parquet"
    output.write_records(out / f"images.{suffix}", "images", files, file_format)
    output.write_records(out / f"truth_images.{suffix}", "truth_images", picture_truth, file_format)
    parts = out / ".parts"
    parts.mkdir()
    chunks = [
        (i, s, min(s + CHUNK_ITEMS, len(plan)))
        for i, s in enumerate(range(0, len(plan), CHUNK_ITEMS))
    ]
    joiner = output.Joiner({name: out / f"{name}.{suffix}" for name in OUTPUTS}, file_format)

    def join(index: int, _counts: dict[str, int]) -> None:
        for name in OUTPUTS:
            joiner.append(name, parts / f"{name}.{index:05d}")

    try:
        counted = _run(
            count, _init_items, (plan, files, parts, file_format), _item_task, chunks, "items",
            report, on_result=join,
        )  # fmt: skip
    finally:
        joiner.close()
    counts = {name: sum(c[name] for c in counted) for name in OUTPUTS}
    parts.rmdir()
    counts["images"] = len(files)
    report("truth", 0, 1)
    output.write_json(out / "truth.json", truth.scenario_truth(plan, counts))
    names = [f"{name}.{suffix}" for name in (*OUTPUTS, "images", "truth_images")]
    names.append("truth.json")
    manifest = {
        "format": "tipnet-scenario/1",
        "parameters": params.as_dict(),
        "file_format": file_format,
        "image_files": write_images,
        "counts": counts,
        "files": sorted(names),
    }
    output.write_json(out / "scenario.json", manifest)
    report("truth", 1, 1)
    return Result(out, counts, sorted(names))


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} exists and is not a directory")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out} is not empty; give a new or empty directory")
    out.mkdir(parents=True, exist_ok=True)


def _workers(requested: int | None, items: int) -> int:
    if requested is not None:
        if requested < 1:
            raise InvalidInput(f"workers must be at least 1, got {requested}")
        return requested
    if items < IN_PROCESS_BELOW:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _run(
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    task: Callable[[Any], Any],
    jobs: Sequence[Any],
    stage: str,
    report: Progress,
    on_result: Callable[[int, Any], None] = lambda _index, _result: None,
) -> list[Any]:
    """``task`` over ``jobs``, results in job order, in this process or a pool; ``on_result``
    sees each result, in order, as soon as it and all before it are done."""
    results: list[Any] = []
    report(stage, 0, len(jobs))
    if workers == 1 or len(jobs) <= 1:
        initializer(*initargs)
        for done, job in enumerate(jobs, 1):
            results.append(_without_gc(task, job))
            on_result(done - 1, results[-1])
            report(stage, done, len(jobs))
        return results
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with context.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        for done, result in enumerate(pool.imap(partial(_without_gc, task), jobs), 1):
            results.append(result)
            on_result(done - 1, result)
            report(stage, done, len(jobs))
    return results


def _without_gc(task: Callable[[Any], Any], job: Any) -> Any:
    """Run one task with the cyclic garbage collector paused. Tasks make no reference cycles,
    and on a heap holding a whole plan the collector's passes cost a third of the time."""
    if not gc.isenabled():
        return task(job)
    gc.disable()
    try:
        return task(job)
    finally:
        gc.enable()


# --- pictures ---------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _image_tasks(plan: Plan) -> list[np.ndarray[Any, Any]]:
    used = plan.table.used
    order = used[np.lexsort((used, plan.table.source[used]))]  # originals drawn once per task
    return [order[i : i + CHUNK_IMAGES] for i in range(0, len(order), CHUNK_IMAGES)]


def _init_images(plan: Plan, image_dir: Path | None) -> None:
    _STATE.clear()
    _STATE.update(plan=plan, image_dir=image_dir)


def _picture_task(rows: np.ndarray[Any, Any]) -> list[tuple[int, Record, Record]]:
    """Draw, edit and hash one batch of pictures: (number, images row, truth_images row)."""
    plan: Plan = _STATE["plan"]
    image_dir: Path | None = _STATE["image_dir"]
    table = plan.table
    width = max(7, len(str(plan.params.scale)))
    owner_name = truth.owner_names(plan)
    sources = sorted({int(table.source[r]) for r in rows})
    drawn = images.originals(
        [seeds.derive(plan.params.seed, "image", source) for source in sources],
        [bool(table.flat[source]) for source in sources],
    )
    originals = dict(zip(sources, drawn, strict=True))
    done: list[tuple[int, Record, Record]] = []
    for row in (int(r) for r in rows):
        source = int(table.source[row])
        base, pixels = originals[source]
        edit = int(table.edit[row])
        picture = base
        if edit:
            kind = copy_kind(edit, plan.params.difficulty)
            picture = images.copy(base, pixels, edit, kind=kind)
        number = int(table.number[row])
        name = image_id(number, width)
        if image_dir is not None:
            (image_dir / f"{name}.jpg").write_bytes(picture.jpeg)
        source_number = int(table.number[source])
        file = {
            "image_id": name,
            "pdq": picture.pdq.hex(),
            "pdq_quality": picture.quality,
            "sha256": picture.sha256,
            "md5": picture.md5,
            "width": picture.width,
            "height": picture.height,
            "media_type": "image/jpeg",
            "file": f"images/{name}.jpg" if image_dir is not None else None,
        }
        lineage = {
            "image_id": name,
            "source": image_id(source_number, width) if source_number else None,
            "source_pdq": base.pdq.hex(),
            "owner": owner_name(int(table.owner[row])),
            "edits": list(picture.edits),
            "match": picture.match,
            "distance": picture.distance,
        }
        done.append((number, file, lineage))
    return done


def copy_kind(edit_seed: int, difficulty: float) -> str:
    """Mirrored and heavily cropped copies get commoner as the scenario gets harder."""
    draw = (edit_seed % 10_007) / 10_007
    mirror = 0.03 + 0.12 * difficulty
    if draw < mirror:
        return "mirror"
    return "recrop" if draw < mirror + 0.10 * difficulty else "mild"


def _collect_pictures(
    results: list[list[tuple[int, Record, Record]]],
) -> tuple[list[Record], list[Record]]:
    by_number = sorted((item for batch in results for item in batch), key=lambda item: item[0])
    return [file for _, file, _ in by_number], [lineage for _, _, lineage in by_number]


# --- items ------------------------------------------------------------------------------------


def _init_items(plan: Plan, files: list[Record], parts: Path, file_format: str) -> None:
    _STATE.clear()
    _STATE.update(writer=ItemWriter(plan, files), parts=parts, file_format=file_format)


def _item_task(job: tuple[int, int, int]) -> dict[str, int]:
    index, start, stop = job
    writer: ItemWriter = _STATE["writer"]
    chunk = writer.chunk(index, start, stop)
    parts: Path = _STATE["parts"]
    counts: dict[str, int] = {}
    outputs = {**chunk.records, "truth_items": chunk.truth}
    for name in OUTPUTS:
        records = outputs[name]
        output.write_part(parts / f"{name}.{index:05d}", name, records, _STATE["file_format"])
        counts[name] = len(records)
    return counts
