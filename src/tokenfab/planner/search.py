"""The planner: every deployment of a model across the catalog through the one vectorized
evaluation, the constraints as masks (each counted on its own), and the Pareto front.

Candidates = (rented offer x pricing model, or owned system) x weight format x parallel
split of the instance x concurrency; each is sized to the traffic with whole instances
(``deployment.candidates``). Front rows are the same :class:`Evaluation` objects
``tokenfab evaluate``/``cost``/``energy`` return for that deployment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..accuracy.bands import RISK_LEVELS
from ..catalog.hardware import System
from ..catalog.loader import Catalog, load_catalog
from ..catalog.market import Offer, Provider
from ..deployment import capacity as K
from ..deployment.candidates import Candidates, SearchSpace, build, distinct
from ..deployment.evaluate import evaluation_at, how_chosen
from ..deployment.problem import speculations
from ..deployment.ranges import pair_ratios, resized
from ..deployment.spec import discount_map
from ..errors import InputError, NoFeasiblePlanError, UnknownIdError, did_you_mean
from ..inputs import parse_input
from .misses import nearest_misses, why
from .pareto import epsilon_thin, pareto_mask
from .result import PlanResult
from .scenario import Scenario

_MEMO_LOCK = threading.Lock()
OBJECTIVE_FIELDS = {"cost": "usd_per_mtok", "latency": "latency", "energy": "j_per_token", "carbon": "gco2e_per_1k"}


def _known(cat: Catalog, kind: str, ids: Sequence[str]) -> set[str]:
    out = set()
    for i in ids:
        if not cat.has(kind, i):
            raise UnknownIdError(kind, i, cat.rows[kind])
        out.add(i.strip().lower())
    return out


def _regions(cat: Catalog, wanted: Sequence[str]) -> tuple[set[str], set[str]]:
    """(region ids, country codes) the region filter keeps; an entry matching neither is refused."""
    region_ids = {r.id.lower() for p in cat.typed("providers", Provider) for r in p.regions}
    countries = {r.country for p in cat.typed("providers", Provider) for r in p.regions}
    ids, codes = set(), set()
    for w in wanted:
        key = w.strip()
        if key.lower() in region_ids:
            ids.add(key.lower())
        if key.upper() in countries:
            codes.add(key.upper())
        if key.lower() not in region_ids and key.upper() not in countries:
            hint = did_you_mean(key, sorted(region_ids | {c.lower() for c in countries}))
            raise InputError(f"region = {key!r} matches no region id or country code of the catalog"
                             + (f"; {hint}" if hint else "; run 'tokenfab catalog list providers'"))
    return ids, codes


def capacities(cat: Catalog, s: Scenario) -> list[K.Capacity]:
    """Every way to have an instance the scenario allows to consider (filters are masks later).
    They depend on the catalog and the scenario's money and sovereignty fields only, not on the
    workload: kept with the catalog (a bounded memo) so repeated plans do not rebuild them."""
    import datetime as dt

    key = ("capacities", s.sovereignty, s.date or dt.date.today(), s.buyer_country, s.pricing, s.rent, s.own, s.own_grid,
           s.discounts)
    with _MEMO_LOCK:
        memo: dict[Any, list[K.Capacity]] = cat.memo.setdefault("capacities", {})
        found = memo.get(key)
    if found is None:
        found = _capacities(cat, s)
        with _MEMO_LOCK:
            if len(memo) >= 64:
                memo.pop(next(iter(memo)))
            memo[key] = found
    return found


def _capacities(cat: Catalog, s: Scenario) -> list[K.Capacity]:
    import datetime as dt

    policy = K.Policy(s.sovereignty, s.date or dt.date.today(), s.buyer_country, discount_map(s.discounts))
    K.check_discount_providers(cat, policy)
    out: list[K.Capacity] = []
    if s.rent:
        for off in cat.typed("offers", Offer):
            for pm in s.pricing:
                if off.price_per_accel_hour(pm) is not None:
                    out.append(K.rented(cat, off, pm, policy))
    if s.own:
        grid = cat.grid(s.own_grid or "")
        if grid.electricity_price_per_kwh is None:
            raise InputError(f"own_grid = {grid.id!r} has no electricity price; pick one of "
                             + ", ".join(g.id for g in cat.rows["grids"].values()
                                         if getattr(g, "electricity_price_per_kwh", None)))
        for sysm in cat.typed("systems", System):
            acc = cat.accelerator(sysm.accelerator)
            if (sysm.list_price_usd or sysm.street_price_usd) and acc.tdp_w:
                out.append(K.owned(cat, acc, None, sysm, grid.id, _NoOverrides(), policy))
    return out


class _NoOverrides:
    """Ownership overrides for catalog systems in a plan: every figure from the catalog."""

    def __getattr__(self, name: str) -> None:
        return None


def judged(s: Scenario, c: Candidates) -> dict[str, np.ndarray]:
    """The figures constraints and objectives read, (P, G): the estimates, or with ``risk`` the
    same candidates re-sized at that quantile of their throughput (accuracy.bands), times
    divided by the throughput ratio (the same steps, slower)."""
    P, G = c.a["usd_per_mtok"].shape
    fig = {k: c.a[k] for k in ("usd_per_mtok", "usd_per_month", "latency", "j_per_token", "gco2e_per_1k")}
    fig.update(ttft_p99=c.point.ttft_p99_s[c.pair_config], tpot_p99=c.point.tpot_p99_s[c.pair_config])
    if s.risk is None:
        return fig
    r = np.broadcast_to(pair_ratios(c, RISK_LEVELS[s.risk])[:, None], (P, G))
    pp, gg = np.meshgrid(np.arange(P), np.arange(G), indexing="ij")
    at = resized(c, r.ravel(), pp.ravel(), gg.ravel())
    fig.update({k: at[k].reshape(P, G) for k in ("usd_per_mtok", "usd_per_month", "j_per_token", "gco2e_per_1k")})
    fig.update(latency=fig["latency"] / r, ttft_p99=fig["ttft_p99"] / r, tpot_p99=fig["tpot_p99"] / r)
    return fig


def _masks(s: Scenario, cat: Catalog, c: Candidates, fig: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    shape = c.a["usd_per_mtok"].shape
    providers = _known(cat, "providers", s.providers)
    excluded = _known(cat, "providers", s.exclude_providers)
    accs = _known(cat, "accelerators", s.accelerators)
    no_accs = _known(cat, "accelerators", s.exclude_accelerators)
    region_ids, codes = _regions(cat, s.regions)

    def per_cap(fn: Callable[[K.Capacity], bool]) -> np.ndarray:
        return np.broadcast_to(np.array([fn(k) for k in c.capacities], dtype=bool)[c.pair_capacity][:, None], shape)

    power_needed = s.max_gco2e_per_1k_tok is not None or bool({"energy", "carbon"} & set(s.objectives))
    gco2 = fig["gco2e_per_1k"]
    ttft_lim, tpot_lim = s.limits_s()
    masks = {
        "provider filter": per_cap(lambda k: (not providers or k.provider in providers) and k.provider not in excluded),
        "region filter": per_cap(lambda k: not s.regions or k.region.lower() in region_ids or k.country in codes),
        "accelerator filter": per_cap(lambda k: (not accs or k.accelerator.id in accs) and k.accelerator.id not in no_accs),
        "fits in memory": c.masks["fits"],
        "TTFT": c.masks["TTFT"] if s.risk is None else fig["ttft_p99"] <= ttft_lim,
        "TPOT": c.masks["TPOT"] if s.risk is None else fig["tpot_p99"] <= tpot_lim,
        "budget": (fig["usd_per_month"] <= s.budget_usd_per_month) if s.budget_usd_per_month else np.ones(shape, bool),
        "carbon": ((gco2 <= s.max_gco2e_per_1k_tok) & np.isfinite(gco2)) if s.max_gco2e_per_1k_tok
        else np.ones(shape, bool),
        "sovereignty": per_cap(lambda k: k.sovereignty is None or k.sovereignty.passes),
        "spot price cap": per_cap(lambda k: s.max_spot_usd_per_accel_hour is None or k.pricing != "spot"
                                  or (k.rent is not None and k.rent.usd_per_accel_hour <= s.max_spot_usd_per_accel_hour)),
        "power data": np.isfinite(fig["j_per_token"]) | (not power_needed),
    }
    return masks


def prepare(scenario: Scenario | Mapping[str, Any], catalog: Catalog | None = None,
            progress: Callable[[str], None] | None = None) -> tuple[Scenario, Catalog, Candidates]:
    """The scenario parsed, the catalog and every candidate evaluated (before constraints)."""
    s = scenario if isinstance(scenario, Scenario) else parse_input(Scenario, dict(scenario))
    cat = catalog or load_catalog()
    spec = cat.model(s.model)
    step = progress or (lambda _msg: None)
    step("offers and sovereignty")
    caps = capacities(cat, s)
    if not caps:
        raise NoFeasiblePlanError(f"no capacity to consider: no offer has a {'/'.join(s.pricing)} price", {})
    step("performance, money and energy")
    speculations(cat, spec, s.speculative, s.draft_tokens, s.acceptance_rate)  # a forced method the model lacks
    space = SearchSpace(weights=s.weights, stack=s.stack, speculative=s.speculative, draft_tokens=s.draft_tokens,
                        acceptance_rate=s.acceptance_rate, memory_fraction=s.memory_fraction,
                        kv_reserve=s.kv_reserve, risk=s.risk)
    try:
        c = build(cat, spec, s, caps, space, skip_unusable=True)
    except InputError as exc:
        raise NoFeasiblePlanError(f"no catalog capacity can run {spec.id}: {exc}", {}) from None
    return s, cat, c


def plan(scenario: Scenario | Mapping[str, Any], catalog: Catalog | None = None,
         progress: Callable[[str], None] | None = None) -> PlanResult:
    """Search every deployment for ``scenario``; raise NoFeasiblePlanError when none passes."""
    t0 = time.perf_counter()
    s, cat, c = prepare(scenario, catalog, progress)
    return solve(s, cat, c, t0, progress=progress)[0]


def solve(s: Scenario, cat: Catalog, c: Candidates, t0: float, extra: Mapping[str, np.ndarray] | None = None,
          progress: Callable[[str], None] | None = None) -> tuple[PlanResult, list[tuple[int, int]]]:
    """Constraints (plus ``extra`` keep-masks per capacity, e.g. what-if shocks), counts and the
    front, with the (pair, point) index of each front row."""
    spec = c.spec
    step = progress or (lambda _msg: None)
    step("constraints")
    fig = judged(s, c)
    masks = _masks(s, cat, c, fig)
    for name, keep in (extra or {}).items():
        masks[name] = np.broadcast_to(np.asarray(keep, bool)[c.pair_capacity][:, None], c.a["usd_per_mtok"].shape)
    once = distinct(c)
    ok = np.logical_and.reduce(list(masks.values())) & once
    total = int(once.sum())
    rejected = {k: int((~v & once).sum()) for k, v in masks.items() if (~v & once).any()}
    misses = nearest_misses(s, {**masks, "distinct": once},
                            {"TPOT": fig["tpot_p99"], "TTFT": fig["ttft_p99"], "budget": fig["usd_per_month"],
                             "carbon": fig["gco2e_per_1k"]},
                            feasible=bool(ok.any()))
    if not ok.any():
        summary = ", ".join(f"{n:,} {why(k, s)}" for k, n in rejected.items())
        hint = f"; nearest misses: {'; '.join(misses)}" if misses else ""
        raise NoFeasiblePlanError(f"no feasible plan among {total:,} candidates: {summary}{hint}", rejected)
    step("Pareto front")
    flat = np.flatnonzero(ok.ravel())
    obj = np.stack([fig[OBJECTIVE_FIELDS[o]].ravel()[flat] for o in s.objectives], axis=1)
    exact = np.flatnonzero(pareto_mask(obj))
    front = flat[exact[epsilon_thin(obj[exact], s.front_tolerance)]]
    order = np.lexsort(tuple(obj[np.searchsorted(flat, front)][:, k] for k in reversed(range(len(s.objectives)))))
    how = how_chosen(_NoOverrides(), spec, bool(s.weights))
    G = ok.shape[1]
    where = [(int(front[i]) // G, int(front[i]) % G) for i in order]
    rows = tuple(evaluation_at(c, p, g, how=how, risk=s.risk) for p, g in where)
    notes = [f"demand {s.demand():,.1f} output tok/s; each candidate uses whole instances of one offer",
             "TTFT/TPOT shown are means; limits apply to p99, approximated from the means (docs/engine.md)"]
    if s.risk is not None:
        notes.append(f"risk {s.risk}: constraints and the front judged with each candidate's throughput at its "
                     f"{100 - int(s.risk[1:])}th percentile of measured/predicted (its accuracy class); the figures "
                     "shown are the estimates, the risk figures are in each row's 'at risk' line")
    if len(exact) > len(front):
        notes.append(f"{len(exact) - len(front)} Pareto rows within {s.front_tolerance:.0%} of a kept row on every "
                     "objective are not shown (front_tolerance = 0 shows the exact front)")
    notes += sorted({n for ev in rows for n in ev.notes if "of your run" in n})
    if c.unusable:
        notes.append(f"{len(c.unusable)} capacities cannot run {spec.id} at all (e.g. {next(iter(c.unusable.values()))})")
    return PlanResult(scenario=s, front=rows, rejected=rejected, candidates_evaluated=total, feasible=int(ok.sum()),
                      nearest_misses=tuple(misses), notes=tuple(notes), elapsed_s=time.perf_counter() - t0), where
