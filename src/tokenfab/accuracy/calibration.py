"""Fit the few calibrated efficiency factors on measured rows.

Parameters (see data/efficiency.yaml 'calibrated'): per serving stack a compute scale on
top of the measured hardware GEMM efficiency, a memory-bandwidth efficiency, a per-pass and a
per-sequence overhead; globally a per-layer overhead, a
collective latency, an FP4 compute scale per tensor-core architecture and a routed-expert
GEMM efficiency with its half-efficiency rows and width per expert, and the half-efficiency rows
of one kernel family (weight-only MXFP4 on Hopper) as a scale on the global ones. Objective: mean
|log(predicted / measured)| (symmetric in over- and under-prediction) plus a shrinkage term, minimised by coordinate descent over
multiplicative steps, each improving round followed by a pattern move along the round's change
(Hooke and Jeeves), which lets the descent follow a valley no single factor's step can.

Shrinkage: a stack other than the default (the stack with the most rows) keeps the default's
four factors unless its own rows pay for the difference: each factor's |log| distance from the
default's counts as :data:`STACK_SHRINKAGE_ROWS` rows' log error. A stack measured on three or
five rows then cannot bend its factors to fit them (it did: vLLM's memory efficiency went to
0.48 and, in folds without H100, its per-step overhead to 28 ms), while a stack whose rows
consistently differ still departs. A step of the default stack's factor moves every other
stack's by the same ratio, so the stacks move together and only their differences cost.

The shipped factors and every cross-validation fold (``accuracy.crossval``) come from
:func:`fit_neutral`: the same fixed starts (:data:`STARTS`: the derated or the datasheet memory
efficiency, no per-pass cost or 1 ms, no fitted value in any; the fit with the lowest objective on
its rows is kept) and only the rows the fit may see, so the result depends on those rows alone. The p99/mean
latency factors are the medians of the measured pairs (validation/latency_pairs.csv) of
those same rows.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..catalog import assumptions as A
from ..engine.arrays import ROOFLINE, Efficiency
from ..engine.efficiency import architecture
from ..errors import InputError
from .score import Prepared, efficiency_for, evaluate, subset

# (path in the params dict, lower bound, upper bound)
BOUNDS: dict[str, tuple[float, float]] = {
    "compute_scale": (0.2, 1.25),
    "memory_eff": (0.3, 1.0),
    "overhead_s": (0.0, 0.05),
    "layer_overhead_s": (0.0, 5e-4),
    "collective_latency_s": (2e-6, 2e-5),  # NVLink/NCCL small-message latency range
    # an expert all-to-all (dispatch or combine) exchanges counts and signals every rank: NVIDIA measured 31-79 us
    # per call at 1-16 tokens per rank (aiconfigurator-core 0.12.0 comm/trtllm/1.3.0rc11/moe_a2a_perf, EP 8,
    # DeepSeek's shape; docs/engine.md section 3)
    "alltoall_latency_s": (2e-6, 5e-4),
    "dtype_compute_scale": (0.2, 1.0),  # per architecture x dtype, keyed by the path's first element
    "moe_half_tokens": (0.0, 2048.0),
    # the rows law's half point of one kernel family (compute dtype x architecture) over the global one
    "moe_half_tokens_scale": (0.1, 2.0),
    "moe_half_width": (0.0, 8192.0),  # expert columns per device at half efficiency
    "gemm_half_tokens": (0.0, 2048.0),  # tokens of a pass at which a dense GEMM reaches half its efficiency
    "seq_overhead_s": (0.0, 2e-4),  # per sequence per step: sampling and bookkeeping, 0-200 us
    "prefill_attention_scale": (0.1, 1.0),  # causal prompt attention's efficiency relative to the stack's GEMMs
    # variance of an expert-parallel rank's routed load over a Poisson's; 256 would slow DeepSeek-R1 on 8 B200 at
    # 1,236 sequences 1.65x, the largest power-law / balanced MoE time ratio in aiconfigurator's measured tables
    "expert_load_dispersion": (0.0, 256.0),
    # the share of its limit-bound capacity a deployment under TTFT/TPOT limits sustains (random arrivals)
    "server_utilization": (0.5, 1.0),
}
# multiplicative trial steps of the coordinate descent; the 0.25 and 4x steps let a factor leave the
# basin its first moves led it into (twentieth session: on the 134 fitted rows the objective from
# the fixed starts fell from 0.1354 to 0.1284 with them; docs/engine.md section 6)
STEPS = (0.25, 0.5, 0.7, 0.85, 0.95, 1.05, 1.2, 1.5, 2.0, 4.0)
# how far a pattern move goes on along a round's change: once, twice (Hooke and Jeeves 1961, "Direct
# search solution of numerical and statistical problems", J. ACM 8(2): the pattern move of their
# pattern search, here after each improving round of coordinate descent)
PATTERN_STEPS = (1.0, 2.0)
NEUTRAL_ROUNDS = 40  # coordinate-descent rounds from the neutral start (it stops earlier once nothing improves)

# The neutral start: what each factor means when nothing is known beyond the datasheet and the
# derated hardware figures. Stack compute runs at the measured GEMM efficiency (scale 1), weights
# stream at the derated bandwidth (filled in from the table), FP4 GEMMs reach the same fraction of
# their peak as the chip's measured dtype, routed experts run like dense GEMMs, no fixed costs
# beyond the smallest NCCL small-message latency of the bounds. A dtype_compute_scale absent from the
# table is 1 (engine.efficiency.dtype_compute_scale).
NEUTRAL_GLOBAL: dict[str, float] = {
    "layer_overhead_s": 0.0,
    "collective_latency_s": BOUNDS["collective_latency_s"][0],
    "alltoall_latency_s": BOUNDS["alltoall_latency_s"][0],
    "moe_half_tokens": 0.0,
    "moe_half_width": 0.0,
    "gemm_half_tokens": 0.0,
    "prefill_attention_scale": 1.0,
    "expert_load_dispersion": 0.0,
    "server_utilization": 1.0,
}
# no per-sequence cost at the start
NEUTRAL_STACK: dict[str, float] = {"compute_scale": 1.0, "overhead_s": 0.0, "seq_overhead_s": 0.0}  # + memory_eff = derated


# The memory efficiencies a start may take: the derated figure or the datasheet's whole bandwidth
# (neither is a fitted value). The objective has two basins along this factor (streaming at ~0.45
# of the bandwidth with small fixed costs, or at full bandwidth with ~80-100 us per layer), and
# coordinate descent stays in the one its start leads to (docs/engine.md section 5).
MEMORY_STARTS: tuple[str, ...] = ("derated", "datasheet")
# The fixed starts of every fit, shipped and in every cross-validation fold, as (memory efficiency,
# per-pass overhead [s] on every stack), the rest neutral; the fit with the lowest objective on its
# own rows is kept. The third (the whole bandwidth and 1 ms per pass, the order of a scheduler
# iteration's host-side cost) came in with the chunked-decode physics of the thirtieth session,
# under which the first two both ended at 0.1276 and it at 0.1248 on the 134 fitted rows: a start
# chosen on all fitted rows, as the trial steps were (docs/engine.md section 5). With the
# expert-parallel straggler of the thirty-second session the first ends lowest: 0.1229, 0.1254, 0.1241;
# with the co-moved stacks fixed (thirty-fifth session) 0.1209, 0.1239, 0.1237; with the capacity point
# and the pattern move (the same session) the second ends lowest: 0.1238, 0.1225, 0.1249.
STARTS: tuple[tuple[str, float], ...] = (("derated", 0.0), ("datasheet", 0.0), ("datasheet", 1e-3))


def neutral_start(table: Mapping[str, Any], stacks: list[str], default_stack: str,
                  memory: str = "derated", overhead_s: float = 0.0) -> dict[str, Any]:
    """A fixed start: :data:`NEUTRAL_GLOBAL`, each of ``stacks`` at :data:`NEUTRAL_STACK` with the
    memory efficiency ``memory`` (``derated``: the derated figure; ``datasheet``: 1, the whole
    bandwidth) and ``overhead_s`` per forward pass, the default p99/mean factors."""
    if memory not in MEMORY_STARTS:
        raise ValueError(f"memory = {memory!r}: use one of {', '.join(MEMORY_STARTS)}")
    if not BOUNDS["overhead_s"][0] <= overhead_s <= BOUNDS["overhead_s"][1]:
        raise ValueError(f"overhead_s = {overhead_s!r}: use a value in {BOUNDS['overhead_s']}")
    mem = float(table["derated"]["memory_eff"]) if memory == "derated" else 1.0
    return {**NEUTRAL_GLOBAL, "dtype_compute_scale": {}, "moe_half_tokens_scale": {},
            "p99_ttft_factor": ROOFLINE["p99_ttft_factor"], "p99_tpot_factor": ROOFLINE["p99_tpot_factor"],
            "stacks": {s: {**NEUTRAL_STACK, "memory_eff": mem, "overhead_s": float(overhead_s)}
                       for s in sorted(set(stacks) | {default_stack})},
            "default_stack": default_stack}


# compute dtypes without a measured (derated) GEMM efficiency: their scale per architecture is
# fitted where measured rows of that architecture x dtype exist
FITTED_DTYPES: tuple[str, ...] = ("fp4", "w4a16", "w4a8")
# (compute dtype, architecture) of the expert-GEMM kernel families whose rows law has a half point of its own
# (a scale on the global moe_half_tokens, neutral 1), fitted where rows of that family exist
FITTED_HALF: tuple[tuple[str, str], ...] = (("w4a16", "nvidia-hopper"),)


def row_combos(prep: Prepared) -> list[tuple[str, str, str]]:
    """(accelerator, stack, compute dtype) of each measured row."""
    rows, first = np.unique(prep.row_index, return_index=True)
    got = {int(r): prep.combos[int(prep.combo[prep.table_index[i]])] for r, i in zip(rows, first)}
    return [got.get(k, ("", "", "")) for k in range(len(prep.rows))]


LatencyPairs = dict[str, tuple[float, float]]  # row id -> (p99/mean TTFT, p99/mean TPOT)
LatencyMeans = dict[str, tuple[float, float, float, float]]  # row id -> mean and p99 TTFT, mean and p99 TPOT [s]


def read_latency_means(path: str | Path) -> LatencyMeans:
    """(mean TTFT, p99 TTFT, mean TPOT, p99 TPOT) [s] per measured row id from a CSV with columns
    id, ttft_mean_s, ttft_p99_s, tpot_mean_s, tpot_p99_s (lines starting with '#' are comments)."""
    p = Path(path)
    with p.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    out: LatencyMeans = {}
    for i, r in enumerate(rows, start=1):
        try:
            v = [float(r[k]) for k in ("ttft_mean_s", "ttft_p99_s", "tpot_mean_s", "tpot_p99_s")]
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{p.name} row {i}: ttft_mean_s, ttft_p99_s, tpot_mean_s, tpot_p99_s must be numbers") from None
        if min(v) <= 0 or v[1] < v[0] or v[3] < v[2]:
            raise InputError(f"{p.name} row {i} ({r.get('id')}): latencies must be > 0 with p99 >= mean")
        out[r["id"]] = (v[0], v[1], v[2], v[3])
    return out


def read_latency_pairs(path: str | Path) -> LatencyPairs:
    """p99/mean TTFT and TPOT per measured row id (:func:`read_latency_means`)."""
    return {k: (v[1] / v[0], v[3] / v[2]) for k, v in read_latency_means(path).items()}


def p99_factors(pairs: LatencyPairs, ids: list[str]) -> dict[str, float]:
    """Median p99/mean TTFT and TPOT over the pairs of ``ids``; the defaults when none has one."""
    got = np.array([pairs[i] for i in ids if i in pairs]).reshape(-1, 2)
    if not len(got):
        return {"p99_ttft_factor": ROOFLINE["p99_ttft_factor"], "p99_tpot_factor": ROOFLINE["p99_tpot_factor"]}
    return {"p99_ttft_factor": round(float(np.median(got[:, 0])), 4),
            "p99_tpot_factor": round(float(np.median(got[:, 1])), 4)}


def _paths(params: dict[str, Any], stacks: list[str]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [("layer_overhead_s",), ("collective_latency_s",), ("alltoall_latency_s",)]
    for dtype, archs in sorted(params.get("dtype_compute_scale", {}).items()):
        out += [("dtype_compute_scale", dtype, a) for a in sorted(archs)]
    out += [("gemm_half_tokens",), ("moe_half_tokens",)]
    for dtype, archs in sorted(params.get("moe_half_tokens_scale", {}).items()):
        out += [("moe_half_tokens_scale", dtype, a) for a in sorted(archs)]
    out += [("moe_half_width",), ("prefill_attention_scale",),
            ("expert_load_dispersion",), ("server_utilization",)]
    for s in stacks:
        out += [("stacks", s, k) for k in ("compute_scale", "memory_eff", "overhead_s", "seq_overhead_s")]
    return out


def _get(d: dict, path: tuple[str, ...]) -> float:
    for p in path[:-1]:
        d = d[p]
    return float(d[path[-1]])


def _set(d: dict, path: tuple[str, ...], v: float) -> None:
    for p in path[:-1]:
        d = d[p]
    d[path[-1]] = float(v)


def predict(prep: Prepared, params: dict[str, Any], fidelity: str = "calibrated") -> np.ndarray:
    """Predictions with ``params`` as the calibrated section of the efficiency table (``fidelity``
    'measured' fits the same factors around measured dense-GEMM timings)."""
    return predict_feasible(prep, params, fidelity)[0]


def predict_feasible(prep: Prepared, params: dict[str, Any], fidelity: str = "calibrated"
                     ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict` and, per row, whether its prediction meets the row's latency limits."""
    out = evaluate(prep, {**(prep.efficiency or A.efficiency_table()), "calibrated": params}, fidelity)
    return out["predicted"], out["feasible"]


