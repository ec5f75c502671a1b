"""Out-of-sample accuracy: leave-one-group-out cross-validation from the fixed starts.

For each group of a key (every accelerator, every model, every serving stack) the calibrated
factors are fitted by :func:`~tokenfab.accuracy.calibration.fit_neutral` on the other groups'
rows only (the same fixed starts in every fold, the p99/mean factors from those rows'
logs too), and the group's rows are predicted with that fold's factors. Nothing fitted on the
left-out rows reaches their prediction, so the pooled error is an out-of-sample figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import LatencyPairs, fit_neutral, predict_feasible
from .score import Prepared

KEYS: tuple[str, ...] = ("accelerator", "model", "stack")


@dataclass
class CrossValidation:
    """Out-of-fold predictions of one leave-one-group-out cross-validation."""

    key: str
    groups: np.ndarray  # (rows,) the group of each measured row
    predicted: np.ndarray  # (rows,) each row predicted by the fold that left its group out
    measured: np.ndarray
    # (rows,) whether the fold's prediction meets the row's latency limits (False: no candidate
    # did and the row fell back to its best fit; still scored, but not an estimate a user gets)
    feasible: np.ndarray
    folds: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> that fold's fitted factors

    def within_limits(self) -> np.ndarray:
        """The out-of-fold predictions, NaN where the fold found no candidate within the row's limits."""
        return np.where(self.feasible, self.predicted, np.nan)

    def ape(self) -> np.ndarray:
        return np.abs(self.predicted - self.measured) / self.measured

    def per_group(self) -> dict[str, tuple[int, float]]:
        """Rows and MAPE of each left-out group (NaN where no row of it could be predicted)."""
        ape = self.ape()
        out = {}
        for g in sorted(set(self.groups)):
            sel = (self.groups == g) & np.isfinite(ape)
            out[str(g)] = (int((self.groups == g).sum()), float(ape[sel].mean()) if sel.any() else float("nan"))
        return out


def group_of(prep: Prepared, key: str) -> np.ndarray:
    if key not in KEYS:
        raise ValueError(f"key = {key!r}: use one of {', '.join(KEYS)}")
    return np.array([getattr(r, key) for r in prep.rows])


def _fold(prep: Prepared, pairs: LatencyPairs, held: np.ndarray) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    params = fit_neutral(prep, pairs, mask=~held)
    pred, met = predict_feasible(prep, params)
    return params, pred[held], met[held]


def cross_validate_all(prep: Prepared, pairs: LatencyPairs, keys: Sequence[str] = KEYS,
                       jobs: int = 1) -> dict[str, CrossValidation]:
    """Every leave-one-group-out cross-validation of ``keys``; with ``jobs`` > 1 the folds (each an
    independent neutral-start fit) run in that many processes. Same folds, same figures."""
    cvs: dict[str, CrossValidation] = {}
    tasks: list[tuple[str, str, np.ndarray]] = []
    meas = np.array([r.value for r in prep.rows], dtype=float)
    for key in keys:
        groups = group_of(prep, key)
        cvs[key] = CrossValidation(key, groups, np.full(len(prep.rows), np.nan), meas, np.zeros(len(prep.rows), bool))
        tasks += [(key, str(g), groups == g) for g in sorted(set(groups)) if not (groups == g).all()]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_fold, prep, pairs, held) for _, _, held in tasks]
            results = [f.result() for f in futures]
    else:
        results = [_fold(prep, pairs, held) for _, _, held in tasks]
    for (key, g, held), (params, pred, met) in zip(tasks, results):
        cvs[key].predicted[held] = pred
        cvs[key].feasible[held] = met
        cvs[key].folds[g] = params
    return cvs


def cross_validate(prep: Prepared, pairs: LatencyPairs, key: str, jobs: int = 1) -> CrossValidation:
    """Leave each group of ``key`` out in turn, fit from the fixed starts on the rest, predict it."""
    return cross_validate_all(prep, pairs, (key,), jobs)[key]
