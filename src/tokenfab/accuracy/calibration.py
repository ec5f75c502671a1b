"""Fit the few calibrated efficiency factors on measured rows, and cross-validate.

Parameters (see data/efficiency.yaml 'calibrated'): per serving stack a compute scale on
top of the measured hardware GEMM efficiency, a memory-bandwidth efficiency and a per-pass
overhead; globally a per-layer overhead, a collective latency, an FP4 compute scale and a
routed-expert GEMM efficiency. Objective: mean |log(predicted / measured)| (symmetric in
over- and under-prediction), minimised by coordinate descent over multiplicative steps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ..catalog import assumptions as A
from .score import Prepared, evaluate

# (path in the params dict, lower bound, upper bound)
BOUNDS: dict[str, tuple[float, float]] = {
    "compute_scale": (0.2, 1.25),
    "memory_eff": (0.3, 1.0),
    "overhead_s": (0.0, 0.05),
    "layer_overhead_s": (0.0, 5e-4),
    "collective_latency_s": (2e-6, 2e-5),  # NVLink/NCCL small-message latency range
    "fp4_compute_scale": (0.2, 1.0),
    "moe_eff": (0.05, 1.0),
    "moe_half_tokens": (0.0, 2048.0),
}
STEPS = (0.5, 0.7, 0.85, 0.95, 1.05, 1.2, 1.5, 2.0)


def _paths(params: dict[str, Any], stacks: list[str]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [("layer_overhead_s",), ("collective_latency_s",), ("fp4_compute_scale",), ("moe_eff",),
                                  ("moe_half_tokens",)]
    for s in stacks:
        out += [("stacks", s, "compute_scale"), ("stacks", s, "memory_eff"), ("stacks", s, "overhead_s")]
    return out


def _get(d: dict, path: tuple[str, ...]) -> float:
    for p in path[:-1]:
        d = d[p]
    return float(d[path[-1]])


def _set(d: dict, path: tuple[str, ...], v: float) -> None:
    for p in path[:-1]:
        d = d[p]
    d[path[-1]] = float(v)


def predict(prep: Prepared, params: dict[str, Any]) -> np.ndarray:
    """Predictions with ``params`` as the calibrated section of the efficiency table."""
    return evaluate(prep, {**(prep.efficiency or A.efficiency_table()), "calibrated": params})["predicted"]


def loss(prep: Prepared, params: dict[str, Any], mask: np.ndarray | None = None) -> float:
    pred = predict(prep, params)
    meas = np.array([r.value for r in prep.rows])
    err = np.abs(np.log(np.where(np.isfinite(pred) & (pred > 0), pred, 1e-9) / meas))
    if mask is not None:
        err = err[mask]
    return float(np.mean(err))


def fit(
    prep: Prepared,
    start: dict[str, Any],
    mask: np.ndarray | None = None,
    rounds: int = 6,
    log: Callable[[str], None] | None = None,
    paths: list[tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """Coordinate descent from ``start`` on the rows selected by ``mask``, over every
    calibrated factor or only over ``paths`` (e.g. one accelerator x stack's three factors,
    ``('accelerator_stacks', acc, stack, 'compute_scale')``...)."""
    params = copy.deepcopy(start)
    rows_stacks = sorted({r.stack for r, k in zip(prep.rows, mask if mask is not None else [True] * len(prep.rows)) if k})
    for s in rows_stacks:
        params["stacks"].setdefault(s, copy.deepcopy(params["stacks"][params.get("default_stack", "trtllm")]))
    best = loss(prep, params, mask)
    for rnd in range(rounds):
        improved = False
        for path in paths if paths is not None else _paths(params, rows_stacks):
            lo, hi = BOUNDS[path[-1]]
            cur = _get(params, path)
            base = cur if cur > 0 else (hi - lo) * 0.01
            for step in STEPS:
                cand = min(max(base * step, lo), hi)
                trial = copy.deepcopy(params)
                _set(trial, path, cand)
                val = loss(prep, trial, mask)
                if val < best - 1e-6:
                    best, params, improved = val, trial, True
        if log:
            log(f"round {rnd + 1}: mean |log error| = {best:.4f}")
        if not improved:
            break
    return params


def leave_one_out(
    prep: Prepared, start: dict[str, Any], key: str, rounds: int = 4
) -> tuple[dict[str, float], np.ndarray]:
    """Refit without each group (``key`` = 'accelerator' or 'model'); predict the group.

    Returns APE per group (mean over its rows) and the pooled out-of-sample predictions.
    """
    groups = np.array([getattr(r, key) for r in prep.rows])
    meas = np.array([r.value for r in prep.rows])
    pooled = np.full(len(prep.rows), np.nan)
    per_group: dict[str, float] = {}
    for g in sorted(set(groups)):
        train = groups != g
        params = fit(prep, start, mask=train, rounds=rounds)
        pred = predict(prep, params)
        pooled[~train] = pred[~train]
        per_group[g] = float(np.mean(np.abs(pred[~train] - meas[~train]) / meas[~train]))
    return per_group, pooled
