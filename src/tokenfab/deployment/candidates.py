"""The one evaluation, vectorized: every candidate (capacity x split x precision x
concurrency) gets performance, money, energy and carbon in one pass of array arithmetic.
``evaluate`` (one deployment), ``plan`` (the whole catalog) and ``compare`` (one row per
offer) all call :func:`build` and read their answers from the same arrays.

Sizing, per candidate at per-replica concurrency B:

    instance throughput T  = engine steady state at B x replicas
    with traffic D         : instances = ceil(D / T), utilization = D / (instances x T)
    without traffic        : instances = 1, utilization = u (given or the assumption), D = u T
    $/hour                 = instances x accelerators x $/accelerator-hour (owned: at that utilization)
    $/M output tokens      = $/hour / (D x 3600) x 1e6
    IT power               = instances x (used x P(u) + idle x P(0) + server share),
                             P(u) = TDP x (idle + (1 - idle) u)
    J/output token         = IT power x PUE / D;   gCO2e/1k = J x 1000 / 3.6e6 x grid g/kWh
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..accuracy.bands import RISK_LEVELS, Band, band_for
from ..catalog import assumptions as A
from ..catalog.loader import Catalog
from ..catalog.model_spec import ModelSpec
from ..economics import cost as C
from ..economics import energy as EN
from ..economics.ownership import ownership_usd_per_accel_hour
from ..engine.arrays import Efficiency
from ..engine.efficiency import KvReserveRule
from ..engine.serving import (
    ServingPoint,
    capacity_point,
    carried_share,
    concurrency_grid,
    fieldwise,
    meets_limits,
    refined_point,
    steady_state,
    sustained,
)
from ..errors import InputError
from .capacity import Capacity
from .problem import Block, EngineInputs, blocks_for, engine_inputs, speculations
from .workload import Workload

SECONDS_PER_LIFETIME_YEAR = 8760.0 * 3600.0


@dataclass(frozen=True)
class SearchSpace:
    """What is fixed and what is searched, shared by every capacity of one question."""

    weights: tuple[str, ...] | None = None  # None = the default search
    kv: str | None = None
    stack: str | None = None
    fixed_split: dict[str, Any] = field(default_factory=dict)  # tp, pp, ep, dp_attention (None = searched)
    concurrency: int | None = None  # per instance; None = the grid
    fidelity: str = "calibrated"
    disaggregated: bool = False
    chunk_tokens: int = 8192
    memory_fraction: float | None = None  # the stack's memory budget in its own terms; None = the catalog's
    kv_reserve: KvReserveRule | None = None  # live or request: the scheduler's KV admission rule; None = the stack's
    speculative: str = "off"  # off, mtp, draft or auto (off and every method the catalog has for the model)
    draft_tokens: int | None = None  # None = the catalog's default per method
    acceptance_rate: float | None = None
    risk: str | None = None  # plan --risk: the latency limits that quantile judges are refined too
    server_utilization: float | None = None  # under latency limits; None = fitted if searched, 1 if stated


BANDED_FIDELITIES = ("calibrated",)  # the fidelities whose out-of-sample spread was measured


def block_band(efficiency: dict[str, Any], workload: Workload, blk: Block) -> Band:
    """The accuracy band of one block (chip x precision x stack) under ``workload``; a user's
    own calibration of that chip x stack counts as validated."""
    user = blk.precision.stack in efficiency.get("calibrated", {}).get("accelerator_stacks", {}).get(
        blk.accelerator.id, {})
    return band_for(blk.accelerator.vendor, blk.precision.stack, blk.precision.weights, workload.scenario, user)


@dataclass
class Candidates:
    """Arrays over pairs (capacity, config row) x concurrency points: shape (P, G)."""

    spec: ModelSpec
    workload: Workload
    space: SearchSpace
    capacities: list[Capacity]
    blocks: list[Block]
    inputs: EngineInputs
    point: ServingPoint  # (C, G): per config row
    per_replica: np.ndarray  # (C, G) concurrency per replica
    server_share: np.ndarray  # (C,) share of the limit-bound capacity carried (serving.carried_share)
    pair_capacity: np.ndarray  # (P,)
    pair_config: np.ndarray  # (P,)
    unusable: dict[str, str]  # capacity id -> why it cannot run the model
    a: dict[str, np.ndarray]  # per pair (P, G): money, PUE-scaled energy, carbon, latency
    masks: dict[str, np.ndarray]  # fits, TTFT, TPOT: (P, G) booleans
    cfg_a: dict[str, np.ndarray] = field(default_factory=dict)  # per config row (C, G): sizing, IT power
    own: dict[str, np.ndarray] = field(default_factory=dict)  # owned pairs: "pairs" and the cost parts
    efficiency: dict[str, Any] = field(default_factory=dict)  # the efficiency table used (catalog's, overlay included)

    def value(self, name: str, p: int, g: int) -> float:
        """One figure of candidate (pair p, point g), wherever it is kept."""
        if name in self.a:
            return float(self.a[name][p, g])
        if name in self.cfg_a:
            return float(self.cfg_a[name][self.pair_config[p], g])
        if name.startswith("own_"):
            row = int(np.searchsorted(self.own["pairs"], p))
            return float(self.own[name.removeprefix("own_")][row, g])
        raise KeyError(name)


def _blocks(cat: Catalog, spec: ModelSpec, caps: Sequence[Capacity], space: SearchSpace, skip: bool
            ) -> tuple[list[Block], list[list[int]], dict[str, str]]:
    """Blocks per distinct instance shape, each capacity's block indices, and unusable capacities."""
    blocks: list[Block] = []
    by_shape: dict[tuple[str, int], list[int] | str] = {}
    per_cap: list[list[int]] = []
    unusable: dict[str, str] = {}
    spec_options = speculations(cat, spec, space.speculative, space.draft_tokens, space.acceptance_rate)
    for cap in caps:
        key = (cap.accelerator.id, cap.count)
        if key not in by_shape:
            try:
                new = blocks_for(cat, spec, cap.accelerator, cap.count, space.weights, space.kv, space.stack,
                                 space.fixed_split, spec_options)
                by_shape[key] = list(range(len(blocks), len(blocks) + len(new)))
                blocks += new
            except InputError as exc:
                if not skip:
                    raise
                by_shape[key] = str(exc)
        got = by_shape[key]
        if isinstance(got, str):
            unusable[cap.id] = got
            per_cap.append([])
        else:
            per_cap.append(got)
    return blocks, per_cap, unusable


