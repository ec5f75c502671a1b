"""The planner: every deployment of a model across the catalog, one vectorized pass, the
Pareto front over the chosen objectives, and why everything else was ruled out.

Candidates = (rented offer x pricing model, or owned system) x weight dtype x parallel
split of the instance x concurrency. Engine results are computed once per distinct
(accelerator, accelerator count, dtype, split) and shared by every offer that rents that
shape; economics, energy, carbon and the constraints are then array operations over all
candidates. Each candidate is sized to carry the traffic with whole instances:

    instances       = ceil(demand output tok/s / instance throughput at that concurrency)
    $/month         = instances x accelerators x $/accel-hour x 730
    $/M tokens      = $/month / (demand x 3600 x 730) x 1e6        (per output token served)
    latency         = TTFT + osl x TPOT (mean, per request)
    J/token         = instances x facility power at the resulting utilization / demand
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Literal, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import assumptions as A
from .catalog import Catalog, load_catalog
from .catalog.market import PRICING_MODELS
from .economics import cost as C
from .economics import energy as EN
from .economics.sovereignty import PRESETS, assess
from .engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig, steady_state
from .engine.dtypes import KV_BYTES_PER_ELEMENT, WEIGHT_BYTES_PER_PARAM
from .engine.serving import concurrency_grid
from .errors import InputError, NoFeasiblePlanError, TokenfabError, UnknownIdError
from .estimate import (
    DEFAULT_STACK_BY_VENDOR,
    attention_peak,
    compute_dtype,
    default_kv,
    hardware_row,
    model_row,
    parallel_candidates,
)
from .inputs import parse_input
from .pareto import epsilon_thin
from . import efficiency as _eff

OBJECTIVES: tuple[str, ...] = ("cost", "latency", "energy", "carbon")
CONSTRAINTS: tuple[str, ...] = (
    "provider filter", "region filter", "accelerator filter", "fits in memory", "TTFT", "TPOT",
    "budget", "carbon", "sovereignty", "power data",
)


class Scenario(BaseModel):
    """One planning question. Every default lives here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    rate_rps: float | None = Field(default=None, gt=0, le=1e7)
    tokens_per_day: float | None = Field(default=None, gt=0, le=1e16)  # output tokens per day
    isl: float = Field(gt=0, le=10_000_000)
    osl: float = Field(gt=0, le=1_000_000)
    ttft_max_s: float = Field(default=2.0, gt=0, le=3600)  # MLPerf Server limits (llama2-70b)
    tpot_max_s: float = Field(default=0.2, gt=0, le=60)
    sovereignty: str = "none"
    date: dt.date | None = None  # evaluation date for certifications; None = today
    buyer_country: str | None = None
    budget_usd_per_month: float | None = Field(default=None, gt=0)
    max_gco2e_per_1k_tok: float | None = Field(default=None, gt=0)
    providers: tuple[str, ...] = ()
    exclude_providers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # region ids or ISO country codes
    accelerators: tuple[str, ...] = ()
    exclude_accelerators: tuple[str, ...] = ()
    # spot is left out by default: preemptible capacity does not carry a serving SLO
    pricing: tuple[Literal["on_demand", "reserved_1y", "reserved_3y", "spot"], ...] = ("on_demand", "reserved_1y", "reserved_3y")
    weights: tuple[str, ...] = ("bf16", "fp8")
    rent: bool = True
    own: bool = False
    own_grid: str | None = None  # grid whose electricity price and carbon apply to owned systems
    objectives: tuple[str, ...] = ("cost", "latency")
    # Drop front rows that a kept row matches to within this fraction on every objective
    # (e.g. 5 instances for 0.3 % less latency): differences below the engine's error (median
    # 7 %, docs/engine.md) are not decisions. 0 keeps the exact Pareto front.
    front_tolerance: float = Field(default=0.05, ge=0, le=1)

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [o for o in v if o not in OBJECTIVES]
        if bad or not v:
            raise ValueError(f"objectives must be a non-empty subset of {', '.join(OBJECTIVES)}; got {', '.join(v) or 'none'}")
        return tuple(dict.fromkeys(v))

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [w for w in v if w not in WEIGHT_BYTES_PER_PARAM]
        if bad or not v:
            raise ValueError(f"weights must be among {', '.join(WEIGHT_BYTES_PER_PARAM)}; got {', '.join(v) or 'none'}")
        return v

    @model_validator(mode="after")
    def _traffic(self) -> "Scenario":
        if (self.rate_rps is None) == (self.tokens_per_day is None):
            raise ValueError("give exactly one of rate_rps (requests/s) or tokens_per_day (output tokens/day)")
        if self.sovereignty not in PRESETS:
            raise ValueError(f"sovereignty = {self.sovereignty!r}: use one of {', '.join(PRESETS)}")
        if not (self.rent or self.own):
            raise ValueError("rent and own are both off: nothing to plan")
        if self.own and self.own_grid is None:
            raise ValueError("own = true needs own_grid (a grid id with an electricity price)")
        return self

    def demand_tok_per_s(self) -> float:
        return self.rate_rps * self.osl if self.rate_rps is not None else self.tokens_per_day / 86_400.0