def _log_errors(prep: Prepared, pred: np.ndarray) -> np.ndarray:
    """|log(predicted / measured)| per row (a row nothing fits counts as predicted 1e-9)."""
    meas = np.array([r.value for r in prep.rows])
    return np.abs(np.log(np.where(np.isfinite(pred) & (pred > 0), pred, 1e-9) / meas))


def loss(prep: Prepared, params: dict[str, Any], mask: np.ndarray | None = None, fidelity: str = "calibrated") -> float:
    err = _log_errors(prep, predict(prep, params, fidelity))
    if mask is not None:
        err = err[mask]
    return float(np.mean(err)) + _shrinkage(prep, params, mask)


# Each non-default stack factor's |log| distance from the default stack's counts as this many
# rows' |log error|. Chosen on the fitted rows alone: of 0, 1, 2, 3 and 6, 3 gave the lowest
# in-sample MAPE (13.3, 14.0, 13.8, 13.1, 13.6 %; docs/engine.md section 6).
STACK_SHRINKAGE_ROWS = 3.0
# additive factors compare as log((x + soft) / (default + soft)): a zero overhead is a value too
SHRINKAGE_SOFT: dict[str, float] = {"compute_scale": 0.0, "memory_eff": 0.0, "overhead_s": 1e-3, "seq_overhead_s": 1e-6}


