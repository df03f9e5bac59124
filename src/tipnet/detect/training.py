"""Train a fake-account model and measure it, beside a plain baseline, on data it never saw.

Measurement is repeated stratified k-fold cross-validation (5 x 5 by default): in each repeat
every row is scored by a model fitted without it, and the out-of-fold scores give precision,
recall, F1 and ROC AUC, averaged over the repeats, with bootstrap 95% intervals over the rows.
Any choice a model makes (the blend's weight and regularisation) is made inside its fit, on the
training folds only; the decision threshold is fixed at 0.5. In the same folds a plain
gradient-boosting model (scikit-learn defaults) is fitted on the raw columns of the file, every
column but the label, dates as timestamps; the F1 difference gets a paired bootstrap interval.
The model that ships is then fitted on every row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from tipnet.detect import evaluation
from tipnet.detect.accounts import AccountSpec, RecordRejected, parse_records
from tipnet.detect.tables import BadRow, header, read_rows
from tipnet.errors import InvalidInput

FOLDS = 5
REPEATS = 5
MIN_ROWS = 20
Matrix = NDArray[np.float64]


@dataclass
class LabelledRows:
    records: list[dict[str, Any]]
    labels: NDArray[np.int_]
    rejected: list[BadRow] = field(default_factory=list)


@dataclass
class Training:
    estimator: Any
    ours: evaluation.Report
    baseline: evaluation.Report | None
    f1_gain: evaluation.Estimate | None
    rows: int
    rejected: list[BadRow]
    seconds: float
    metadata: dict[str, Any]


def labelled_rows(
    path: Path, *, label: str, check: Callable[[dict[str, Any]], None], required: Iterable[str]
) -> LabelledRows:
    """Rows with a 0/1 label that pass ``check``; the others are kept as rejections."""
    columns = header(path)
    missing = [name for name in [label, *required] if columns and name not in columns]
    if missing:
        raise InvalidInput(f"{path.name} lacks the columns {missing}")
    result = LabelledRows([], np.zeros(0, dtype=np.int_))
    labels: list[int] = []
    for line, row in read_rows(path):
        if isinstance(row, BadRow):
            result.rejected.append(row)
            continue
        try:
            value = _label(row, label)
            check(row)
        except RecordRejected as error:
            result.rejected.append(BadRow(line, str(error)))
            continue
        labels.append(value)
        result.records.append(row)
    result.labels = np.asarray(labels, dtype=np.int_)
    _enough(result, path)
    return result


def train_account_model(
    spec: AccountSpec, path: Path, *, folds: int = FOLDS, repeats: int = REPEATS
) -> Training:
    started = time.perf_counter()

    def check(record: dict[str, Any]) -> None:
        parse_records(spec, [record])

    data = labelled_rows(path, label=spec.label, check=check, required=spec.columns)
    features = spec.matrix(parse_records(spec, data.records))
    raw = raw_matrix(data.records, exclude={spec.label})
    splits = repeated_splits(data.labels, folds, repeats)
    ours = repeated_out_of_fold(spec.estimator, features, data.labels, splits)
    plain = repeated_out_of_fold(
        lambda: GradientBoostingClassifier(random_state=0), raw, data.labels, splits
    )
    estimator = spec.estimator().fit(features, data.labels)
    ours_report = evaluation.evaluate(data.labels, ours)
    baseline_report = evaluation.evaluate(data.labels, plain)
    gain = evaluation.compare_f1(data.labels, ours, plain)
    metadata = {
        **provenance(path, data, folds, repeats),
        "features": list(spec.feature_names),
        "not_used": spec.not_used,
        "estimator": type(estimator).__name__,
        "parameters": {k: _jsonable(v) for k, v in estimator.get_params().items()},
        "threshold": 0.5,
        "metrics": ours_report.as_dict(),
        "baseline": {"description": BASELINE, "metrics": baseline_report.as_dict()},
        "f1_gain_over_baseline": gain.as_dict(),
    }
    return Training(
        estimator,
        ours_report,
        baseline_report,
        gain,
        len(data.records),
        data.rejected,
        time.perf_counter() - started,
        metadata,
    )


BASELINE = (
    "GradientBoostingClassifier with scikit-learn defaults on every raw column of the file but "
    "the label (dates as Unix timestamps), same folds"
)


Split = tuple[NDArray[np.int_], NDArray[np.int_]]


def repeated_splits(labels: NDArray[np.int_], folds: int, repeats: int) -> list[list[Split]]:
    """Per repeat, a stratified k-fold split of the rows, each repeat shuffled differently."""
    rows = np.zeros((len(labels), 1))
    return [
        list(StratifiedKFold(folds, shuffle=True, random_state=repeat).split(rows, labels))
        for repeat in range(repeats)
    ]


def out_of_fold(
    make: Callable[[], Any], matrix: Any, labels: NDArray[np.int_], splits: list[Split]
) -> Matrix:
    """Each row's score from a model fitted on the other folds."""
    scores = np.zeros(len(labels), dtype=np.float64)
    for train, test in splits:
        model = make().fit(_take(matrix, train), labels[train])
        scores[test] = model.predict_proba(_take(matrix, test))[:, 1]
    return scores