def _engine(spec: ModelSpec, wl: Workload, blocks: list[Block], space: SearchSpace, table: dict[str, Any]
            ) -> tuple[EngineInputs, ServingPoint, np.ndarray, np.ndarray]:
    inp = engine_inputs(spec, blocks, wl.isl, wl.osl, float(space.chunk_tokens), space.disaggregated, space.fidelity,
                        table, wl.osl_cv, space.memory_fraction, space.kv_reserve)

    def ex(o: Any) -> Any:
        return type(o)(**{k: np.asarray(v)[..., None] for k, v in o.__dict__.items()})

    if space.concurrency is None:
        per_replica = np.broadcast_to(concurrency_grid()[None, :], (len(inp.idle), len(concurrency_grid())))
    else:
        per_replica = (space.concurrency / np.asarray(inp.cfg.replicas, float))[:, None]
    raw = steady_state(ex(inp.m), ex(inp.hw), ex(inp.eff), ex(inp.cfg), per_replica)
    shape = np.shape(per_replica)

    pt = fieldwise(lambda v: np.broadcast_to(v, shape), raw)
    if space.concurrency is None:
        # one more point per config row: the best concurrency in the gap above its best grid
        # point under the workload's latency limits (engine.serving.refined_point); with a risk
        # quantile, one more under the limits that quantile judges (times / its throughput ratio)
        lim_ttft, lim_tpot = wl.limits_s()
        scales = [np.ones(len(inp.idle))]
        if space.risk is not None and space.fidelity in BANDED_FIDELITIES:
            per_block = np.array([block_band(table, wl, b).ratio_at(RISK_LEVELS[space.risk]) for b in blocks])
            scales.append(per_block[np.asarray(inp.block, int)])
        grid = concurrency_grid()
        for r in scales:
            ok = meets_limits(pt, lim_ttft * r, lim_tpot * r)[:, : len(grid)]
            score = np.where(ok, pt.throughput_output_tok_per_s[:, : len(grid)], -1.0)
            fine, _, fine_b = refined_point(inp.m, inp.hw, inp.eff, inp.cfg, grid, score, lim_ttft * r, lim_tpot * r)
            pt = fieldwise(lambda v, f: np.concatenate([v, np.asarray(f)[:, None]], axis=1), pt, fine)
            per_replica = np.concatenate([per_replica, fine_b[:, None]], axis=1)
        # and the capacity itself (engine.serving.capacity_point, as best_point tries it) above the
        # best point: a config row without room above it repeats it, and ``distinct`` drops that
        ok = meets_limits(pt, lim_ttft, lim_tpot)
        top = np.argmax(np.where(ok, pt.throughput_output_tok_per_s, -1.0), axis=1)[:, None]
        at, at_b, _ = capacity_point(inp.m, inp.hw, inp.eff, inp.cfg, np.take_along_axis(per_replica, top, axis=1)[:, 0],
                                     np.take_along_axis(np.asarray(pt.max_concurrency, float), top, axis=1)[:, 0])
        pt = fieldwise(lambda v, a: np.concatenate([v, np.broadcast_to(a, (len(at_b), 1))], axis=1), pt, at)
        per_replica = np.concatenate([per_replica, at_b[:, None]], axis=1)
    # a server under the workload's latency limits carries a share of the capacity at each point
    share = server_share(space, wl, inp.eff)
    return inp, sustained(pt, share), np.asarray(per_replica, float), share