def default_stack_of(params: Mapping[str, Any]) -> str:
    """The stack the others shrink towards (the one with the most fitted rows; ``neutral_start``)."""
    return str(params.get("default_stack", "trtllm"))


def _shrinkage(prep: Prepared, params: dict[str, Any], mask: np.ndarray | None) -> float:
    """The shrinkage term of the objective (module docstring), per fitted row."""
    keep = np.ones(len(prep.rows), bool) if mask is None else np.asarray(mask, bool)
    stacks = [r.stack for r, k in zip(prep.rows, keep) if k]
    default = default_stack_of(params)
    d = params["stacks"][default]
    own = params["stacks"]  # a stack without an entry borrows the default's factors: no distance
    pen = sum(abs(np.log((own.get(s, d)[k] + soft) / (d[k] + soft)))
              for s in sorted(set(stacks) - {default}) for k, soft in SHRINKAGE_SOFT.items())
    return STACK_SHRINKAGE_ROWS * float(pen) / max(len(stacks), 1)


def _move_with_default(trial: dict[str, Any], path: tuple[str, ...], cur: float, cand: float,
                       stacks: list[str], lo: float, hi: float) -> None:
    """A step of the default stack's factor ``path`` applied to every other stack by the same ratio."""
    soft = SHRINKAGE_SOFT[path[2]]
    ratio = (cand + soft) / (cur + soft)
    for s in stacks:
        if s != path[1]:
            trial["stacks"][s][path[2]] = min(max((trial["stacks"][s][path[2]] + soft) * ratio - soft, lo), hi)


