"""The recogniser's statistical model: a linear classifier over TF-IDF word and character n-grams.

Fitting uses scikit-learn (TfidfVectorizer + LinearSVC, seeded, single-threaded); predicting a
message is a few dozen multiply-adds done here, since scikit-learn's per-call input checks cost
more than the arithmetic. Scores become probabilities through a softmax whose temperature is
fitted on held-out folds of the training data, grouped by template so a fold never sees lines
of a template it is tested on: the probability then estimates how often the label is right.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from dialogs._text import features

if TYPE_CHECKING:
    from sklearn.svm import LinearSVC

# Inverse regularisation strength: lower generalises better from templated lines.
C = 0.5
# Two folds, not three: the fitted temperature moves by under a tenth (calibration error within
# 0.01 on every set we have) and start-up, with the larger corpus, stays well under 3 s.
FOLDS = 2
_Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainingSet:
    """Prepared (folded, numbers masked) texts with their labels, weights and template groups."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    weights: tuple[float, ...]
    groups: tuple[str, ...]


class LinearModel:
    """Label probabilities for a prepared text; fitted once, then read-only."""

    temperature: float
    labels: tuple[str, ...]
    _columns: dict[str, int]
    _idf: _Array
    _weights: _Array
    _intercept: _Array

    def __init__(self, data: TrainingSet) -> None:
        # Imported here: a restart reads a saved model and never needs them (~1.8 s of imports).
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        vectorizer = TfidfVectorizer(analyzer=_analyze, sublinear_tf=True, dtype=np.float64)
        matrix = vectorizer.fit_transform(data.texts)
        target = np.array(data.labels)
        weights = np.array(data.weights)
        # tol 1e-3 (not 1e-4): the same predictions on every set we have, a quicker start-up.
        classifier = LinearSVC(C=C, random_state=0, tol=1e-3)
        self.temperature = _fit_temperature(classifier, matrix, target, weights, data.groups)
        classifier.fit(matrix, target, sample_weight=weights)
        self.labels: tuple[str, ...] = tuple(str(label) for label in classifier.classes_)
        self._columns: dict[str, int] = {
            str(name): int(column) for name, column in vectorizer.vocabulary_.items()
        }
        self._idf: _Array = vectorizer.idf_.astype(np.float64)
        # Rows are features, so a message gathers only the rows of the features it has.
        self._weights: _Array = np.ascontiguousarray(classifier.coef_.T, dtype=np.float64)
        self._intercept: _Array = classifier.intercept_.astype(np.float64)

    def save(self, path: Path) -> None:
        """Write the fitted model (plain arrays, no pickle), replacing any file atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial.npz")
        np.savez(
            partial,
            temperature=np.array([self.temperature]),
            labels=np.array(self.labels),
            names=np.array(list(self._columns)),
            columns=np.array(list(self._columns.values()), dtype=np.int64),
            idf=self._idf,
            weights=self._weights,
            intercept=self._intercept,
        )
        partial.replace(path)

    @classmethod
    def read(cls, path: Path) -> LinearModel:
        """A model `save` wrote (raises OSError/ValueError/KeyError when it cannot be read)."""
        with np.load(path, allow_pickle=False) as saved:
            model = cls.__new__(cls)
            model.temperature = float(saved["temperature"][0])
            model.labels = tuple(str(label) for label in saved["labels"])
            # tolist() converts in C: a dict comprehension over NumPy scalars took ~0.1 s
            model._columns = dict(
                zip(saved["names"].tolist(), saved["columns"].tolist(), strict=True)
            )
            model._idf = saved["idf"].astype(np.float64)
            model._weights = np.ascontiguousarray(saved["weights"], dtype=np.float64)
            model._intercept = saved["intercept"].astype(np.float64)
        return model

    @property
    def size(self) -> tuple[int, int]:
        """Number of features and bytes of the weight matrix (for the bench)."""
        return len(self._columns), int(self._weights.nbytes + self._idf.nbytes)

    def probabilities(self, prepared: str) -> dict[str, float]:
        """Each label's calibrated probability for one prepared text (they sum to 1)."""
        counts = features(prepared)
        columns = [self._columns[name] for name in counts if name in self._columns]
        if columns:
            tf = np.array(
                [1.0 + math.log(counts[name]) for name in counts if name in self._columns]
            )
            values = tf * self._idf[columns]
            values /= np.linalg.norm(values)
            scores = values @ self._weights[columns] + self._intercept
        else:
            scores = self._intercept.copy()
        probs = _softmax(scores / self.temperature)
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}


def _analyze(text: str) -> list[str]:
    return list(features(text).elements())


def _softmax(scores: _Array) -> _Array:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    result: _Array = shifted / shifted.sum(axis=-1, keepdims=True)
    return result


def _fit_temperature(
    classifier: LinearSVC,
    matrix: object,
    target: npt.NDArray[np.str_],
    weights: _Array,
    groups: Sequence[str],
) -> float:
    """The softmax temperature that best predicts held-out labels (least log loss)."""
    from scipy.optimize import minimize_scalar
    from sklearn.model_selection import GroupKFold, cross_val_predict

    scores = cross_val_predict(
        classifier,
        matrix,
        target,
        groups=np.array(groups),
        cv=GroupKFold(n_splits=FOLDS),
        method="decision_function",
        params={"sample_weight": weights},
    )
    classes = np.unique(target)
    truth = np.searchsorted(classes, target)

    def loss(log_t: float) -> float:
        probs = _softmax(scores / math.exp(log_t))
        picked = probs[np.arange(len(truth)), truth]
        return float(-np.average(np.log(np.clip(picked, 1e-12, None)), weights=weights))

    best = minimize_scalar(loss, bounds=(-5.0, 3.0), method="bounded")
    return math.exp(float(best.x))