def server_share(space: SearchSpace, wl: Workload, eff: Efficiency) -> np.ndarray:
    """Per config row, the share of its limit-bound capacity the deployment carries
    (``engine.serving.sustained``): 1 without a latency limit; under limits the share the
    deployment states, else the fitted ``Efficiency.server_utilization`` where the concurrency is
    searched and 1 where it is stated (a closed loop, as a benchmark at a fixed concurrency)."""
    given = space.server_utilization
    fitted = np.asarray(eff.server_utilization, float)
    share = fitted if given is None else np.full_like(fitted, float(given))
    return carried_share(share, *wl.limits_s(), closed_loop=given is None and space.concurrency is not None)


def _col(caps: Sequence[Capacity], pc_cap: np.ndarray, fn: Any) -> np.ndarray:
    return np.array([fn(c) for c in caps], dtype=float)[pc_cap][:, None]


def sizing(thr: np.ndarray, demand: float | None, utilization: Any, count: np.ndarray, tdp_w: np.ndarray,
           idle_dev: np.ndarray, idle_frac: float, server_w: float) -> dict[str, np.ndarray]:
    """Whole instances, utilization, served rate and IT power from an instance throughput
    ``thr`` [output tok/s] (any broadcastable shapes; pure). ``plan`` calls it per config row
    and ``whatif`` per (sample, front row) with sampled throughput and utilization, so the
    two give the same figure for the same inputs."""
    ok = np.isfinite(thr) & (thr > 0)
    thr = np.where(ok, thr, 1.0)
    if demand is not None:
        inst = np.ceil(demand / thr)
        util = demand / (inst * thr)
        served = np.full(thr.shape, demand)
    else:
        inst = np.ones(thr.shape)
        util = np.broadcast_to(np.asarray(utilization, float), thr.shape)
        served = util * thr
    it_inst = ((count - idle_dev) * EN.accelerator_power_w(tdp_w, util, idle_frac)
               + idle_dev * EN.accelerator_power_w(tdp_w, 0.0, idle_frac) + server_w * count / 8.0)
    return dict(throughput=thr, ok=ok, instances=inst, utilization=util, served=served, it_inst_w=it_inst,
                it_w=inst * it_inst, j_per_token_it=inst * it_inst / served,
                accel_hours_per_mtok=inst * count / (served * 3600.0) * 1e6)


def money_energy(instances: np.ndarray, served: Any, count: np.ndarray, usd_per_accel_hour: np.ndarray,
                 j_per_token_it: np.ndarray, pue: np.ndarray, grid_gco2e_per_kwh: np.ndarray) -> dict[str, np.ndarray]:
    """$/hour, $/month, $/M output tokens, J/output token (PUE included) and gCO2e per 1k
    output tokens (pure, broadcasting; shared by ``plan`` and ``whatif``)."""
    usd_h = instances * (count * usd_per_accel_hour)
    j_tok = j_per_token_it * pue
    return dict(usd_per_accel_hour=usd_per_accel_hour, usd_per_hour=usd_h, usd_per_month=usd_h * C.HOURS_PER_MONTH,
                usd_per_mtok=C.usd_per_mtok(usd_h, served), j_per_token=j_tok,
                gco2e_per_1k=EN.gco2e_per_1k_tokens(j_tok, grid_gco2e_per_kwh))


OWNERSHIP_TERMS: tuple[str, ...] = ("capex_usd_per_accel", "years", "residual_frac", "electricity_usd_per_kwh",
                                    "colocation_usd_per_kw_month", "network_share_frac", "ops_overhead_frac",
                                    "cost_of_capital_frac", "staff_usd_per_accel_year")


