"""Accuracy against measured results: ``tokenfab validate FILE.csv``.

Every measured row becomes a workload on a fixed instance (model, accelerator x n, weights,
stack; split and concurrency searched as benchmark submitters tune theirs: the highest
throughput meeting the row's latency limits; a row whose source states its parallelism is
predicted with that split only). Rows sharing an instance shape share its
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
from ..deployment.problem import Block, blocks_for, engine_inputs, speculations
from ..deployment.workload import LIMIT_PRESETS_S
from ..engine.arrays import Efficiency, HardwareArrays, ModelArrays, _Columns
from ..engine.efficiency import (
    KV_RESERVE_REQUEST,
    check_fidelity,
    efficiency_arrays,
    with_kv_reserve,
    with_memory_fraction,
)
from ..engine.serving import (
    ParallelConfig,
    ServingPoint,
    best_point,
    carried_share,
    fieldwise,
    steady_state,
    sustained,
)
from ..errors import InputError, TokenfabError
from ..inputs import ResultModel
from .bands import band_for
from .measured import BENCHMARK_DEFAULT_ISL, METRICS, MeasuredRow, read_measured

CHUNK_CANDIDATES = 1024
T = TypeVar("T", bound=_Columns)


def _concat(parts: Sequence[T]) -> T:
    cls = type(parts[0])
    return cls(**{f.name: np.concatenate([np.asarray(getattr(p, f.name), float).ravel() for p in parts])
                  for f in dataclasses.fields(cast(Any, cls))})


@dataclass
class Prepared:
    """Every candidate of every scoreable row, kept compact: one table row per distinct
    (instance shape, split) (``m``, ``hw``, ``cfg``, ``combo``, ``split``) and, per candidate,
    only the measured row it belongs to and its table row. A row's candidates are contiguous."""

    rows: list[MeasuredRow]
    skipped: list[tuple[MeasuredRow, str]]
    m: ModelArrays  # (U,) table rows
    hw: HardwareArrays
    cfg: ParallelConfig  # isl/osl are per measured row, filled in at evaluation
    combo: np.ndarray  # (U,) index into ``combos``
    split: np.ndarray  # (U, 5) tp, pp, ep, dp_attention, replicas
    combos: list[tuple[str, str, str]]  # distinct (accelerator, stack, compute dtype)
    row_index: np.ndarray  # (N,) measured row of each candidate
    table_index: np.ndarray  # (N,) table row of each candidate
    isl: np.ndarray  # (rows,) per measured row
    osl: np.ndarray
    ttft_limit: np.ndarray
    tpot_limit: np.ndarray
    concurrency: np.ndarray  # (rows,) the deployment's fixed concurrency, NaN = best
    osl_cv: np.ndarray  # (rows,) output lengths' std/mean (0 = uniform)
    num_requests: np.ndarray  # (rows,) requests the run sent in all, NaN = unbounded
    memory_fraction: np.ndarray  # (rows,) the server's memory budget in the stack's terms, NaN = the stack's
    max_seqs: np.ndarray  # (rows,) the server's cap on sequences per replica, NaN = none
    kv_reserve: np.ndarray  # (rows,) 1 = the scheduler reserves whole requests, 0 = live context, NaN = the stack's rule
    efficiency: dict[str, Any] | None = None  # the catalog's efficiency table (overlay included)

    def split_of(self, candidate: int) -> tuple[int, int, int, int, int]:
        tp, pp, ep, dpa, rep = (int(v) for v in self.split[self.table_index[candidate]])
        return tp, pp, ep, dpa, rep


def _limits(row: MeasuredRow) -> tuple[float, float]:
    ttft, tpot = LIMIT_PRESETS_S[row.scenario]
    return (row.ttft_limit_s or ttft, row.tpot_limit_s or tpot)


def _shape(cat: Catalog, row: MeasuredRow, split: dict[str, int | bool]) -> tuple[ModelSpec, Block]:
    if not cat.has("models", row.model):
        raise InputError(f"model {row.model!r} is not in the catalog")
    if not cat.has("accelerators", row.accelerator):
        raise InputError(f"accelerator {row.accelerator!r} is not in the catalog")
    spec, acc = cat.model(row.model), cat.accelerator(row.accelerator)
    if row.weights_dtype not in ("bf16", "fp16", "fp8", "fp4", "nvfp4", "mxfp4"):
        raise InputError(f"weights_dtype = {row.weights_dtype!r} is not a known weight format")
    blocks = blocks_for(cat, spec, acc, row.n_accel, (row.weights_dtype,), row.kv_dtype, row.stack, split,
                        speculations(cat, spec, row.speculative or "off", None, None))
    return spec, blocks[0]


