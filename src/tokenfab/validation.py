"""Accuracy against measured results: ``tokenfab validate FILE.csv``.

The file has exactly the header ``VALIDATION_HEADER``. Every row is turned into an
estimate request; all rows' candidate deployments are evaluated in one vectorized
pass, so the same prepared problem can be re-scored quickly under other efficiency
factors (calibration and leave-one-out use that).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import efficiency as _eff
from .catalog import Catalog, load_catalog
from .engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig, best_point
from .errors import InputError, TokenfabError
from .estimate import EstimateRequest, build_problem, model_row
from .inputs import parse_input

VALIDATION_HEADER = (
    "id,model,accelerator,n_accel,weights_dtype,scenario,isl_tokens,osl_tokens,"
    "ttft_limit_s,tpot_limit_s,stack,metric,value,source"
).split(",")
METRICS = ("output_tok_per_s", "tpot_s", "ttft_s")
# Mean input tokens of the MLPerf Inference datasets, used when isl_tokens is empty
# (openshift-psap/performance-dashboard@7100702 mlperf-data/summaries; shared/reference/README.md)
BENCHMARK_DEFAULT_ISL: dict[str, float] = {
    "llama-2-70b": 222.33,
    "llama-3.1-405b": 9428.64,
    "mixtral-8x7b": 427.39,
    "llama-3.1-8b": 870.73,
    "deepseek-r1": 803.79,
}


class ValidationRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    model: str
    accelerator: str
    n_accel: int = Field(ge=1)
    weights_dtype: str
    scenario: Literal["offline", "server", "interactive"]
    isl_tokens: float | None = Field(default=None, gt=0)
    osl_tokens: float = Field(gt=0)
    ttft_limit_s: float | None = Field(default=None, gt=0)
    tpot_limit_s: float | None = Field(default=None, gt=0)
    stack: str
    metric: Literal["output_tok_per_s", "tpot_s", "ttft_s"]
    value: float = Field(gt=0)
    source: str = Field(min_length=3)


def read_validation_csv(path: str | Path) -> list[ValidationRow]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    reader = csv.reader(text.splitlines())
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError(f"{p}: CSV syntax error: {exc}") from None
    if not records or [h.strip() for h in records[0]] != VALIDATION_HEADER:
        got = ",".join(records[0]) if records else "(empty file)"
        raise InputError(f"{p}:1: header must be exactly '{','.join(VALIDATION_HEADER)}', got '{got}'")
    rows = []
    for n, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(VALIDATION_HEADER):
            raise InputError(f"{p}:{n}: row has {len(cells)} cells, header has {len(VALIDATION_HEADER)}")
        data = {h: c.strip() for h, c in zip(VALIDATION_HEADER, cells) if c.strip() != ""}
        rows.append(parse_input(ValidationRow, data, what=f"{p.name}:{n}"))
    return rows


@dataclass
class Prepared:
    """All candidate deployments of all expressible rows, as one set of arrays."""

    rows: list[ValidationRow]
    skipped: list[tuple[ValidationRow, str]]
    m: ModelArrays
    hw: HardwareArrays
    cfg: ParallelConfig
    row_index: np.ndarray
    ttft_limit: np.ndarray
    tpot_limit: np.ndarray
    hw_compute_eff: np.ndarray
    stack: np.ndarray
    fp4: np.ndarray
    accelerator: np.ndarray
    model: np.ndarray
    candidates: list[tuple[int, int, int, int, int]] = field(default_factory=list)


def prepare(rows: list[ValidationRow], catalog: Catalog | None = None) -> Prepared:
    cat = catalog or load_catalog()
    kept, skipped = [], []
    mrows, hrows, crows, idx, tl, pl, he, st, f4, ac, mo, cands_all = ([] for _ in range(12))
    for row in rows:
        try:
            if row.model not in cat.rows["models"]:
                raise InputError(f"model {row.model!r} is not in the catalog")
            if row.accelerator not in cat.rows["accelerators"]:
                raise InputError(f"accelerator {row.accelerator!r} is not in the catalog")
            isl = row.isl_tokens or BENCHMARK_DEFAULT_ISL.get(row.model)
            if isl is None:
                raise InputError(f"isl_tokens is empty and {row.model} has no documented benchmark default")
            req = parse_input(EstimateRequest, dict(
                model=row.model, accelerator=row.accelerator, count=row.n_accel, weights=row.weights_dtype,
                isl=isl, osl=row.osl_tokens, scenario=row.scenario,
                ttft_max_s=row.ttft_limit_s, tpot_max_s=row.tpot_limit_s, stack=row.stack,
            ))
            prob = build_problem(req, cat)
        except TokenfabError as exc:
            skipped.append((row, str(exc)))
            continue
        k = len(kept)
        kept.append(row)
        ttft, tpot = req.limits()
        n = len(prob.candidates)
        mrows += [model_row(prob.spec)] * n
        hrows += [prob.hw_row] * n
        crows += prob.cfg_rows
        idx += [k] * n
        tl += [ttft] * n
        pl += [tpot] * n
        he += [_eff.hardware_compute_eff(prob.acc.id, prob.peak_dtype)] * n
        st += [prob.stack] * n
        f4 += [prob.peak_dtype == "fp4"] * n
        ac += [prob.acc.id] * n
        mo += [prob.spec.id] * n
        cands_all += prob.candidates
    return Prepared(
        rows=kept, skipped=skipped, m=ModelArrays.stack(mrows), hw=HardwareArrays.stack(hrows),
        cfg=ParallelConfig.stack(crows), row_index=np.array(idx, dtype=int), ttft_limit=np.array(tl),
        tpot_limit=np.array(pl), hw_compute_eff=np.array(he), stack=np.array(st), fp4=np.array(f4),
        accelerator=np.array(ac), model=np.array(mo), candidates=cands_all,
    )


def efficiency_arrays(prep: Prepared, params: dict[str, Any], fidelity: str) -> Efficiency:
    """Per-candidate efficiency from a parameter dict shaped like efficiency.yaml's 'calibrated'."""
    n = len(prep.row_index)
    if fidelity == "roofline":
        return Efficiency.stack([_eff.factors("", "", "bf16", "roofline")] * 1).take(np.zeros(n, dtype=int))
    d = _eff.table()["derated"]
    if fidelity == "derated":
        return Efficiency(
            compute_eff=prep.hw_compute_eff, memory_eff=np.full(n, d["memory_eff"]),
            network_eff=np.full(n, d["network_eff"]), overhead_s=np.zeros(n), collective_latency_s=np.zeros(n),
            layer_overhead_s=np.zeros(n), moe_eff=np.ones(n), moe_half_tokens=np.zeros(n),
        )
    stacks = params["stacks"]
    default = stacks[params.get("default_stack", "trtllm")]
    get = lambda key: np.array([(stacks.get(s) or default)[key] for s in prep.stack], dtype=float)  # noqa: E731
    scale = get("compute_scale") * np.where(prep.fp4, params["fp4_compute_scale"], 1.0)
    return Efficiency(
        compute_eff=np.minimum(prep.hw_compute_eff * scale, 1.0), memory_eff=np.minimum(get("memory_eff"), 1.0),
        network_eff=np.full(n, d["network_eff"]), overhead_s=get("overhead_s"),
        collective_latency_s=np.full(n, params["collective_latency_s"]),
        layer_overhead_s=np.full(n, params["layer_overhead_s"]), moe_eff=np.full(n, params["moe_eff"]),
        moe_half_tokens=np.full(n, params["moe_half_tokens"]),
    )