def repeated_out_of_fold(
    make: Callable[[], Any], matrix: Any, labels: NDArray[np.int_], splits: list[list[Split]]
) -> Matrix:
    """(repeats x rows): :func:`out_of_fold` once per repeat of the split."""
    return np.array([out_of_fold(make, matrix, labels, folds) for folds in splits])


def raw_matrix(records: list[dict[str, Any]], *, exclude: set[str]) -> Matrix:
    """Every column as a number, dates as timestamps: what a plain baseline is fitted on."""
    names = [name for name in records[0] if name not in exclude]
    matrix = np.array([[_number(record.get(name)) for name in names] for record in records])
    filled: Matrix = np.nan_to_num(matrix, nan=-1.0)
    return filled  # the plain model takes no missing values


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    for pattern in ("%a %b %d %H:%M:%S %z %Y", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(str(value), pattern).timestamp()
        except ValueError:
            continue
    return float("nan")


def _take(matrix: Any, rows: NDArray[np.int_]) -> Any:
    return [matrix[i] for i in rows] if isinstance(matrix, list) else matrix[rows]


def _label(record: dict[str, Any], label: str) -> int:
    value = str(record.get(label, "")).strip().lower()
    if value in ("1", "1.0", "true", "t"):
        return 1
    if value in ("0", "0.0", "false", "f"):
        return 0
    raise RecordRejected(f"{label} must be 0 or 1, not {record.get(label)!r}")


def _enough(data: LabelledRows, path: Path) -> None:
    if len(data.records) < MIN_ROWS or len(set(data.labels.tolist())) < 2:
        reasons = "; ".join(f"line {bad.line}: {bad.reason}" for bad in data.rejected[:5])
        raise InvalidInput(
            f"{path.name}: {len(data.records)} usable rows; training needs at least {MIN_ROWS} "
            f"with both labels present" + (f" (rejected: {reasons})" if reasons else "")
        )


def provenance(path: Path, data: LabelledRows, folds: int, repeats: int = 1) -> dict[str, Any]:
    return {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data_file": path.name,
        "data_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": len(data.records),
        "positives": int(data.labels.sum()),
        "rejected_rows": len(data.rejected),
        "evaluation": (
            f"stratified {folds}-fold cross-validation, out-of-fold scores"
            if repeats == 1
            else f"stratified {folds}-fold cross-validation repeated {repeats} times with "
            "different shuffles, out-of-fold scores, metrics averaged over the repeats"
        )
        + f"; bootstrap 95% intervals over {evaluation.RESAMPLES} resamples of the rows",
        "sklearn_version": sklearn.__version__,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    return value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)