def owned_price(terms: dict[str, Any], it_inst_w: np.ndarray, count: np.ndarray, provisioned_w_per_accel: np.ndarray,
                pue: np.ndarray) -> dict[str, np.ndarray]:
    """Owning, per accelerator-hour and component (pure; ``terms`` keyed by OWNERSHIP_TERMS)."""
    t = terms
    return ownership_usd_per_accel_hour(
        t["capex_usd_per_accel"], t["years"], t["residual_frac"], it_inst_w / count, provisioned_w_per_accel,
        t["electricity_usd_per_kwh"], pue, t["colocation_usd_per_kw_month"], t["network_share_frac"],
        t["ops_overhead_frac"], t["cost_of_capital_frac"], t["staff_usd_per_accel_year"])


def _per_config(c: Candidates) -> None:
    """Figures that depend on the configuration (chip, count, split, precision, concurrency)
    and the workload only, computed once per config row: (C, G)."""
    pt, wl, inp = c.point, c.workload, c.inputs
    count = np.array([c.blocks[b].count for b in inp.block], dtype=float)[:, None]
    tdp = np.array([c.blocks[b].accelerator.tdp_w or np.nan for b in inp.block], dtype=float)[:, None]
    server_w = A.number("server_non_accelerator_w_per_8_accel")
    sz = sizing(pt.throughput_output_tok_per_s, wl.demand_tok_per_s(), wl.serving_utilization(), count, tdp,
                inp.idle[:, None], A.number("idle_power_frac"), server_w)
    thr, inst, served = sz["throughput"], sz["instances"], sz["served"]
    embodied = inst * (count * A.number("embodied_gco2e_per_gpu")
                       + count / 8.0 * A.number("embodied_gco2e_per_8_accel_server"))
    lim_ttft, lim_tpot = wl.limits_s()
    c.cfg_a.update({k: v for k, v in sz.items() if k != "ok"})
    c.cfg_a.update(
        latency=pt.ttft_s + wl.osl * pt.tpot_s, provisioned_w_per_accel=np.broadcast_to(tdp + server_w / 8.0, thr.shape),
        embodied_per_1k=EN.embodied_gco2e_per_1k_tokens(embodied, A.number("lifetime_years"), served, 1.0),
        fits=pt.fits & sz["ok"], TTFT=pt.ttft_p99_s <= lim_ttft, TPOT=pt.tpot_p99_s <= lim_tpot)
    c.cfg_a = {k: np.broadcast_to(v, thr.shape) for k, v in c.cfg_a.items()}


def _money_energy(c: Candidates) -> None:
    """Per pair (capacity, config): price, money, PUE-scaled energy and carbon, (P, G)."""
    _per_config(c)
    caps, pu, pc, cf = c.capacities, c.pair_capacity, c.pair_config, c.cfg_a
    inst = cf["instances"][pc]
    served = cf["served"][pc] if c.workload.demand_tok_per_s() is None else cf["served"][0, 0]
    count = _col(caps, pu, lambda k: k.count)
    pue = _col(caps, pu, lambda k: k.pue.value)
    price = np.broadcast_to(_col(caps, pu, lambda k: k.rent.usd_per_accel_hour if k.rent else np.nan), inst.shape)
    owned = np.flatnonzero([caps[i].ownership is not None for i in pu])
    if owned.size:
        own = _ownership(caps, pu[owned], pc[owned], cf, pue[owned])
        price = price.copy()
        price[owned] = own["total"]
        c.own = {"pairs": owned, **{k: np.broadcast_to(v, (owned.size, inst.shape[1])) for k, v in own.items()}}
    grid_g = _col(caps, pu, lambda k: k.grid.carbon()[0] if k.grid else np.nan)
    c.a.update(money_energy(inst, served, count, price, cf["j_per_token_it"][pc], pue, grid_g))
    c.a.update(latency=cf["latency"][pc], pue=np.broadcast_to(pue, inst.shape))
    c.masks.update(fits=cf["fits"][pc], TTFT=cf["TTFT"][pc], TPOT=cf["TPOT"][pc])


def _ownership(caps: Sequence[Capacity], pu: np.ndarray, pc: np.ndarray, cf: dict[str, np.ndarray],
               pue: np.ndarray) -> dict[str, np.ndarray]:
    """Owning, per accelerator-hour, for the owned pairs only (energy at each point's utilization)."""
    def term(name: str) -> np.ndarray:  # rented capacities are in caps too: NaN there, never read
        return _col(caps, pu, lambda k: np.nan if k.ownership is None else getattr(k.ownership, name))

    count = _col(caps, pu, lambda k: k.count)
    return owned_price({n: term(n) for n in OWNERSHIP_TERMS}, cf["it_inst_w"][pc], count,
                       cf["provisioned_w_per_accel"][pc], pue)