def _group(rows: Sequence[MeasuredRow], cat: Catalog) -> tuple[list[MeasuredRow], list[tuple[MeasuredRow, str]],
                                                               dict[Any, tuple[ModelSpec, Block]], dict[Any, list[int]]]:
    """Scoreable rows grouped by instance shape (each shape built once), and the skipped rows."""
    kept: list[MeasuredRow] = []
    skipped: list[tuple[MeasuredRow, str]] = []
    shapes: dict[Any, tuple[ModelSpec, Block] | str] = {}
    groups: dict[Any, list[int]] = {}
    for row in rows:
        split = row.fixed_split
        key = (row.model, row.accelerator, row.n_accel, row.weights_dtype, row.stack, row.speculative or "off",
               row.kv_dtype, tuple(split.items()))
        if key not in shapes:
            try:
                shapes[key] = _shape(cat, row, split)
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
    built = {k: v for k, v in shapes.items() if not isinstance(v, str)}
    return kept, skipped, built, groups


def prepare(rows: Sequence[MeasuredRow], catalog: Catalog | None = None) -> Prepared:
    cat = catalog or load_catalog()
    kept, skipped, shapes, groups = _group(rows, cat)
    tables: list[tuple[ModelArrays, HardwareArrays, ParallelConfig]] = []
    combo_u: list[np.ndarray] = []
    split_u: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    table_parts: list[np.ndarray] = []
    combos: dict[tuple[str, str, str], int] = {}
    base = 0
    for key, members in groups.items():
        spec, block = shapes[key]
        inp = engine_inputs(spec, [block], 1.0, 1.0, 8192.0, False, "roofline")
        s = len(block.splits)
        n = np.asarray(inp.cfg.tp).size
        tables.append((ModelArrays(**{f.name: np.broadcast_to(np.asarray(getattr(inp.m, f.name), float), (n,))
                                      for f in dataclasses.fields(ModelArrays)}), inp.hw, inp.cfg))
        combo = (block.accelerator.id, block.precision.stack, block.precision.efficiency_dtype)
        combo_u.append(np.full(s, combos.setdefault(combo, len(combos))))
        split_u.append(np.array([sp[:5] for sp in block.splits], dtype=np.int32).reshape(-1, 5))
        row_parts.append(np.repeat(np.asarray(members, dtype=np.int32), s))
        table_parts.append(np.tile(np.arange(base, base + s, dtype=np.int32), len(members)))
        base += s
    lim = np.array([_limits(r) for r in kept], dtype=float).reshape(-1, 2)
    isl = np.array([r.isl_tokens or BENCHMARK_DEFAULT_ISL.get(r.model, 1.0) for r in kept], dtype=float)
    osl = np.array([r.osl_tokens for r in kept], dtype=float)
    conc = np.array([r.concurrency or np.nan for r in kept], dtype=float)
    cv = np.array([r.output_spread for r in kept], dtype=float)
    nreq = np.array([r.num_requests or np.nan for r in kept], dtype=float)
    memf = np.array([r.memory_fraction or np.nan for r in kept], dtype=float)
    mseq = np.array([r.max_seqs or np.nan for r in kept], dtype=float)
    kvr = np.array([KV_RESERVE_REQUEST.get(r.kv_reserve or "", np.nan) for r in kept], dtype=float)
    if not tables:
        z = np.zeros(0, dtype=np.int32)
        return Prepared(kept, skipped, ModelArrays.stack([]), HardwareArrays.stack([]), ParallelConfig.stack([]),
                        z, np.zeros((0, 5), np.int32), [], z, z, isl, osl, lim[:, 0], lim[:, 1], conc, cv, nreq, memf,
                        mseq, kvr, cat.efficiency)
    return Prepared(
        rows=kept, skipped=skipped, m=_concat([t[0] for t in tables]), hw=_concat([t[1] for t in tables]),
        cfg=_concat([t[2] for t in tables]), combo=np.concatenate(combo_u), split=np.concatenate(split_u),
        combos=list(combos), row_index=np.concatenate(row_parts), table_index=np.concatenate(table_parts),
        isl=isl, osl=osl, ttft_limit=lim[:, 0], tpot_limit=lim[:, 1], concurrency=conc, osl_cv=cv,
        num_requests=nreq, memory_fraction=memf, max_seqs=mseq, kv_reserve=kvr, efficiency=cat.efficiency)