@dataclass(frozen=True)
class PlanResult:
    """Immutable result: the Pareto front, rejection counts and nearest misses."""

    scenario: Mapping[str, Any]
    front: tuple[Mapping[str, Any], ...]
    rejected: Mapping[str, int]
    candidates_evaluated: int
    feasible: int
    nearest_misses: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in self.__dataclass_fields__}
        d["front"] = [dict(r) for r in self.front]
        d["scenario"] = dict(self.scenario)
        d["rejected"] = dict(self.rejected)
        d["nearest_misses"] = list(self.nearest_misses)
        d["notes"] = list(self.notes)
        return json_safe(d)

    def to_csv(self) -> str:
        """The front as CSV, one row per candidate, every field as a column."""
        import csv
        import io

        buf = io.StringIO()
        rows = self.to_dict()["front"]
        w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()) if rows else [])
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()

    def to_frame(self):
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is a dependency
            raise InputError("to_frame needs pandas: pip install pandas") from None
        return pd.DataFrame([dict(r) for r in self.front])


def json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (dt.date,)):
        return v.isoformat()
    return v


@dataclass
class _Unit:
    """One way to pay for an instance: a rented offer at a pricing model, or an owned system."""

    id: str
    provider: str
    region: str
    country: str
    accelerator: str
    count: int
    pricing: str
    usd_per_accel_hour: float
    pue: float
    grid: str | None
    sov_pass: bool
    sov_reason: str
    seal: int | None


def _check_ids(cat: Catalog, kind: str, ids: tuple[str, ...]) -> None:
    for i in ids:
        if i not in cat.rows[kind]:
            raise UnknownIdError(kind, i, cat.rows[kind])


def _units(s: Scenario, cat: Catalog, day: dt.date) -> list[_Unit]:
    units: list[_Unit] = []
    if s.rent:
        for off in cat.list("offers"):
            prov = cat.provider(off.provider)
            country = prov.region(off.region).country
            pue = A.value("pue_hyperscaler") if prov.category == "hyperscaler" else A.value("pue_default")
            gid = "world" if country == "ZZ" else country.lower()
            rep = assess(prov, s.sovereignty, day, off, cat.accelerator(off.accelerator), s.buyer_country)
            for pm in s.pricing:
                price = off.price_per_accel_hour(pm)
                if price is None:
                    continue
                usd = cat.to_usd(price, off.currency)
                units.append(_Unit(off.id, off.provider, off.region, country, off.accelerator, off.accelerator_count,
                                   pm, usd, pue, gid if gid in cat.rows["grids"] else None, rep.passes,
                                   "; ".join(rep.reasons), rep.seal_estimate))
    if s.own:
        grid = cat.get("grids", s.own_grid)
        if grid.electricity_price_per_kwh is None:
            raise InputError(f"own_grid = {grid.id!r} has no electricity price; pick one of "
                             + ", ".join(g.id for g in cat.list("grids") if g.electricity_price_per_kwh))
        in_eu_reason = f"owned in {grid.country}"
        for sysm in cat.list("systems"):
            acc = cat.accelerator(sysm.accelerator)
            parts = ownership_parts(cat, sysm, grid)
            if parts is None:
                continue
            from .economics.sovereignty import EU27

            eu = grid.country in EU27
            ok = {"none": True, "eu-residency": eu, "eu-jurisdiction": eu and (s.buyer_country in (None, *EU27)),
                  "secnumcloud": False}[s.sovereignty]
            reason = in_eu_reason + ("" if s.sovereignty != "secnumcloud" else "; owned infrastructure holds no SecNumCloud qualification")
            units.append(_Unit(f"own:{sysm.id}", "owned", grid.id, grid.country, acc.id, sysm.accelerators_per_system,
                               "owned", float(parts["total"]), A.value("pue_default"), grid.id, ok, reason,
                               (2 if eu else 0)))
    return units