def evaluate(prep: Prepared, params: dict[str, Any] | None = None, fidelity: str = "calibrated") -> dict[str, np.ndarray]:
    """Predicted metric per kept row, and the chosen candidate per row."""
    params = params or _eff.table()["calibrated"]
    eff = efficiency_arrays(prep, params, fidelity)
    pt, feasible = best_point(prep.m, prep.hw, eff, prep.cfg, prep.ttft_limit, prep.tpot_limit)
    n_rows = len(prep.rows)
    thr = np.where(pt.fits, pt.throughput_output_tok_per_s, -np.inf)
    # rows whose limits nothing meets fall back to their best-fitting candidate
    score = np.where(feasible, thr, thr - 1e30)
    best = np.full(n_rows, -1)
    best_score = np.full(n_rows, -np.inf)
    for i, (r, s) in enumerate(zip(prep.row_index, score)):
        if s > best_score[r]:
            best_score[r], best[r] = s, i
    metric = np.array([row.metric for row in prep.rows])
    pred = np.full(n_rows, np.nan)
    ok = best >= 0
    b = best[ok]
    values = {
        "output_tok_per_s": pt.throughput_output_tok_per_s[b],
        "tpot_s": pt.tpot_s[b],
        "ttft_s": pt.ttft_s[b],
    }
    pred[ok] = np.select([metric[ok] == k for k in METRICS], [values[k] for k in METRICS])
    pred[ok & ~np.isfinite(best_score)] = np.nan
    return {"predicted": pred, "best": best, "feasible": feasible[np.maximum(best, 0)] & ok}


@dataclass(frozen=True)
class ValidationReport:
    rows: list[dict[str, Any]]
    skipped: list[dict[str, str]]
    mape: float
    median_ape: float
    max_ratio: float
    fidelity: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "skipped": self.skipped, "mape": self.mape, "median_ape": self.median_ape,
            "max_ratio": self.max_ratio, "fidelity": self.fidelity, "n_rows": len(self.rows),
        }

    def worst(self, n: int = 5) -> list[dict[str, Any]]:
        return sorted(self.rows, key=lambda r: -r["ape"])[:n]


def ape(predicted: np.ndarray, measured: np.ndarray) -> np.ndarray:
    return np.abs(predicted - measured) / measured


def validate_file(path: str | Path, fidelity: str = "calibrated", catalog: Catalog | None = None) -> ValidationReport:
    rows = read_validation_csv(path)
    prep = prepare(rows, catalog)
    out = evaluate(prep, fidelity=fidelity) if prep.rows else {"predicted": np.array([]), "best": np.array([])}
    report_rows, skipped = [], [{"id": r.id, "reason": why} for r, why in prep.skipped]
    for row, p, b in zip(prep.rows, out["predicted"], out["best"]):
        if not np.isfinite(p):
            skipped.append({"id": row.id, "reason": "no deployment of this workload fits in memory"})
            continue
        t, pp_, e, dpa, rep = prep.candidates[b]
        report_rows.append({
            "id": row.id, "model": row.model, "accelerator": row.accelerator, "n_accel": row.n_accel,
            "scenario": row.scenario, "metric": row.metric, "predicted": float(p), "measured": row.value,
            "ape": float(abs(p - row.value) / row.value), "ratio": float(p / row.value),
            "tp": t, "pp": pp_, "ep": e, "dp_attention": bool(dpa), "replicas": rep,
        })
    apes = np.array([r["ape"] for r in report_rows]) if report_rows else np.array([math.nan])
    ratios = np.array([r["ratio"] for r in report_rows]) if report_rows else np.array([math.nan])
    return ValidationReport(
        rows=report_rows, skipped=skipped, mape=float(np.mean(apes)), median_ape=float(np.median(apes)),
        max_ratio=float(np.max(np.maximum(ratios, 1 / ratios))), fidelity=fidelity,
    )