def _trial(params: dict[str, Any], path: tuple[str, ...], cand: float, stacks: list[str],
           lo: float, hi: float) -> dict[str, Any]:
    """``params`` with the factor ``path`` at ``cand``; a default stack's factor moves every other
    stack's by the ratio of ``cand`` to its value in ``params`` (``_move_with_default``), so trials built
    one on another (a step accepted, then another) keep the stacks' differences."""
    trial = copy.deepcopy(params)
    _set(trial, path, cand)
    if path[0] == "stacks" and path[1] == default_stack_of(params):
        _move_with_default(trial, path, _get(params, path), cand, stacks, lo, hi)
    return trial


def _moved_rows(prep: Prepared, table: Mapping[str, Any], params: dict[str, Any], trials: list[dict[str, Any]],
                fidelity: str) -> np.ndarray:
    """The rows of ``prep`` whose efficiency arrays differ between ``params`` and any of ``trials``.

    A row's prediction depends on the factors only through its candidates' efficiency arrays
    (``score.evaluate``), so a row outside this set predicts the same under every trial."""
    base = efficiency_for(prep, {**table, "calibrated": params}, fidelity)
    moved = np.zeros(len(base.compute_eff), dtype=bool)
    for trial in trials:
        other = efficiency_for(prep, {**table, "calibrated": trial}, fidelity)
        for f in dataclasses.fields(Efficiency):
            a, b = np.asarray(getattr(base, f.name)), np.asarray(getattr(other, f.name))
            moved |= ~((a == b) | (np.isnan(a) & np.isnan(b)))
    return np.unique(prep.row_index[moved[prep.table_index]])


