"""Out-of-sample accuracy: leave-one-group-out cross-validation from the neutral start.

For each group of a key (every accelerator, every model, every serving stack) the calibrated
factors are fitted by :func:`~tokenfab.accuracy.calibration.fit_neutral` on the other groups'
rows only (the same fixed neutral start in every fold, the p99/mean factors from those rows'
logs too), and the group's rows are predicted with that fold's factors. Nothing fitted on the
left-out rows reaches their prediction, so the pooled error is an out-of-sample figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import LatencyPairs, fit_neutral, predict
from .score import Prepared

KEYS: tuple[str, ...] = ("accelerator", "model", "stack")


@dataclass
class CrossValidation:
    """Out-of-fold predictions of one leave-one-group-out cross-validation."""

    key: str
    groups: np.ndarray  # (rows,) the group of each measured row
    predicted: np.ndarray  # (rows,) each row predicted by the fold that left its group out
    measured: np.ndarray
    folds: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> that fold's fitted factors

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


def cross_validate(prep: Prepared, pairs: LatencyPairs, key: str) -> CrossValidation:
    """Leave each group of ``key`` out in turn, fit from the neutral start on the rest, predict it."""
    groups = group_of(prep, key)
    meas = np.array([r.value for r in prep.rows], dtype=float)
    pred = np.full(len(prep.rows), np.nan)
    cv = CrossValidation(key, groups, pred, meas)
    for g in sorted(set(groups)):
        held = groups == g
        if held.all():  # a single group: nothing to fit on
            continue
        params = fit_neutral(prep, pairs, mask=~held)
        pred[held] = predict(prep, params)[held]
        cv.folds[str(g)] = params
    return cv
