"""Model files: written with skops, read back only if they hold the types we expect.

A model is three files side by side, named after its kind and version:
``KIND-vN.skops`` (the estimator), ``KIND-vN.json`` (what it was trained on, its feature names,
threshold and measured metrics) and ``KIND-vN.md`` (its model card). Nothing is unpickled: skops
rebuilds the estimator from a description of it, and refuses any type not on the allow-list.
The shipped models live in the package; :func:`shipped` loads each once per process.
"""

from __future__ import annotations

import functools
import json
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from tipnet.errors import ConfigurationError, InvalidInput

# Types a tipnet model file may contain beyond skops' built-in safe list.
TRUSTED_TYPES = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._gb.GradientBoostingClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
        "sklearn.dummy.DummyClassifier",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.feature_extraction.text.HashingVectorizer",
        "sklearn.pipeline.Pipeline",
        "numpy.random._pcg64.PCG64",
        "numpy.random._generator.Generator",
        # tipnet's own blend of the two above (attributes only: arrays, numbers, a GBM)
        "tipnet.detect.attribution.LogOddsBlend",
    }
)
_NAME = re.compile(r"^(?P<kind>[a-z_]+)-v(?P<version>\d+)\.skops$")


@dataclass(frozen=True)
class StoredModel:
    kind: str
    version: int
    estimator: Any
    metadata: dict[str, Any]
    path: Path

    @property
    def label(self) -> str:
        return f"{self.kind}-v{self.version}"


def next_version(directory: Path, kind: str) -> int:
    return max((_version(p) for p in directory.glob(f"{kind}-v*.skops")), default=0) + 1


def save(
    *,
    directory: Path,
    kind: str,
    version: int,
    estimator: Any,
    metadata: dict[str, Any],
    card: str,
) -> Path:
    """Write version ``version`` of ``kind`` into ``directory``; return the .skops path."""
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{kind}-v{version}"
    metadata = {**metadata, "kind": kind, "version": version}
    # deflate: tree arrays compress about tenfold
    packed = sio.dumps(estimator, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    stem.with_suffix(".skops").write_bytes(packed)
    stem.with_suffix(".json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    stem.with_suffix(".md").write_text(card)
    return stem.with_suffix(".skops")


def load(path: Path) -> StoredModel:
    """Read a model file, refusing it when it holds a type outside the allow-list."""
    import skops.io as sio

    match = _NAME.match(path.name)
    if match is None:
        raise InvalidInput(f"{path.name}: a model file is named KIND-vN.skops")
    try:
        data = path.read_bytes()
        metadata = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError) as error:
        raise InvalidInput(f"cannot read model {path} and its .json: {error}") from error
    untrusted = sorted(set(sio.get_untrusted_types(data=data)) - TRUSTED_TYPES)
    if untrusted:
        raise InvalidInput(f"{path.name} holds types tipnet does not load: {untrusted}")
    estimator = sio.loads(data, trusted=sorted(TRUSTED_TYPES))
    return StoredModel(match["kind"], int(match["version"]), estimator, metadata, path)


def shipped_directory() -> Path:
    return Path(str(resources.files("tipnet.detect").joinpath("models")))


@functools.cache
def shipped(kind: str) -> StoredModel | None:
    """The newest shipped model of ``kind``, loaded once per process; None if none ships."""
    candidates = sorted(shipped_directory().glob(f"{kind}-v*.skops"), key=_version)
    if not candidates:
        return None
    try:
        return load(candidates[-1])
    except InvalidInput as error:
        raise ConfigurationError(f"the shipped model is broken: {error.message}") from error


def _version(path: Path) -> int:
    match = _NAME.match(path.name)
    return int(match["version"]) if match else 0