def ownership_parts(cat: Catalog, sysm, grid) -> dict[str, float] | None:
    """$/accelerator-hour of owning one catalog system on ``grid``, by component (capital,
    energy, colocation, staff, overhead, total) at full load; None without a price or TDP."""
    price = sysm.list_price_usd or sysm.street_price_usd
    acc = cat.accelerator(sysm.accelerator)
    if price is None or acc.tdp_w is None:
        return None
    elec = cat.to_usd(grid.electricity_price_per_kwh, grid.price_currency)
    w = acc.tdp_w + A.value("server_non_accelerator_w_per_8_accel") / 8.0
    parts = C.ownership_usd_per_accel_hour(
        price / sysm.accelerators_per_system, A.value("lifetime_years"), A.value("residual_frac"), w, w, elec,
        A.value("pue_default"), A.value("colocation_usd_per_kw_month"), A.value("network_share_frac"),
        A.value("ops_overhead_frac"), A.value("cost_of_capital_frac"))
    return {k: float(v) for k, v in parts.items()}


def plan(scenario: Scenario | dict[str, Any], catalog: Catalog | None = None,
         progress: Callable[[str], None] | None = None) -> PlanResult:
    """Search every deployment for ``scenario``; raise NoFeasiblePlanError when none passes."""
    t0 = time.perf_counter()
    s = scenario if isinstance(scenario, Scenario) else parse_input(Scenario, dict(scenario))
    cat = catalog or load_catalog()
    spec = cat.model(s.model)
    for kind, ids in (("providers", s.providers + s.exclude_providers),
                      ("accelerators", s.accelerators + s.exclude_accelerators)):
        _check_ids(cat, kind, ids)
    day = s.date or dt.date.today()
    demand = s.demand_tok_per_s()
    step = progress or (lambda _msg: None)
    step("offers and sovereignty")
    units = _units(s, cat, day)
    # ---- engine: once per distinct (accelerator, count, weights, split)
    step("performance engine")
    keys: dict[tuple[str, int, str], tuple[int, int]] = {}
    mrows, hrows, crows, erows, cfg_meta = [], [], [], [], []
    for u in units:
        acc = cat.accelerator(u.accelerator)
        for w in s.weights:
            key = (u.accelerator, u.count, w)
            if key in keys:
                continue
            try:
                peak_dtype = compute_dtype(acc, w)
                hrow = hardware_row(acc)
                cands = parallel_candidates(spec, u.count, None, None, None)
            except TokenfabError:
                keys[key] = (0, 0)
                continue
            kv = default_kv(w, acc)
            stack = DEFAULT_STACK_BY_VENDOR.get(acc.vendor, "vllm")
            peak = hrow[f"{peak_dtype}_flop_per_s"]
            attn = attention_peak(spec, hrow, kv, peak)
            eff = _eff.factors(acc.id, stack, peak_dtype, "calibrated")
            start = len(crows)
            for c in cands:
                mrows.append(model_row(spec))
                hrows.append(hrow)
                erows.append(eff)
                crows.append(dict(tp=c[0], pp=c[1], ep=c[2], dp_attention=c[3], replicas=c[4],
                                  weight_bytes_per_param=WEIGHT_BYTES_PER_PARAM[w],
                                  kv_bytes_per_element=KV_BYTES_PER_ELEMENT[kv], gemm_flop_per_s=peak,
                                  attention_flop_per_s=attn, isl=s.isl, osl=s.osl, chunk_tokens=8192.0,
                                  disaggregated=0.0))
                cfg_meta.append((c, w, kv, stack))
            keys[key] = (start, len(crows))
    if not crows:
        raise NoFeasiblePlanError(f"no catalog offer can run {spec.id} with weights {', '.join(s.weights)}", {})
    grid = concurrency_grid()
    ex = lambda o: type(o)(**{k: np.asarray(v)[:, None] for k, v in o.__dict__.items()})  # noqa: E731
    m, hw = ModelArrays.stack(mrows), HardwareArrays.stack(hrows)
    eff, cfg = Efficiency.stack(erows), ParallelConfig.stack(crows)
    pt = steady_state(ex(m), ex(hw), ex(eff), ex(cfg), grid[None, :])
    # ---- expand to (unit, config) pairs
    step("economics and constraints")
    pair_u, pair_c = [], []
    for ui, u in enumerate(units):
        for w in s.weights:
            a, b = keys[(u.accelerator, u.count, w)]
            pair_u.extend([ui] * (b - a))
            pair_c.extend(range(a, b))
    pu, pc = np.array(pair_u, dtype=int), np.array(pair_c, dtype=int)
    if len(pu) == 0:
        raise NoFeasiblePlanError(f"no offer can run {spec.id}", {})
    G = len(grid)
    col = lambda vals: np.asarray(vals)[pu][:, None]  # noqa: E731
    thr = pt.throughput_output_tok_per_s[pc]
    ok_thr = np.isfinite(thr) & (thr > 0)
    thr_safe = np.where(ok_thr, thr, 1.0)
    inst = np.ceil(demand / thr_safe)
    n_acc = col([u.count for u in units])
    price = col([u.usd_per_accel_hour for u in units])
    monthly = inst * n_acc * price * C.HOURS_PER_MONTH
    usd_mtok = monthly / (demand * 3600.0 * C.HOURS_PER_MONTH) * 1e6
    latency = pt.ttft_s[pc] + s.osl * pt.tpot_s[pc]
    util = demand / (inst * thr_safe)
    tdp = col([cat.accelerator(u.accelerator).tdp_w or np.nan for u in units])
    idle = A.value("idle_power_frac")
    server_w = A.value("server_non_accelerator_w_per_8_accel")
    it_w = inst * EN.it_power_w(n_acc, EN.accelerator_power_w(tdp, util, idle), server_w)
    j_tok = it_w * col([u.pue for u in units]) / demand
    carbon_gkwh = col([cat.get("grids", u.grid).carbon_gco2e_per_kwh if u.grid else cat.get("grids", "world").carbon_gco2e_per_kwh
                       for u in units])
    gco2 = EN.gco2e_per_1k_tokens(j_tok, carbon_gkwh)
    # ---- constraint masks (each counted on its own)
    shape = thr.shape
    full = lambda v: np.broadcast_to(v, shape)  # noqa: E731
    prov_ok = full(col([(not s.providers or u.provider in s.providers) and u.provider not in s.exclude_providers
                        for u in units]))
    reg_ok = full(col([(not s.regions or u.region in s.regions or u.country in s.regions) for u in units]))
    acc_ok = full(col([(not s.accelerators or u.accelerator in s.accelerators)
                       and u.accelerator not in s.exclude_accelerators for u in units]))
    fits = pt.fits[pc] & ok_thr
    ttft_ok = pt.ttft_p99_s[pc] <= s.ttft_max_s
    tpot_ok = pt.tpot_p99_s[pc] <= s.tpot_max_s
    budget_ok = monthly <= s.budget_usd_per_month if s.budget_usd_per_month else np.ones(shape, bool)
    power_needed = s.max_gco2e_per_1k_tok is not None or "energy" in s.objectives or "carbon" in s.objectives
    power_ok = np.isfinite(j_tok) | (not power_needed)
    carbon_ok = (gco2 <= s.max_gco2e_per_1k_tok) if s.max_gco2e_per_1k_tok else np.ones(shape, bool)
    carbon_ok = carbon_ok | ~np.isfinite(gco2) if not s.max_gco2e_per_1k_tok else carbon_ok & np.isfinite(gco2)
    sov_ok = full(col([u.sov_pass for u in units]))
    masks = dict(zip(CONSTRAINTS, (prov_ok, reg_ok, acc_ok, fits, ttft_ok, tpot_ok, budget_ok, carbon_ok, sov_ok, power_ok)))
    feasible = np.logical_and.reduce(list(masks.values()))
    total = int(np.prod(shape))
    rejected = {k: int((~v).sum()) for k, v in masks.items() if (~v).any()}
    objective_values = {"cost": usd_mtok, "latency": latency, "energy": j_tok, "carbon": gco2}
    misses = _nearest_misses(s, masks, pt, pc, monthly, gco2)
    if not feasible.any():
        summary = ", ".join(f"{n:,} {_why(k, s)}" for k, n in rejected.items())
        hint = f"; nearest misses: {'; '.join(misses)}" if misses else ""
        raise NoFeasiblePlanError(f"no feasible plan among {total:,} candidates: {summary}{hint}", rejected)
    # ---- Pareto front among feasible candidates
    step("Pareto front")
    fi = np.flatnonzero(feasible.ravel())
    obj = np.stack([objective_values[o].ravel()[fi] for o in s.objectives], axis=1)
    exact = pareto_front(obj)
    front_idx = fi[exact[epsilon_thin(obj[exact], s.front_tolerance)]]
    rows = []
    for flat in front_idx:
        p, g = divmod(int(flat), G)
        u = units[pu[p]]
        (tp, pp_, ep, dpa, rep), w, kv, stack = cfg_meta[pc[p]]
        rows.append(dict(
            offer=u.id, provider=u.provider, region=u.region, country=u.country, pricing=u.pricing,
            accelerator=u.accelerator, accelerators_per_instance=u.count, instances=int(inst[p, g]),
            accelerators_total=int(inst[p, g]) * u.count, tp=tp, pp=pp_, ep=ep, dp_attention=bool(dpa),
            replicas_per_instance=rep, weights=w, kv=kv, stack=stack,
            concurrency_per_instance=int(grid[g]) * rep,
            usd_per_mtok=float(usd_mtok[p, g]), usd_per_month=float(monthly[p, g]),
            usd_per_accel_hour=u.usd_per_accel_hour, latency_s=float(latency[p, g]),
            ttft_s=float(pt.ttft_s[pc[p], g]), tpot_s=float(pt.tpot_s[pc[p], g]),
            ttft_p99_s=float(pt.ttft_p99_s[pc[p], g]), tpot_p99_s=float(pt.tpot_p99_s[pc[p], g]),
            utilization=float(util[p, g]), j_per_token=float(j_tok[p, g]), gco2e_per_1k_tok=float(gco2[p, g]),
            grid=u.grid, sovereignty=s.sovereignty, sovereignty_passes=u.sov_pass, sovereignty_reasons=u.sov_reason,
            seal_estimate=u.seal,
        ))
    rows.sort(key=lambda r: tuple(r[{"cost": "usd_per_mtok", "latency": "latency_s", "energy": "j_per_token",
                                     "carbon": "gco2e_per_1k_tok"}[o]] for o in s.objectives))
    notes = (f"demand {demand:,.1f} output tok/s; each candidate uses whole instances of one offer",
             "p99 latencies are approximated from steady-state means (docs/engine.md)")
    if len(exact) > len(front_idx):
        notes += (f"{len(exact) - len(front_idx)} Pareto rows within {s.front_tolerance:.0%} of a kept row on every "
                  f"objective are not shown (front_tolerance = 0, or --front-tolerance 0, shows the exact front)",)
    return PlanResult(
        scenario=MappingProxyType(json_safe(s.model_dump())), front=tuple(MappingProxyType(r) for r in rows),
        rejected=MappingProxyType(rejected), candidates_evaluated=total,
        feasible=int(feasible.sum()), nearest_misses=tuple(misses), elapsed_s=time.perf_counter() - t0, notes=notes,
    )