def fit(
    prep: Prepared,
    start: dict[str, Any],
    mask: np.ndarray | None = None,
    rounds: int = 6,
    log: Callable[[str], None] | None = None,
    paths: list[tuple[str, ...]] | None = None,
    fidelity: str = "calibrated",
    restrict: bool = True,
) -> dict[str, Any]:
    """Coordinate descent from ``start`` on the rows selected by ``mask``, over every
    calibrated factor or only over ``paths`` (e.g. one accelerator x stack's three factors,
    ``('accelerator_stacks', acc, stack, 'compute_scale')``...). After a round that improved, a
    pattern move tries every factor at once :data:`PATTERN_STEPS` times further along the round's
    change (``_pattern``; thirty-fifth session, docs/engine.md section 6).

    Each trial value re-evaluates only the fitted rows the factor can move (``_moved_rows``, found
    by setting the factor to both its bounds) and keeps the other rows' errors: the objective, and
    so the fit, is the same as re-evaluating every row, at a fraction of the time
    (``restrict=False`` re-evaluates every fitted row at every trial: benchmarks/fit_speed.py)."""
    params = copy.deepcopy(start)
    keep = np.ones(len(prep.rows), bool) if mask is None else np.asarray(mask, bool)
    rows_stacks = sorted({r.stack for r, k in zip(prep.rows, keep) if k})
    for s in rows_stacks:
        params["stacks"].setdefault(s, copy.deepcopy(params["stacks"][default_stack_of(params)]))
    table = prep.efficiency or A.efficiency_table()
    work = subset(prep, np.flatnonzero(keep))  # the fitted rows, in order
    def objective(errors: np.ndarray, trial: dict[str, Any]) -> float:
        return float(np.mean(errors)) + _shrinkage(prep, trial, mask)

    err = _log_errors(work, predict(work, params, fidelity))
    best = objective(err, params)
    all_paths = paths if paths is not None else _paths(params, rows_stacks)
    for rnd in range(rounds):
        improved = False
        before = copy.deepcopy(params)
        for path in all_paths:
            lo, hi = BOUNDS.get(path[-1]) or BOUNDS[path[0]]
            cur = _get(params, path)
            base = cur if cur > 0 else (hi - lo) * 0.01
            moved = (_moved_rows(work, table, params,
                                 [_trial(params, path, v, rows_stacks, lo, hi) for v in (lo, hi)], fidelity)
                     if restrict else np.arange(len(work.rows)))
            part = subset(work, moved) if len(moved) else None
            for step in STEPS:
                cand = min(max(base * step, lo), hi)
                trial = _trial(params, path, cand, rows_stacks, lo, hi)
                trial_err = err.copy()
                if part is not None:
                    trial_err[moved] = _log_errors(part, predict(part, trial, fidelity))
                val = objective(trial_err, trial)
                if val < best - 1e-6:
                    best, params, err, improved = val, trial, trial_err, True
        if improved:  # a pattern move along the round's change (Hooke and Jeeves)
            for a in PATTERN_STEPS:
                trial = _pattern(params, before, all_paths, a)
                trial_err = _log_errors(work, predict(work, trial, fidelity))
                val = objective(trial_err, trial)
                if val < best - 1e-6:
                    best, params, err = val, trial, trial_err
        if log:
            log(f"round {rnd + 1}: mean |log error| = {best:.4f}")
        if not improved:
            break
    return params


