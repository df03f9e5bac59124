"""Score and evaluate whole files: the work behind ``tipnet detect score`` and ``evaluate``.

Rows go to :func:`tipnet.detect.scoring.score_records` in chunks, the same function a Dask
worker runs on a partition. A bad row gets a result with its line and the reason; the rest of
the file is still scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tipnet.detect import evaluation, jobs, scoring, store
from tipnet.detect.accounts import SPECS
from tipnet.detect.tables import BadRow, read_rows
from tipnet.detect.training import labelled_rows
from tipnet.errors import InvalidInput

CHUNK = 5000
KINDS = (*SPECS, jobs.KIND)


@dataclass
class ScoreSummary:
    scored: int = 0
    rejected: int = 0


def score_file(
    path: Path,
    output: Path,
    *,
    file_format: str | None = None,
    job_model: Path | None = None,
    on_rows: Callable[[int], None] = lambda _done: None,
) -> ScoreSummary:
    """Write one JSON line per input row to ``output``: its line number and score or error."""
    summary = ScoreSummary()
    model = str(job_model) if job_model else None
    if job_model is not None:
        store.load(job_model)  # a broken model file fails now, not on the first job offer
    with output.open("w", encoding="utf-8") as sink:
        for chunk in _chunks(read_rows(path, file_format)):
            records = [row for _line, row in chunk if not isinstance(row, BadRow)]
            scored = iter(_score_chunk(records, model))
            for line, row in chunk:
                result = {"error": row.reason} if isinstance(row, BadRow) else next(scored)
                summary.rejected += "error" in result
                summary.scored += "error" not in result
                sink.write(json.dumps({"line": line, **result}, ensure_ascii=False) + "\n")
            on_rows(summary.scored + summary.rejected)
    return summary


def _score_chunk(records: list[dict[str, Any]], model: str | None) -> list[dict[str, Any]]:
    """Score a chunk; should one record break the scorer, the others still get their scores."""
    try:
        return scoring.score_records(records, model)
    except Exception:  # a bug hit by one row must not lose the whole file
        return [_score_alone(record, model) for record in records]


def _score_alone(record: dict[str, Any], model: str | None) -> dict[str, Any]:
    try:
        return scoring.score_record(record, model)
    except Exception as error:
        return {"error": f"could not be scored ({type(error).__name__}: {error}); please report"}


def evaluate_file(
    kind: str, path: Path, *, model: Path | None = None
) -> tuple[evaluation.Report, int, str]:
    """Metrics of a model on a labelled file in its training columns: (report, rejected, model)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    label = SPECS[kind].label if kind in SPECS else jobs.LABEL
    required = SPECS[kind].columns if kind in SPECS else jobs.COLUMNS
    model_name = _check_model(kind, model)
    data = labelled_rows(path, label=label, check=lambda _record: None, required=required)
    tagged = [{**record, "kind": kind} for record in data.records]
    results = scoring.score_records(tagged, str(model) if model else None)
    kept = [i for i, result in enumerate(results) if "error" not in result]
    if not kept:
        raise InvalidInput(f"no row of {path.name} could be scored: {results[0]['error']}")
    scores = np.array([results[i]["score"] for i in kept])
    rejected = len(data.rejected) + len(results) - len(kept)
    return evaluation.evaluate(data.labels[kept], scores), rejected, model_name


def _check_model(kind: str, model: Path | None) -> str:
    if model is not None:
        stored = store.load(model)
        if stored.kind != kind:
            raise InvalidInput(f"{model.name} is a {stored.kind} model, not {kind}")
        if kind in SPECS:
            raise InvalidInput(
                "account models are evaluated as shipped; to measure a retrained one, run "
                "`tipnet detect train`, which prints its held-out metrics"
            )
        return stored.label
    if kind == jobs.KIND:
        return f"indicator catalogue {scoring.engine().catalogue.version} (no model)"
    shipped = store.shipped(kind)
    if shipped is None:
        raise InvalidInput(f"no {kind} model ships with tipnet")
    return shipped.label


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def count_rows(path: Path, file_format: str | None = None) -> int | None:
    """Rows in the file, for a progress bar; None when counting would mean reading it twice."""
    from tipnet.detect.tables import file_format as detect_format

    kind = detect_format(path, file_format)
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except (OSError, pa.ArrowException) as error:
            raise InvalidInput(f"{path.name} is not a readable Parquet file: {error}") from None
    if path.suffix.lower() == ".gz":
        return None
    with path.open("rb") as stream:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
    return max(lines - (1 if kind == "csv" else 0), 0)
