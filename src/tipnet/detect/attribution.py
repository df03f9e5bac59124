"""Account models whose log-odds are a sum of per-feature contributions, and those contributions.

For a tree, the path from the root to a leaf is fixed by the leaf, so the contribution of each
feature along that path (the change in the node value at each split on that feature, the
"Saabas" attribution) can be computed once per leaf when the model is loaded. Scoring is then
``apply`` (scikit-learn's compiled traversal: which leaf each row reaches in each tree) followed
by one sparse-matrix product that sums, per row, the leaf values and the path contributions of
the leaves it reached. A linear model's contributions are its terms. Contributions are in
log-odds and add up exactly to the model's raw score:

    logit(p) = bias + sum(contributions)

:class:`LogOddsBlend` averages a gradient-boosting model and a logistic regression in log-odds
(not in probability) precisely so that this sum still holds for the blend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

Matrix = NDArray[np.float64]
Labels = NDArray[np.int_]


PARAMETERS: tuple[str, ...] = ("logged", "squared", "strengths", "weights", "folds")
PARAMETERS += ("n_estimators", "learning_rate", "max_depth", "subsample", "random_state")


class LogOddsBlend:
    """Gradient boosting and a logistic regression on log counts, averaged in log-odds.

    Why a blend: on the Instagram accounts the trees and the linear model each reach an F1 of
    about 0.89-0.90 out of fold, but they miss different accounts (the trees cut the counts into
    steps, the linear model sees smooth trends in log scale); their average reaches about 0.91.

    The linear model reads the columns ``logged`` as log(1 + count) and, for ``squared``, also
    the square of what it reads: each feature's term is a function of that feature alone, so its
    contribution belongs to it. The blend weight and the regularisation strength are chosen by
    an inner stratified cross-validation on the rows given to :meth:`fit` (lowest log loss), so
    that a model measured out of fold made these choices without the rows it is measured on.
    """

    def __init__(
        self,
        *,
        logged: tuple[int, ...],
        squared: tuple[int, ...],
        strengths: tuple[float, ...] = (1.0, 3.0, 10.0),
        weights: tuple[float, ...] = (0.3, 0.5, 0.7),
        folds: int = 5,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        max_depth: int = 3,
        subsample: float = 0.8,
        random_state: int = 0,
    ) -> None:
        self.logged = logged
        self.squared = squared
        self.strengths = strengths
        self.weights = weights
        self.folds = folds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        names = PARAMETERS
        fitted = {"weight": self.weight_, "C": self.C_} if hasattr(self, "weight_") else {}
        return {**{name: getattr(self, name) for name in names}, **fitted}

    def fit(self, matrix: Matrix, labels: Labels) -> LogOddsBlend:
        labels = np.asarray(labels, dtype=np.int_)
        self.low_, self.high_ = matrix.min(axis=0), matrix.max(axis=0)
        self.weight_, self.C_ = self._choose(matrix, labels)
        self.trees_ = self._trees().fit(matrix, labels)
        self.coef_, self.center_, self.intercept_ = self._linear(matrix, labels, self.C_)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = matrix.shape[1]
        return self

    def decision_function(self, matrix: Matrix) -> Matrix:
        """The blend's log-odds of being fake."""
        trees = np.asarray(self.trees_.decision_function(matrix), dtype=np.float64)
        linear = self.intercept_ + self.linear_terms(matrix).sum(axis=1)
        blended: Matrix = self.weight_ * trees + (1.0 - self.weight_) * linear
        return blended

    def predict_proba(self, matrix: Matrix) -> Matrix:
        fake = 1.0 / (1.0 + np.exp(-self.decision_function(matrix)))
        return np.column_stack([1.0 - fake, fake])

    def predict(self, matrix: Matrix) -> Labels:
        return (self.decision_function(matrix) >= 0).astype(np.int_)

    def linear_terms(self, matrix: Matrix) -> Matrix:
        """The linear model's log-odds per row and feature, relative to the training mean."""
        terms = (self._view(matrix) - self.center_) * self.coef_
        width = matrix.shape[1]
        per_feature = terms[:, :width].copy()
        per_feature[:, list(self.squared)] += terms[:, width:]
        return per_feature

    def _view(self, matrix: Matrix) -> Matrix:
        # Inputs are held to the range seen in training, as the trees' are by their splits: a
        # log count squared, or a digit count times its weight, must not run away on values
        # far beyond anything the model was fitted on.
        view = np.clip(matrix, self.low_, self.high_)
        view[:, list(self.logged)] = np.log1p(view[:, list(self.logged)])
        return np.column_stack([view, view[:, list(self.squared)] ** 2])

    def _trees(self) -> GradientBoostingClassifier:
        return GradientBoostingClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            subsample=self.subsample,
            random_state=self.random_state,
        )

    def _linear(
        self, matrix: Matrix, labels: Labels, strength: float
    ) -> tuple[Matrix, Matrix, float]:
        """(coefficients, centre, intercept) of a logistic regression on standardised columns,
        the scaling folded into the coefficients: log-odds = intercept + coef . (x - centre)."""
        view = self._view(matrix)
        scaler = StandardScaler().fit(view)
        model = LogisticRegression(C=strength, max_iter=5000).fit(scaler.transform(view), labels)
        coef: Matrix = model.coef_[0] / scaler.scale_
        return coef, np.asarray(scaler.mean_, dtype=np.float64), float(model.intercept_[0])

    def _choose(self, matrix: Matrix, labels: Labels) -> tuple[float, float]:
        """(weight, strength) with the lowest inner out-of-fold log loss."""
        folds = min(self.folds, int(np.bincount(labels, minlength=2).min()))
        if folds < 2 or (len(self.weights) == 1 and len(self.strengths) == 1):
            return self.weights[len(self.weights) // 2], self.strengths[len(self.strengths) // 2]
        trees = np.zeros(len(labels))
        linear = np.zeros((len(self.strengths), len(labels)))
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(matrix, labels):
            fitted = self._trees().fit(matrix[train], labels[train])
            trees[test] = fitted.decision_function(matrix[test])
            for row, strength in enumerate(self.strengths):
                coef, centre, intercept = self._linear(matrix[train], labels[train], strength)
                linear[row, test] = intercept + (self._view(matrix[test]) - centre) @ coef
        sign = 2.0 * labels - 1.0
        losses = {
            (weight, strength): float(
                np.logaddexp(0.0, -sign * (weight * trees + (1 - weight) * linear[row])).mean()
            )
            for weight in self.weights
            for row, strength in enumerate(self.strengths)
        }
        return min(losses, key=losses.__getitem__)


class Attribution:
    """Probabilities and per-feature log-odds contributions of a shipped account model."""

    def __init__(self, model: GradientBoostingClassifier | LogOddsBlend) -> None:
        self._blend = model if isinstance(model, LogOddsBlend) else None
        self._trees = _TreePaths(model.trees_ if isinstance(model, LogOddsBlend) else model)
        self.features = self._trees.features
        self.bias = self._trees.bias
        if self._blend is not None:
            weight = self._blend.weight_
            self.bias = weight * self._trees.bias + (1.0 - weight) * self._blend.intercept_

    def explain(self, matrix: Matrix) -> tuple[Matrix, Matrix]:
        """(probabilities, contributions in log-odds per row and feature) for a feature matrix."""
        raw, contributions = self._trees.explain(matrix)
        if self._blend is not None:
            weight = self._blend.weight_
            linear = self._blend.linear_terms(matrix)
            raw = weight * raw + (1.0 - weight) * (self._blend.intercept_ + linear.sum(axis=1))
            contributions = weight * contributions + (1.0 - weight) * linear
        return 1.0 / (1.0 + np.exp(-raw)), contributions


class _TreePaths:
    """Per-leaf path contributions of a gradient-boosting model (see the module docstring)."""

    def __init__(self, model: GradientBoostingClassifier) -> None:
        if not isinstance(model, GradientBoostingClassifier):
            raise TypeError(f"no attribution for {type(model).__name__}")
        trees = [stage[0].tree_ for stage in model.estimators_]
        rate = float(model.learning_rate)
        features = int(model.n_features_in_)
        self.features = features
        self._offsets = np.cumsum([0] + [tree.node_count for tree in trees[:-1]])
        # one row per node of every tree: path contributions per feature, then the leaf value
        self._table = np.zeros((sum(tree.node_count for tree in trees), features + 1))
        root_sum = 0.0
        for offset, tree in zip(self._offsets, trees, strict=True):
            values = tree.value[:, 0, 0] * rate
            root_sum += values[0]
            _fill_paths(tree, values, self._table[offset : offset + tree.node_count], features)
        prior = model.init_.predict_proba(np.zeros((1, features)))[0, 1]
        self._initial = float(np.log(prior / (1 - prior)))
        # what every row starts from before any split: logit(p) = bias + sum(contributions)
        self.bias = self._initial + root_sum
        self._model = model

    def explain(self, matrix: Matrix) -> tuple[Matrix, Matrix]:
        """(log-odds, contributions in log-odds per row and feature)."""
        leaves = self._model.apply(matrix)[:, :, 0].astype(np.int64) + self._offsets
        rows, trees = leaves.shape
        reached = sparse.csr_matrix(
            (np.ones(leaves.size), leaves.ravel(), np.arange(0, rows * trees + 1, trees)),
            shape=(rows, len(self._table)),
        )
        summed = np.asarray(reached @ self._table)
        return self._initial + summed[:, self.features], summed[:, : self.features]


def _fill_paths(tree: Any, values: Matrix, rows: Matrix, features: int) -> None:
    """Row of each leaf: contributions along its path, and its value in the last column."""
    left, right = tree.children_left, tree.children_right
    split_on = tree.feature
    stack = [(0, np.zeros(features))]
    while stack:
        node, path = stack.pop()
        if left[node] == -1:  # a leaf
            rows[node, :features] = path
            rows[node, features] = values[node]
            continue
        for child in (left[node], right[node]):
            step = path.copy()
            step[split_on[node]] += values[child] - values[node]
            stack.append((child, step))