def subset(prep: Prepared, rows: np.ndarray) -> Prepared:
    """``prep`` restricted to the measured rows ``rows`` (indices, increasing), in that order.

    Evaluation is row by row (a row's prediction depends on its own candidates only), so a
    row's prediction from the subset equals its prediction from the whole: the calibration fit
    re-evaluates only the rows a trial factor can move."""
    rows = np.asarray(rows, dtype=np.int64)
    new_of = np.full(len(prep.rows), -1, dtype=np.int32)
    new_of[rows] = np.arange(len(rows), dtype=np.int32)
    keep = new_of[prep.row_index] >= 0
    return dataclasses.replace(
        prep, rows=[prep.rows[i] for i in rows], row_index=new_of[prep.row_index[keep]],
        table_index=prep.table_index[keep], isl=prep.isl[rows], osl=prep.osl[rows],
        ttft_limit=prep.ttft_limit[rows], tpot_limit=prep.tpot_limit[rows], concurrency=prep.concurrency[rows],
        osl_cv=prep.osl_cv[rows], num_requests=prep.num_requests[rows], memory_fraction=prep.memory_fraction[rows],
        max_seqs=prep.max_seqs[rows], kv_reserve=prep.kv_reserve[rows])


def efficiency_for(prep: Prepared, table: Mapping[str, Any], fidelity: str) -> Efficiency:
    """Per table row efficiency under ``table`` (shaped like efficiency.yaml)."""
    if not prep.combos:
        return Efficiency.stack([])
    acc, stack, dtype = zip(*prep.combos)
    return efficiency_arrays(table, list(acc), list(stack), list(dtype), fidelity).take(prep.combo)


def _chunks(prep: Prepared) -> list[tuple[int, int]]:
    """Candidate ranges of about CHUNK_CANDIDATES, cut at row boundaries."""
    if not len(prep.row_index):
        return []
    starts = np.flatnonzero(np.r_[True, np.diff(prep.row_index) != 0])
    bounds = np.r_[starts, len(prep.row_index)]
    out, lo = [], 0
    while lo < len(starts):
        hi = max(int(np.searchsorted(bounds, bounds[lo] + CHUNK_CANDIDATES, side="right")) - 1, lo + 1)
        out.append((int(bounds[lo]), int(bounds[hi])))
        lo = hi
    return out


