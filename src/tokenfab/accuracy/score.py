"""Accuracy against measured results: ``tokenfab validate FILE.csv``.

Every measured row becomes a workload on a fixed instance (model, accelerator x n, weights,
stack; split and concurrency searched as benchmark submitters tune theirs: the highest
throughput meeting the row's latency limits). Rows sharing an instance shape share its
splits (built once, through ``deployment.problem``, the same path every command uses), and
all candidates are evaluated in chunks of :data:`CHUNK_CANDIDATES`, so memory stays bounded
whatever the file length. The prepared arrays can be re-scored under other efficiency
tables without rebuilding (calibration and cross-validation do that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np

from ..catalog import assumptions as A
from ..catalog.loader import Catalog, load_catalog
from ..catalog.model_spec import ModelSpec
from ..deployment.problem import Block, blocks_for, engine_inputs
from ..deployment.workload import LIMIT_PRESETS_S
from ..engine.arrays import Efficiency, HardwareArrays, ModelArrays, _Columns
from ..engine.efficiency import check_fidelity, efficiency_arrays
from ..engine.serving import ParallelConfig, best_point
from ..errors import InputError, TokenfabError
from ..inputs import ResultModel
from .measured import BENCHMARK_DEFAULT_ISL, METRICS, MeasuredRow, read_measured

CHUNK_CANDIDATES = 8192
T = TypeVar("T", bound=_Columns)


def _concat(parts: Sequence[T]) -> T:
    cls = type(parts[0])
    return cls(**{f.name: np.concatenate([np.asarray(getattr(p, f.name), float).ravel() for p in parts])
                  for f in dataclasses.fields(cast(Any, cls))})


def _repeat(rec: T, n: int) -> T:
    """Each column tiled ``n`` times (a (1,) column is first broadcast to the record's length)."""
    length = max(np.asarray(getattr(rec, f.name)).size for f in dataclasses.fields(cast(Any, rec)))
    return type(rec)(**{f.name: np.tile(np.broadcast_to(np.asarray(getattr(rec, f.name), float), (length,)), n)
                        for f in dataclasses.fields(cast(Any, rec))})


@dataclass
class Prepared:
    """Every candidate of every scoreable row as one set of columns (rows contiguous)."""

    rows: list[MeasuredRow]
    skipped: list[tuple[MeasuredRow, str]]
    m: ModelArrays
    hw: HardwareArrays
    cfg: ParallelConfig
    row_index: np.ndarray
    ttft_limit: np.ndarray
    tpot_limit: np.ndarray
    combos: list[tuple[str, str, str]]  # distinct (accelerator, stack, compute dtype)
    combo_index: np.ndarray
    split_of: list[tuple[int, int, int, int, int]]  # per candidate: tp, pp, ep, dp_attention, replicas


def _limits(row: MeasuredRow) -> tuple[float, float]:
    ttft, tpot = LIMIT_PRESETS_S[row.scenario]
    return (row.ttft_limit_s or ttft, row.tpot_limit_s or tpot)


def _shape(cat: Catalog, row: MeasuredRow) -> tuple[ModelSpec, Block]:
    if not cat.has("models", row.model):
        raise InputError(f"model {row.model!r} is not in the catalog")
    if not cat.has("accelerators", row.accelerator):
        raise InputError(f"accelerator {row.accelerator!r} is not in the catalog")
    spec, acc = cat.model(row.model), cat.accelerator(row.accelerator)
    if row.weights_dtype not in ("bf16", "fp16", "fp8", "fp4", "nvfp4", "mxfp4"):
        raise InputError(f"weights_dtype = {row.weights_dtype!r} is not a known weight format")
    blocks = blocks_for(cat, spec, acc, row.n_accel, (row.weights_dtype,), None, row.stack, {})
    return spec, blocks[0]


def prepare(rows: Sequence[MeasuredRow], catalog: Catalog | None = None) -> Prepared:
    cat = catalog or load_catalog()
    kept: list[MeasuredRow] = []
    skipped: list[tuple[MeasuredRow, str]] = []
    shapes: dict[tuple[str, str, int, str, str], tuple[ModelSpec, Block] | str] = {}
    groups: dict[tuple[str, str, int, str, str], list[int]] = {}
    for row in rows:
        key = (row.model, row.accelerator, row.n_accel, row.weights_dtype, row.stack)
        if key not in shapes:
            try:
                shapes[key] = _shape(cat, row)
            except TokenfabError as exc:
                shapes[key] = str(exc)
        got = shapes[key]
        if isinstance(got, str):
            skipped.append((row, got))
        elif row.isl_tokens is None and row.model not in BENCHMARK_DEFAULT_ISL:
            skipped.append((row, f"isl_tokens is empty and {row.model} has no documented benchmark default"))
        else:
            groups.setdefault(key, []).append(len(kept))
            kept.append(row)
    parts: list[tuple[ModelArrays, HardwareArrays, ParallelConfig]] = []
    row_index: list[np.ndarray] = []
    combos_of: list[np.ndarray] = []
    split_of: list[tuple[int, int, int, int, int]] = []
    combos: dict[tuple[str, str, str], int] = {}
    for key, members in groups.items():
        shape = shapes[key]
        assert not isinstance(shape, str)  # only shapes that built have members
        spec, block = shape
        inp = engine_inputs(spec, [block], 1.0, 1.0, 8192.0, False, "roofline")
        s = len(block.splits)
        isl = np.repeat([kept[i].isl_tokens or BENCHMARK_DEFAULT_ISL[kept[i].model] for i in members], s)
        osl = np.repeat([kept[i].osl_tokens for i in members], s)
        cfg = dataclasses.replace(_repeat(inp.cfg, len(members)), isl=isl, osl=osl)
        parts.append((_repeat(inp.m, len(members) * s), _repeat(inp.hw, len(members)), cfg))
        row_index.append(np.repeat(members, s))
        combo = (block.accelerator.id, block.precision.stack, block.precision.compute_dtype)
        combos_of.append(np.full(len(members) * s, combos.setdefault(combo, len(combos))))
        split_of.extend([(sp.tp, sp.pp, sp.ep, sp.dp_attention, sp.replicas) for sp in block.splits] * len(members))
    if not parts:
        empty = np.zeros(0)
        return Prepared(kept, skipped, ModelArrays.stack([]), HardwareArrays.stack([]), ParallelConfig.stack([]),
                        empty.astype(int), empty, empty, [], empty.astype(int), [])
    order = np.argsort(np.concatenate(row_index), kind="stable")  # rows contiguous, in file order
    idx = np.concatenate(row_index)[order]
    lim = np.array([_limits(r) for r in kept]).reshape(-1, 2)
    return Prepared(
        rows=kept, skipped=skipped, m=_concat([p[0] for p in parts]).take(order),
        hw=_concat([p[1] for p in parts]).take(order), cfg=_concat([p[2] for p in parts]).take(order),
        row_index=idx, ttft_limit=lim[idx, 0], tpot_limit=lim[idx, 1], combos=list(combos),
        combo_index=np.concatenate(combos_of)[order], split_of=[split_of[i] for i in order])


def efficiency_for(prep: Prepared, table: Mapping[str, Any], fidelity: str) -> Efficiency:
    """Per-candidate efficiency under ``table`` (shaped like efficiency.yaml)."""
    if not prep.combos:
        return Efficiency.stack([])
    acc, stack, dtype = zip(*prep.combos)
    return efficiency_arrays(table, list(acc), list(stack), list(dtype), fidelity).take(prep.combo_index)


def evaluate(prep: Prepared, table: Mapping[str, Any] | None = None, fidelity: str = "calibrated"
             ) -> dict[str, np.ndarray]:
    """Predicted metric per kept row (NaN when nothing fits) and the chosen candidate per row."""
    check_fidelity(fidelity)
    eff = efficiency_for(prep, table or A.efficiency_table(), fidelity)
    n_rows = len(prep.rows)
    pred, best = np.full(n_rows, np.nan), np.full(n_rows, -1)
    metric = np.array([METRICS.index(r.metric) for r in prep.rows], dtype=int)
    starts = np.flatnonzero(np.r_[True, np.diff(prep.row_index) != 0]) if n_rows else np.zeros(0, int)
    bounds = np.r_[starts, len(prep.row_index)]
    lo = 0
    while lo < len(starts):
        hi = int(np.searchsorted(bounds, bounds[lo] + CHUNK_CANDIDATES, side="right")) - 1
        hi = max(hi, lo + 1)
        a, b = int(bounds[lo]), int(bounds[hi])
        sl = slice(a, b)
        pt, feasible = best_point(prep.m.take(sl), prep.hw.take(sl), eff.take(sl), prep.cfg.take(sl),
                                  prep.ttft_limit[sl], prep.tpot_limit[sl])
        thr = np.where(pt.fits, pt.throughput_output_tok_per_s, -np.inf)
        score = np.where(feasible, thr, thr - 1e30)  # rows nothing meets fall back to their best fit
        ri = prep.row_index[sl]
        order = np.lexsort((-score, ri))
        first = order[np.r_[True, np.diff(ri[order]) != 0]]
        rows_here = ri[first]
        values = np.stack([pt.throughput_output_tok_per_s[first], pt.tpot_s[first], pt.ttft_s[first]])
        got = values[metric[rows_here], np.arange(len(first))]
        fits = np.isfinite(score[first])
        pred[rows_here] = np.where(fits, got, np.nan)
        best[rows_here] = np.where(fits, first + a, -1)
        lo = hi
    return {"predicted": pred, "best": best}


class AccuracyRow(ResultModel):
    id: str
    model: str
    accelerator: str
    n_accel: int
    scenario: str
    metric: str
    predicted: float
    measured: float
    ape: float
    ratio: float
    tp: int
    pp: int
    ep: int
    dp_attention: bool
    replicas: int


class SkippedRow(ResultModel):
    id: str
    reason: str


class AccuracyReport(ResultModel):
    """Predicted vs measured per row; summary figures are None when no row could be scored."""

    fidelity: str
    rows: tuple[AccuracyRow, ...]
    skipped: tuple[SkippedRow, ...]
    n_rows: int
    mape: float | None
    median_ape: float | None
    max_ratio: float | None

    def worst(self, n: int = 5) -> list[AccuracyRow]:
        return sorted(self.rows, key=lambda r: -r.ape)[:n]


def report(prep: Prepared, out: dict[str, np.ndarray], fidelity: str) -> AccuracyReport:
    rows, skipped = [], [SkippedRow(id=r.id, reason=why) for r, why in prep.skipped]
    for row, p, b in zip(prep.rows, out["predicted"], out["best"]):
        if not np.isfinite(p):
            skipped.append(SkippedRow(id=row.id, reason="no deployment of this workload fits in memory"))
            continue
        t, pp_, e, dpa, rep = prep.split_of[int(b)]
        rows.append(AccuracyRow(
            id=row.id, model=row.model, accelerator=row.accelerator, n_accel=row.n_accel, scenario=row.scenario,
            metric=row.metric, predicted=float(p), measured=row.value, ape=abs(float(p) - row.value) / row.value,
            ratio=float(p) / row.value, tp=t, pp=pp_, ep=e, dp_attention=bool(dpa), replicas=rep))
    apes = np.array([r.ape for r in rows])
    ratios = np.array([r.ratio for r in rows])
    return AccuracyReport(
        fidelity=fidelity, rows=tuple(rows), skipped=tuple(skipped), n_rows=len(rows),
        mape=float(apes.mean()) if rows else None, median_ape=float(np.median(apes)) if rows else None,
        max_ratio=float(np.max(np.maximum(ratios, 1 / ratios))) if rows else None)


def measure_accuracy(path: str | Path, fidelity: str = "calibrated", catalog: Catalog | None = None) -> AccuracyReport:
    """Score the engine on a measured-results CSV (``tokenfab validate``)."""
    check_fidelity(fidelity)
    prep = prepare(read_measured(path), catalog)
    rep = report(prep, evaluate(prep, fidelity=fidelity), fidelity)
    if not rep.rows:
        first = rep.skipped[0].reason if rep.skipped else "no rows"
        raise InputError(f"{path}: no row could be scored ({len(rep.skipped)} skipped; first: {first})")
    return rep
