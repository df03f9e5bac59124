"""Risk scores in [0, 1] with their explanations: for reports at intake, texts, and accounts.

Everything here is pure: no database, no network, no global state but the catalogue and models
that :mod:`tipnet.detect.store` and :func:`engine` load once per process. The batch functions
take and return plain dicts and lists, so they run unchanged inside a Dask worker::

    bag.map_partitions(tipnet.detect.scoring.score_records)

A text's score combines the weights of the distinct indicators found as ``1 - prod(1 - w)``;
an account's score is its model's probability; a job offer scored with a trained model combines
both the same way. Every score comes with what produced it; bad input raises or is rejected
per row, it never turns into a silent zero.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tipnet.detect import catalogue as catalogue_module
from tipnet.detect import jobs, store
from tipnet.detect.accounts import (
    SPECS,
    AccountSpec,
    RecordRejected,
    columns_of,
    parse_many,
    parse_row,
)
from tipnet.detect.catalogue import ContentKind
from tipnet.detect.matcher import Hit, Matcher
from tipnet.reports.schemas import IncidentType, ReportCreate

if TYPE_CHECKING:
    from tipnet.detect.attribution import Attribution

MAX_TEXT_CHARS = 1_000_000
TOP_FEATURES = 3
TEXT_KINDS = {kind.value: kind for kind in ContentKind}
_INCIDENT_KINDS: dict[IncidentType, frozenset[ContentKind] | None] = {
    IncidentType.FRAUDULENT_JOB_OFFER: frozenset({ContentKind.JOB_OFFER}),
    IncidentType.FRAUDULENT_PROFILE: frozenset({ContentKind.PROFILE, ContentKind.MESSAGE}),
    IncidentType.EXPLOITATIVE_ADVERTISEMENT: frozenset({ContentKind.AD}),
    IncidentType.GROOMING_SOLICITATION: frozenset({ContentKind.MESSAGE, ContentKind.PROFILE}),
}


@dataclass(frozen=True)
class RiskAssessment:
    score: float
    explanation: dict[str, Any]


def score_report(report: ReportCreate) -> RiskAssessment:
    """Score a report at intake from its incident summary, read as the kind of content its
    incident type names (all kinds for ``other`` and ``exploitation_material``).

    Pure and fast (tens of microseconds for a typical summary); the explanation is JSON-ready:
    ``{"method", "catalogue_version", "kinds", "indicators": [{"id", "name", "weight",
    "field", "spans": [[start, end, text], ...]}], "features": (), "models": {}}``
    (sequences are lists or tuples; both are JSON arrays).
    """
    kinds = _INCIDENT_KINDS.get(report.incident.type)
    hits = engine().matcher.find(report.incident.summary, kinds)
    score = combine(hit.indicator.weight for hit in hits)
    explanation = _text_explanation(hits, kinds, field="incident.summary")
    return RiskAssessment(score, explanation)


def score_text(text: str, kind: ContentKind | None = None) -> RiskAssessment:
    """Score free text (an ad, a job offer, a profile description, a message)."""
    check_text(text)
    kinds = frozenset({kind}) if kind else None
    hits = engine().matcher.find(text, kinds)
    return RiskAssessment(
        combine(hit.indicator.weight for hit in hits), _text_explanation(hits, kinds, "text")
    )


def score_accounts(spec: AccountSpec, records: Sequence[Mapping[str, Any]]) -> list[RiskAssessment]:
    """Score well-formed account records with the shipped model of their kind, vectorised.

    Raises :class:`RecordRejected` for the first bad record: use :func:`score_records` to get
    a rejection per bad row instead.
    """
    rows = [parse_row(spec, record) for record in records]
    return _score_rows(spec, np.array(rows, dtype=np.float64).reshape(len(rows), -1))


def score_records(
    records: Sequence[Mapping[str, Any]], job_model: str | None = None
) -> list[dict[str, Any]]:
    """Score a batch of records of any kind; one result dict per record, in order.

    A record names its kind in ``kind`` (``twitter_account``, ``instagram_account``,
    ``job_offer``, ``ad``, ``profile``, ``message``) or is recognised by its fields: ``text``
    for free text, the account columns of a model, EMSCAD's columns for job offers. A result is
    ``{"kind", "score", "explanation"}`` or ``{"error"}`` for a record that cannot be scored.
    """
    results: list[dict[str, Any] | None] = [None] * len(records)
    accounts: dict[str, list[int]] = {}
    for position, record in enumerate(records):
        try:
            kind = record_kind(record)
            if kind in SPECS:
                accounts.setdefault(kind, []).append(position)
            else:
                results[position] = _score_text_record(kind, record, job_model)
        except (RecordRejected, TextRejected) as error:
            results[position] = {"error": str(error)}
    for kind, positions in accounts.items():
        spec = SPECS[kind]
        values, reasons = parse_many(spec, [records[p] for p in positions])
        good = [i for i, reason in enumerate(reasons) if not reason]
        scored = _score_rows(spec, values[good]) if good else []
        for i, assessment in zip(good, scored, strict=True):
            results[positions[i]] = _result(kind, assessment)
        for i, reason in enumerate(reasons):
            if reason:
                results[positions[i]] = {"error": reason}
    return [result or {"error": "not scored"} for result in results]


def score_record(record: Mapping[str, Any], job_model: str | None = None) -> dict[str, Any]:
    """One record; see :func:`score_records` (which is faster for many account records)."""
    return score_records([record], job_model)[0]


def record_kind(record: Mapping[str, Any]) -> str:
    kind = record.get("kind")
    if kind is not None:
        if isinstance(kind, str) and (kind in SPECS or kind in TEXT_KINDS):
            return kind
        raise RecordRejected(f"unknown kind {kind!r}; use one of {sorted([*SPECS, *TEXT_KINDS])}")
    if "text" in record:
        return "text"
    for spec in SPECS.values():
        if record.keys() >= spec.column_set:
            return spec.kind
    if any(name in record for name in jobs.TEXT_FIELDS):
        return jobs.KIND
    raise RecordRejected(
        "cannot tell what this record is: give 'kind', or 'text', or the columns of an account "
        "model, or a job offer's title/description"
    )


class TextRejected(ValueError):
    pass


def check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise TextRejected("text must be a string")
    if not text.strip():
        raise TextRejected("text is empty: paste the ad, offer, profile or message to check")
    if len(text) > MAX_TEXT_CHARS:
        raise TextRejected(
            f"text is {len(text):,} characters; the most that can be checked is "
            f"{MAX_TEXT_CHARS:,}: split it"
        )
    if "\x00" in text:
        raise TextRejected("text contains NUL characters; is it a binary file?")
    return text


def combine(weights: Iterable[float]) -> float:
    """Independent signs combined: the chance that at least one of them is right."""
    return 1.0 - math.prod(1.0 - weight for weight in weights)


@dataclass(frozen=True)
class AccountModel:
    stored: store.StoredModel
    attribution: Attribution  # from tipnet.detect.attribution (scikit-learn, loaded lazily)


class Engine:
    """The catalogue's matcher and the models, built on first use, once per process."""

    def __init__(self) -> None:
        self.catalogue = catalogue_module.load()
        self.matcher = Matcher(self.catalogue)
        self._accounts: dict[str, AccountModel] = {}

    def account_model(self, kind: str) -> AccountModel:
        # Two threads may build the same model at once; both results are equal, one is kept.
        if kind not in self._accounts:
            from tipnet.detect.attribution import Attribution

            stored = store.shipped(kind)
            if stored is None:
                raise RecordRejected(f"no {kind} model ships with this version of tipnet")
            self._accounts[kind] = AccountModel(stored, Attribution(stored.estimator))
        return self._accounts[kind]


