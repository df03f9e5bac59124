"""Scores and per-feature contributions of a gradient-boosting model, in one sparse product.

For a tree, the path from the root to a leaf is fixed by the leaf, so the contribution of each
feature along that path (the change in the node value at each split on that feature, the
"Saabas" attribution) can be computed once per leaf when the model is loaded. Scoring is then
``apply`` (scikit-learn's compiled traversal: which leaf each row reaches in each tree) followed
by one sparse-matrix product that sums, per row, the leaf values and the path contributions of
the leaves it reached. Contributions are in log-odds and add up exactly to the model's raw score:

    logit(p) = bias + sum(contributions)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.ensemble import GradientBoostingClassifier

Matrix = NDArray[np.float64]


class Attribution:
    def __init__(self, model: GradientBoostingClassifier) -> None:
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
        """(probabilities, contributions in log-odds per row and feature) for a feature matrix."""
        leaves = self._model.apply(matrix)[:, :, 0].astype(np.int64) + self._offsets
        rows, trees = leaves.shape
        reached = sparse.csr_matrix(
            (np.ones(leaves.size), leaves.ravel(), np.arange(0, rows * trees + 1, trees)),
            shape=(rows, len(self._table)),
        )
        summed = np.asarray(reached @ self._table)
        contributions = summed[:, : self.features]
        raw = self._initial + summed[:, self.features]
        return 1.0 / (1.0 + np.exp(-raw)), contributions


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
