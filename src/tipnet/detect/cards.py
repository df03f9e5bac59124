"""Model cards: what a model was trained on, how well it does on data it never saw, its limits."""

from __future__ import annotations

from typing import Any

from tipnet.detect.accounts import AccountSpec

GOALS = {"twitter_account": 0.996, "instagram_account": 0.93}

LIMITS = {
    "twitter_account": (
        "Trained on Twitter accounts of 2012-2013: fake followers bought on the market and "
        "genuine accounts recruited in one country. A high score says the account looks like a "
        "bought, inauthentic account; it does not say the account belongs to a trafficker. "
        "Platforms, fake-account markets and their tools have changed since: re-measure on "
        "recent labelled accounts (`tipnet detect evaluate`) before relying on it."
    ),
    "instagram_account": (
        "Trained on 835 Instagram accounts collected in 2019 (a small set, with a wide "
        "interval). A high score says the account looks like the fake or automated accounts "
        "of that set; it does not say the account belongs to a trafficker. Re-measure on "
        "recent labelled accounts (`tipnet detect evaluate`) before relying on it."
    ),
}

COMMON_LIMITS = (
    "Scores support triage by people; they are never grounds for action on their own. "
    "Every score comes with the features that pushed it up or down. The model sees only "
    "profile fields, never content, and cannot tell a fake account from an unusual real one."
)


def account_card(spec: AccountSpec, metadata: dict[str, Any], version: int) -> str:
    metrics, baseline = metadata["metrics"], metadata["baseline"]["metrics"]
    gain = metadata["f1_gain_over_baseline"]
    goal = GOALS.get(spec.kind)
    lines = [
        f"# Model card: {spec.kind} v{version}",
        "",
        f"Detects fake or bought {spec.platform} accounts from profile fields, for triage.",
        "",
        "## Data",
        f"- File: `{metadata['data_file']}` (SHA-256 `{metadata['data_sha256']}`)",
        f"- Source: {spec.data_source}; provenance and licence in `tipnet/detect/data/README.md`",
        f"- Rows: {metadata['rows']} ({metadata['positives']} fake), "
        f"{metadata['rejected_rows']} rejected",
        f"- Trained: {metadata['trained_at']} with scikit-learn {metadata['sklearn_version']}",
        "",
        "## Features",
        *[f"- `{name}`: {spec.meaning(name)}" for name in spec.feature_names],
        "",
        "Columns of the data deliberately not used:",
        *[f"- `{name}`: {why}" for name, why in spec.not_used.items()],
        "",
        "## Model",
        *_model(metadata),
        "",
        "## Metrics on data the model never saw",
        f"{metadata['evaluation']}. Baseline: {metadata['baseline']['description']}.",
        "",
        "| metric | this model | baseline |",
        "|---|---|---|",
        *[
            f"| {name} | {_estimate(metrics[name])} | {_estimate(baseline[name])} |"
            for name in ("precision", "recall", "f1", "roc_auc")
        ],
        "",
        f"F1 gain over the baseline (paired bootstrap): {_estimate(gain)}.",
    ]
    if goal is not None:
        met = "met" if metrics["f1"]["value"] >= goal else "NOT met"
        lines += ["", f"Goal F1 >= {goal}: {met} (point estimate {metrics['f1']['value']:.4f})."]
    lines += ["", "## Limits", LIMITS.get(spec.kind, ""), "", COMMON_LIMITS, ""]
    return "\n".join(lines)


BLEND = (
    "A gradient-boosting model and a logistic regression averaged in log-odds (weight {weight} "
    "on the trees), so that every score is still the sum of per-feature contributions. The "
    "logistic regression (C={C}) reads the counts {logged} as log(1 + count), with a square "
    "for {squared}. The weight and C were chosen among {weights} and {strengths} by an inner "
    "{folds}-fold cross-validation (log loss) inside every fit: the out-of-fold figures below "
    "include that choice."
)
TREE_PARAMETERS = ("n_estimators", "learning_rate", "max_depth", "subsample", "max_features")


def _model(metadata: dict[str, Any]) -> list[str]:
    parameters = metadata["parameters"]
    trees = ", ".join(f"{key}={parameters[key]}" for key in TREE_PARAMETERS if key in parameters)
    threshold = f"Decision threshold {metadata['threshold']} (not tuned)."
    if metadata["estimator"] != "LogOddsBlend":
        return [f"{metadata['estimator']}: {trees}. {threshold}"]
    names = metadata["features"]
    described = {**parameters}
    for key in ("logged", "squared"):
        described[key] = ", ".join(f"`{names[i]}`" for i in parameters[key])
    return [
        BLEND.format(**described),
        "",
        f"Trees: GradientBoostingClassifier, {trees}. {threshold}",
    ]


def _estimate(value: dict[str, float]) -> str:
    return f"{value['value']:.4f} [{value['low']:.4f}, {value['high']:.4f}]"