@functools.cache
def engine() -> Engine:
    return Engine()


@functools.cache
def _job_model(path: str) -> store.StoredModel:
    return store.load(Path(path))


def _score_text_record(
    kind: str, record: Mapping[str, Any], job_model: str | None
) -> dict[str, Any]:
    if kind == jobs.KIND and "text" not in record:
        return _score_job_offer(record, job_model)
    content = TEXT_KINDS.get(kind) or TEXT_KINDS.get(str(record.get("content_kind")))
    assessment = score_text(check_text(record.get("text")), content)
    return _result(content.value if content else "text", assessment)


def _score_job_offer(record: Mapping[str, Any], job_model: str | None) -> dict[str, Any]:
    text = jobs.document(record)
    assessment = score_text(check_text(text), ContentKind.JOB_OFFER)
    if job_model is None:
        return _result(jobs.KIND, assessment)
    stored = _job_model(job_model)
    probability = jobs.probability(stored.estimator, record)
    explanation = {
        **assessment.explanation,
        "method": "model+indicators",
        "model_score": round(probability, 6),
        "terms": jobs.top_terms(stored.estimator, text),
        "models": {jobs.KIND: stored.label},
    }
    return _result(jobs.KIND, RiskAssessment(combine([assessment.score, probability]), explanation))


def _result(kind: str, assessment: RiskAssessment) -> dict[str, Any]:
    return {
        "kind": kind,
        "score": round(assessment.score, 6),
        "explanation": assessment.explanation,
    }


def _text_explanation(
    hits: list[Hit], kinds: frozenset[ContentKind] | None, field: str
) -> dict[str, Any]:
    return {
        "method": "indicators",
        "catalogue_version": engine().catalogue.version,
        "kinds": sorted(kind.value for kind in kinds) if kinds else "all",
        "indicators": [
            {
                "id": hit.indicator.id,
                "name": hit.indicator.name["en"],
                "weight": hit.indicator.weight,
                "field": field,
                "spans": [[span.start, span.end, span.text] for span in hit.spans],
            }
            for hit in hits
        ],
        "features": (),  # a tuple: one object fewer for the garbage collector per item
        "models": {},
    }


def _score_rows(spec: AccountSpec, values: np.ndarray[Any, Any]) -> list[RiskAssessment]:
    model = engine().account_model(spec.kind)
    matrix = spec.matrix(columns_of(spec, values))
    probabilities, contributions = model.attribution.explain(matrix)
    # the few features that moved each score most, picked for all rows at once
    top = np.argsort(-np.abs(contributions), axis=1)[:, :TOP_FEATURES]
    top_values = np.take_along_axis(matrix, top, axis=1).round(4).tolist()
    top_contributions = np.take_along_axis(contributions, top, axis=1).round(4).tolist()
    names = spec.feature_names
    meanings = [spec.meaning(name) for name in names]
    common = {
        "method": "model",
        "models": {spec.kind: model.stored.label},
        "bias": round(float(model.attribution.bias), 4),
    }
    return [
        RiskAssessment(
            probability,
            {
                **common,
                "features": tuple(
                    {
                        "name": names[i],
                        "meaning": meanings[i],
                        "value": value,
                        "contribution": push,
                        "towards": "fake" if push > 0 else "genuine",
                    }
                    for i, value, push in zip(indices, row_values, pushes, strict=True)
                ),
                "indicators": (),  # tuples, not lists: far fewer garbage-collector passes
            },
        )
        for probability, indices, row_values, pushes in zip(
            probabilities.tolist(), top.tolist(), top_values, top_contributions, strict=True
        )
    ]