def evaluate(prep: Prepared, table: Mapping[str, Any] | None = None, fidelity: str = "calibrated"
             ) -> dict[str, np.ndarray]:
    """Predicted metric per kept row (NaN when nothing fits), the chosen candidate per row, the
    whole deployment's concurrency it was predicted at (``concurrency``, NaN when nothing fits),
    and whether it meets the row's latency limits (``feasible``: False where no candidate does and
    the row falls back to its best fit, or nothing fits)."""
    check_fidelity(fidelity)
    eff_u = efficiency_for(prep, table or prep.efficiency or A.efficiency_table(), fidelity)
    n_rows = len(prep.rows)
    pred, best, conc = np.full(n_rows, np.nan), np.full(n_rows, -1), np.full(n_rows, np.nan)
    met = np.zeros(n_rows, dtype=bool)
    metric = np.array([METRICS.index(r.metric) for r in prep.rows], dtype=int)
    for a, b in _chunks(prep):
        ri, ti = prep.row_index[a:b], prep.table_index[a:b]
        cfg = dataclasses.replace(prep.cfg.take(ti), isl=prep.isl[ri], osl=prep.osl[ri], osl_cv=prep.osl_cv[ri])
        # the run's own budget and KV admission rule, where stated
        eff = with_kv_reserve(with_memory_fraction(eff_u.take(ti), prep.memory_fraction[ri]), prep.kv_reserve[ri])
        pt, feasible = best_point(prep.m.take(ti), prep.hw.take(ti), eff, cfg, prep.ttft_limit[ri], prep.tpot_limit[ri])
        pt, feasible = _at_fixed_concurrency(prep, ri, ti, eff, cfg, pt, feasible)
        pt = _within_request_count(prep, ri, ti, eff, cfg, pt)
        # a server under its latency limits carries the fitted share; offline and fixed-concurrency
        # runs (closed loops that set no limit) none
        pt = sustained(pt, carried_share(eff.server_utilization, prep.ttft_limit[ri], prep.tpot_limit[ri],
                                         np.isfinite(prep.concurrency[ri])))
        thr = np.where(pt.fits, pt.throughput_output_tok_per_s, -np.inf)
        score = np.where(feasible, thr, thr - 1e30)  # rows nothing meets fall back to their best fit
        order = np.lexsort((-score, ri))
        first = order[np.r_[True, np.diff(ri[order]) != 0]]
        rows_here = ri[first]
        values = np.stack([pt.throughput_output_tok_per_s[first], pt.tpot_s[first], pt.ttft_s[first]])
        got = values[metric[rows_here], np.arange(len(first))]
        fits = np.isfinite(score[first])
        pred[rows_here] = np.where(fits, got, np.nan)
        best[rows_here] = np.where(fits, first + a, -1)
        conc[rows_here] = np.where(fits, pt.concurrency[first] * np.asarray(cfg.replicas, float)[first], np.nan)
        met[rows_here] = fits & np.asarray(feasible, bool)[first]
    return {"predicted": pred, "best": best, "concurrency": conc, "feasible": met}


def _at_fixed_concurrency(prep: Prepared, ri: np.ndarray, ti: np.ndarray, eff: Efficiency, cfg: ParallelConfig,
                          pt: ServingPoint, feasible: np.ndarray) -> tuple[ServingPoint, np.ndarray]:
    """Candidates of rows measured at a fixed deployment concurrency (a benchmark's
    --max-concurrency) are evaluated at that concurrency, shared by the replicas; the run
    set no latency limit, so such a candidate is feasible when its KV cache fits."""
    conc = prep.concurrency[ri]
    fixed = np.isfinite(conc)
    if not fixed.any():
        return pt, feasible
    idx = np.flatnonzero(fixed)
    at = _evaluated_at(prep, ti, eff, cfg, idx, conc[idx])
    feasible = np.array(feasible, dtype=bool)
    feasible[idx] = np.asarray(at.fits, bool)
    return _merge(pt, at, idx), feasible


def _within_request_count(prep: Prepared, ri: np.ndarray, ti: np.ndarray, eff: Efficiency, cfg: ParallelConfig,
                          pt: ServingPoint) -> ServingPoint:
    """A run that sent N requests in all (queued at once) never holds more than N at a time, and a
    server capped at S sequences per replica (``max_seqs``) never batches more than S: a
    candidate whose chosen concurrency is above either is evaluated at the lower cap. A smaller
    batch only shortens steps, so the candidate stays as feasible as it was."""
    replicas = np.asarray(cfg.replicas, float)
    cap = np.fmin(prep.num_requests[ri], prep.max_seqs[ri] * replicas)  # whole deployment; NaN = no cap
    over = np.isfinite(cap) & (np.asarray(pt.concurrency, float) * replicas > cap)
    if not over.any():
        return pt
    idx = np.flatnonzero(over)
    return _merge(pt, _evaluated_at(prep, ti, eff, cfg, idx, cap[idx]), idx)


def _evaluated_at(prep: Prepared, ti: np.ndarray, eff: Efficiency, cfg: ParallelConfig, idx: np.ndarray,
                  deployment_concurrency: np.ndarray) -> ServingPoint:
    """The candidates at ``idx`` alone (``eff`` and ``cfg`` per candidate of the chunk), at a
    whole-deployment concurrency shared by their replicas."""
    per_replica = deployment_concurrency / np.asarray(cfg.replicas, float)[idx]
    return steady_state(prep.m.take(ti[idx]), prep.hw.take(ti[idx]), eff.take(idx), cfg.take(idx), per_replica)