def _pattern(params: dict[str, Any], before: dict[str, Any], paths: list[tuple[str, ...]], a: float) -> dict[str, Any]:
    """Every factor of ``paths`` moved ``a`` times further along its change from ``before`` to
    ``params`` (in log space; linearly where either value is 0), clamped to its bounds."""
    trial = copy.deepcopy(params)
    for path in paths:
        lo, hi = BOUNDS.get(path[-1]) or BOUNDS[path[0]]
        v, v0 = _get(params, path), _get(before, path)
        if v > 0 and v0 > 0:
            cand = v * (v / v0) ** a
        else:
            cand = v + a * (v - v0)
        _set(trial, path, min(max(cand, lo), hi))
    return trial


def fit_neutral(prep: Prepared, pairs: LatencyPairs, mask: np.ndarray | None = None,
                log: Callable[[str], None] | None = None, fidelity: str = "calibrated",
                rounds: int = NEUTRAL_ROUNDS, restrict: bool = True,
                starts: tuple[tuple[str, float], ...] = STARTS) -> dict[str, Any]:
    """The one deterministic fit: from each fixed start of :data:`STARTS` (``starts``, each a
    :func:`neutral_start`'s memory efficiency and per-pass overhead), keeping the result with the
    lowest objective on the fitted rows (the first on a tie), on the rows selected by
    ``mask`` (all rows when None) only. The p99/mean
    factors are the medians of those rows' measured pairs; the default stack is the stack with
    the most of those rows (the factors a stack without rows borrows)."""
    keep = np.ones(len(prep.rows), bool) if mask is None else np.asarray(mask, bool)
    rows = [r for r, k in zip(prep.rows, keep) if k]
    if not rows:
        raise InputError("no measured row to fit on")
    stacks = [r.stack for r in rows]
    default = max(sorted(set(stacks)), key=stacks.count)
    table = prep.efficiency or A.efficiency_table()
    fitted_dtypes = sorted({(a, d) for (a, _, d), k in zip(row_combos(prep), keep) if k and d in FITTED_DTYPES})
    p99 = p99_factors(pairs, [r.id for r in rows])
    best: tuple[float, dict[str, Any]] | None = None
    for memory, overhead_s in starts:
        start = neutral_start(table, stacks, default, memory, overhead_s)
        start.update(p99)
        for acc, dtype in fitted_dtypes:
            arch = architecture(table, acc)
            start["dtype_compute_scale"].setdefault(dtype, {})[arch] = 1.0
            if (dtype, arch) in FITTED_HALF:
                start["moe_half_tokens_scale"].setdefault(dtype, {})[arch] = 1.0
        name = f"memory efficiency {memory} ({start['stacks'][default]['memory_eff']:.2f}), {overhead_s * 1e3:g} ms per pass"
        if log:
            log(f"start: {name}")
        params = fit(prep, start, mask=keep, rounds=rounds, log=log, fidelity=fidelity, restrict=restrict)
        objective = loss(prep, params, keep, fidelity)
        if log:
            log(f"start {name}: objective {objective:.4f}")
        if best is None or objective < best[0] - 1e-9:
            best = (objective, params)
    assert best is not None
    return best[1]