def reprice(c: Candidates, capacities: Sequence[Capacity]) -> Candidates:
    """The same candidates priced on other capacities (same chips and counts, other prices,
    PUE or grid: what-if shocks); the engine is not run again, and the efficiency table it ran on
    (a user's calibration included) stays with them."""
    out = Candidates(spec=c.spec, workload=c.workload, space=c.space, capacities=list(capacities), blocks=c.blocks,
                     inputs=c.inputs, point=c.point, per_replica=c.per_replica, server_share=c.server_share,
                     pair_capacity=c.pair_capacity, pair_config=c.pair_config, unusable=c.unusable, a={}, masks={},
                     efficiency=c.efficiency)
    _money_energy(out)
    return out


def build(cat: Catalog, spec: ModelSpec, workload: Workload, capacities: Sequence[Capacity], space: SearchSpace,
          skip_unusable: bool = False) -> Candidates:
    """Evaluate every candidate of ``capacities`` under ``space``. With ``skip_unusable`` a
    capacity whose chip cannot run the model (no FLOP peak for any searched format, no
    valid split) is recorded in ``unusable``; otherwise its one-line error is raised."""
    caps = list(capacities)
    blocks, per_cap, unusable = _blocks(cat, spec, caps, space, skip_unusable)
    if not blocks:
        reasons = sorted(set(unusable.values()))
        raise InputError(reasons[0] if reasons else f"nothing can run {spec.id}")
    inp, pt, per_replica, share = _engine(spec, workload, blocks, space, cat.efficiency)
    rows_of_block = [np.flatnonzero(inp.block == b) for b in range(len(blocks))]
    pu, pc = [], []
    for i, bl in enumerate(per_cap):
        for b in bl:
            pu.extend([i] * len(rows_of_block[b]))
            pc.extend(rows_of_block[b].tolist())
    c = Candidates(spec=spec, workload=workload, space=space, capacities=caps, blocks=blocks, inputs=inp, point=pt,
                   per_replica=per_replica, server_share=share, pair_capacity=np.array(pu, dtype=int),
                   pair_config=np.array(pc, dtype=int), unusable=unusable, a={}, masks={}, efficiency=cat.efficiency)
    _money_energy(c)
    return c


def ranking_keys(c: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """(primary, secondary) keys a single answer is chosen by: the lowest $/M output tokens
    (accelerator-hours per M output tokens when unpriced), then the lowest mean latency."""
    usd = c.a["usd_per_mtok"]
    primary = usd if np.isfinite(usd).all() else np.where(np.isfinite(usd), usd,
                                                          c.cfg_a["accel_hours_per_mtok"][c.pair_config])
    return primary, c.a["latency"]


def best(c: Candidates, mask: np.ndarray) -> tuple[int, int] | None:
    """The (pair, grid) index of the best candidate under ``mask``, or None."""
    flat = np.flatnonzero(mask.ravel())
    if flat.size == 0:
        return None
    primary, secondary = ranking_keys(c)
    order = np.lexsort((secondary.ravel()[flat], primary.ravel()[flat]))
    p, g = divmod(int(flat[order[0]]), mask.shape[1])
    return p, g


def best_per_capacity(c: Candidates, mask: np.ndarray) -> dict[int, tuple[int, int]]:
    """For each capacity with a candidate under ``mask``: its best (pair, grid) index."""
    flat = np.flatnonzero(mask.ravel())
    if flat.size == 0:
        return {}
    primary, secondary = ranking_keys(c)
    G = mask.shape[1]
    cap_of = c.pair_capacity[flat // G]
    order = np.lexsort((secondary.ravel()[flat], primary.ravel()[flat], cap_of))
    out: dict[int, tuple[int, int]] = {}
    for k in order:
        ci = int(cap_of[k])
        if ci not in out:
            out[ci] = divmod(int(flat[k]), G)
    return out


def distinct(c: Candidates) -> np.ndarray:
    """(P, G): False where a point repeats an earlier point's concurrency for the same config
    row (a refined point under ``--risk`` can land where the plain one did); such a point is
    the same candidate and is neither counted nor shown twice."""
    pr = c.per_replica
    dup = np.zeros(pr.shape, bool)
    for g in range(len(concurrency_grid()), pr.shape[1]):  # the grid's points are distinct
        dup[:, g] = np.any(pr[:, :g] == pr[:, g : g + 1], axis=1)
    return ~dup[c.pair_config]


def feasible(c: Candidates) -> np.ndarray:
    return np.logical_and.reduce(list(c.masks.values()))