def _merge(pt: ServingPoint, at: ServingPoint, idx: np.ndarray) -> ServingPoint:
    """``pt`` with the candidates at ``idx`` replaced by ``at`` (evaluated on those alone)."""
    n = np.asarray(pt.concurrency).shape[0]

    def put(a: Any, b: Any) -> Any:
        out = np.array(np.broadcast_to(a, (n,)), dtype=np.result_type(a, b))
        out[idx] = np.broadcast_to(b, idx.shape)
        return out

    return fieldwise(put, pt, at)


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
    # the 80 % prediction interval of this row's class (accuracy.bands; calibrated fidelity only)
    predicted_low: float | None = None
    predicted_high: float | None = None
    accuracy_class: str | None = None
    validated: bool | None = None
    # False: no candidate meets the row's latency limits; ``predicted`` is the lowest-TPOT point
    within_limits: bool = True


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


def _interval(row: MeasuredRow, predicted: float, vendor: str | None, fidelity: str) -> dict[str, Any]:
    """predicted_low/high of a row: throughput x the band's ratios, a TTFT or TPOT x its own multiples."""
    if vendor is None or fidelity != "calibrated":
        return {}
    b = band_for(vendor, row.stack, row.weights_dtype, row.scenario)
    lo, hi = ((predicted * b.ratio_low, predicted * b.ratio_high) if row.metric == "output_tok_per_s"
              else (predicted * b.ttft_factor_low, predicted * b.ttft_factor_high) if row.metric == "ttft_s"
              else (predicted * b.tpot_factor_low, predicted * b.tpot_factor_high))
    return dict(predicted_low=lo, predicted_high=hi, accuracy_class=b.accuracy_class, validated=b.validated)


def report(prep: Prepared, out: dict[str, np.ndarray], fidelity: str,
           vendor: Mapping[str, str] | None = None) -> AccuracyReport:
    """Rows predicted vs measured; with ``vendor`` (accelerator id -> vendor) each row also gets
    its class's 80 % interval."""
    rows, skipped = [], [SkippedRow(id=r.id, reason=why) for r, why in prep.skipped]
    for row, p, b, ok in zip(prep.rows, out["predicted"], out["best"], out["feasible"]):
        if not np.isfinite(p):
            skipped.append(SkippedRow(id=row.id, reason="no deployment of this workload fits in memory"))
            continue
        t, pp_, e, dpa, rep = prep.split_of(int(b))
        # the bands describe estimates within limits: a row outside every limit gets no range
        band = _interval(row, float(p), None if vendor is None else vendor[row.accelerator], fidelity) if ok else {}
        rows.append(AccuracyRow(**band,
            id=row.id, model=row.model, accelerator=row.accelerator, n_accel=row.n_accel, scenario=row.scenario,
            metric=row.metric, predicted=float(p), measured=row.value, ape=abs(float(p) - row.value) / row.value,
            ratio=float(p) / row.value, tp=t, pp=pp_, ep=e, dp_attention=bool(dpa), replicas=rep,
            within_limits=bool(ok)))
    apes = np.array([r.ape for r in rows])
    ratios = np.array([r.ratio for r in rows])
    return AccuracyReport(
        fidelity=fidelity, rows=tuple(rows), skipped=tuple(skipped), n_rows=len(rows),
        mape=float(apes.mean()) if rows else None, median_ape=float(np.median(apes)) if rows else None,
        max_ratio=float(np.max(np.maximum(ratios, 1 / ratios))) if rows else None)


def measure_accuracy(path: str | Path, fidelity: str = "calibrated", catalog: Catalog | None = None) -> AccuracyReport:
    """Score the engine on a measured-results CSV (``tokenfab validate``)."""
    check_fidelity(fidelity)
    cat = catalog or load_catalog()
    prep = prepare(read_measured(path), cat)
    vendor = {r.accelerator: cat.accelerator(r.accelerator).vendor for r in prep.rows}
    rep = report(prep, evaluate(prep, fidelity=fidelity), fidelity, vendor)
    if not rep.rows:
        first = rep.skipped[0].reason if rep.skipped else "no rows"
        raise InputError(f"{path}: no row could be scored ({len(rep.skipped)} skipped; first: {first})")
    return rep
