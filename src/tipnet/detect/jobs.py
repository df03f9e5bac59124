"""Fraudulent job offers: a text model that takes EMSCAD's published columns.

No real labelled job-offer data ships with tipnet (the public EMSCAD set, Vidros et al. 2017,
could not be obtained); job offers are scored with the indicator catalogue. An agency that has
EMSCAD, or its own labelled offers in the same columns, trains a model with
``tipnet detect train job_offer --data FILE`` and scores with it through ``--model``.

The model reads one document per offer: the free-text fields, then one token per flag and
category ("xxflaghascompanylogo0"), hashed (no vocabulary to store, nothing to leak) into a
logistic regression whose weights say which words pushed an offer up.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tipnet.detect.accounts import RecordRejected

if TYPE_CHECKING:  # scikit-learn is imported only when a job-offer model is used
    from sklearn.pipeline import Pipeline

    from tipnet.detect.training import Training

KIND = "job_offer"
LABEL = "fraudulent"
TEXT_FIELDS = ("title", "company_profile", "description", "requirements", "benefits")
FLAGS = ("telecommuting", "has_company_logo", "has_questions")
CATEGORIES = (
    "employment_type",
    "required_experience",
    "required_education",
    "industry",
    "function",
)
COLUMNS = TEXT_FIELDS + FLAGS + CATEGORIES
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def document(record: Mapping[str, Any]) -> str:
    """The text the model reads for one offer; rejects an offer with no text at all."""
    texts = [str(record.get(name) or "").strip() for name in TEXT_FIELDS]
    if not any(texts):
        raise RecordRejected(f"a job offer needs text in at least one of {', '.join(TEXT_FIELDS)}")
    tokens = [_token("flag", name, record.get(name)) for name in FLAGS if _given(record, name)]
    tokens += [_token("cat", name, record.get(name)) for name in CATEGORIES if _given(record, name)]
    return "\n".join(texts + [" ".join(tokens)])


def estimator() -> Pipeline:
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "hash",
                HashingVectorizer(
                    n_features=2**18,
                    ngram_range=(1, 2),
                    alternate_sign=False,
                    strip_accents="unicode",
                    token_pattern=r"(?u)\b\w+\b",
                ),
            ),
            ("model", LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)),
        ]
    )


def train(path: Path, *, folds: int = 5) -> Training:
    from sklearn.model_selection import StratifiedKFold

    from tipnet.detect import evaluation
    from tipnet.detect.training import Training, labelled_rows, out_of_fold, provenance

    started = time.perf_counter()

    def check(record: dict[str, Any]) -> None:
        document(record)

    data = labelled_rows(path, label=LABEL, check=check, required=COLUMNS)
    documents = [document(record) for record in data.records]
    splits = list(
        StratifiedKFold(folds, shuffle=True, random_state=0).split(documents, data.labels)
    )
    scores = out_of_fold(estimator, documents, data.labels, splits)
    fitted = estimator().fit(documents, data.labels)
    report = evaluation.evaluate(data.labels, scores)
    metadata = {
        **provenance(path, data, folds),
        "features": ["hashed word 1-2-grams of " + ", ".join(TEXT_FIELDS), *FLAGS, *CATEGORIES],
        "estimator": "HashingVectorizer + LogisticRegression",
        "threshold": 0.5,
        "metrics": report.as_dict(),
    }
    seconds = time.perf_counter() - started
    return Training(fitted, report, None, None, len(documents), data.rejected, seconds, metadata)


def top_terms(model: Pipeline, text: str, *, count: int = 5) -> list[dict[str, Any]]:
    """The words of ``text`` whose weights pushed the score up the most."""
    from sklearn.feature_extraction import FeatureHasher

    vectorizer = model.named_steps["hash"]
    weights = model.named_steps["model"].coef_[0]
    terms = sorted(set(vectorizer.build_analyzer()(text)))
    if not terms:
        return []
    # HashingVectorizer hashes each analysed term with FeatureHasher: same columns, one per term
    hasher = FeatureHasher(vectorizer.n_features, input_type="string", alternate_sign=False)
    columns = hasher.transform([[term] for term in terms]).indices
    ranked = sorted(zip(terms, weights[columns], strict=True), key=lambda item: -item[1])
    return [
        {"term": term, "weight": round(float(weight), 4)}
        for term, weight in ranked[:count]
        if weight > 0
    ]


def job_card(metadata: dict[str, Any], version: int) -> str:
    from tipnet.detect import evaluation

    metrics = metadata["metrics"]
    rows = [
        f"| {name} | {metrics[name]['value']:.4f} "
        f"[{metrics[name]['low']:.4f}, {metrics[name]['high']:.4f}] |"
        for name in evaluation.METRICS
    ]
    return "\n".join(
        [
            f"# Model card: job_offer v{version}",
            "",
            "Scores job offers for signs of recruitment fraud from their text and EMSCAD fields.",
            "",
            "## Data",
            f"- File: `{metadata['data_file']}` (SHA-256 `{metadata['data_sha256']}`), "
            f"{metadata['rows']} offers ({metadata['positives']} fraudulent)",
            "- Whoever trained this model must say here where the file came from.",
            "",
            "## Metrics on data the model never saw",
            f"{metadata['evaluation']}.",
            "",
            "| metric | value [95% interval] |",
            "|---|---|",
            *rows,
            "",
            "## Limits",
            "Fraudulent job offers are not all trafficking lures, and trafficking lures are not "
            "all in the training data's style. Use the score beside the indicator catalogue's "
            "warning signs, for triage by people, never as grounds for action on its own.",
            "",
        ]
    )


def _given(record: Mapping[str, Any], name: str) -> bool:
    value = record.get(name)
    return value is not None and str(value).strip() != ""


def _token(prefix: str, name: str, value: Any) -> str:
    return _NOT_ALNUM.sub("", f"xx{prefix}{name}{value}".lower())


def probability(model: Pipeline, record: Mapping[str, Any]) -> float:
    return float(np.asarray(model.predict_proba([document(record)]))[0, 1])