def pareto_front(obj: np.ndarray) -> np.ndarray:
    from .pareto import pareto_mask

    return np.flatnonzero(pareto_mask(obj))


def _why(k: str, s: Scenario) -> str:
    return {
        "provider filter": "excluded by the provider filter",
        "region filter": "excluded by the region filter",
        "accelerator filter": "excluded by the accelerator filter",
        "fits in memory": "did not fit in memory",
        "TTFT": f"missed TTFT p99 <= {s.ttft_max_s * 1e3:g} ms",
        "TPOT": f"missed TPOT p99 <= {s.tpot_max_s * 1e3:g} ms",
        "budget": f"exceeded ${s.budget_usd_per_month:,.0f}/month" if s.budget_usd_per_month else "exceeded the budget",
        "carbon": f"exceeded {s.max_gco2e_per_1k_tok:g} gCO2e per 1k tokens" if s.max_gco2e_per_1k_tok else "carbon",
        "sovereignty": f"failed the '{s.sovereignty}' sovereignty preset",
        "power data": "have no published TDP for energy figures",
    }[k]


def _nearest_misses(s, masks, pt, pc, monthly, gco2) -> list[str]:
    """For each numeric constraint: the least relaxation that admits candidates failing only it."""
    out = []
    others = lambda k: np.logical_and.reduce([v for kk, v in masks.items() if kk != k])  # noqa: E731
    specs = [
        ("TPOT", pt.tpot_p99_s[pc], lambda v: f"relax TPOT to {math.ceil(v * 1e3):g} ms"),
        ("TTFT", pt.ttft_p99_s[pc], lambda v: f"relax TTFT to {math.ceil(v * 1e2) / 1e2:g} s"),
        ("budget", monthly, lambda v: f"raise the budget to ${math.ceil(v):,}/month"),
        ("carbon", gco2, lambda v: f"allow {v:.3g} gCO2e per 1k tokens"),
    ]
    for k, values, text in specs:
        only = ~masks[k] & others(k)
        if only.any():
            vals = np.sort(np.asarray(values)[only])
            pick = vals[min(len(vals) - 1, 9)]
            n = int((np.asarray(values)[only] <= pick).sum())
            out.append(f"{text(pick)} to get {n} candidates")
    only_sov = ~masks["sovereignty"] & others("sovereignty")
    if only_sov.any():
        out.append(f"{int(only_sov.sum()):,} candidates fail only the '{s.sovereignty}' preset")
    return out
