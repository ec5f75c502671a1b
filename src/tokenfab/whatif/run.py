"""``whatif``: the plan, the shocks, Monte Carlo on the front rows, and the tornado.

The engine runs once (``planner.search.prepare``); shocks re-price the same candidates
(``candidates.reprice``) and re-take the front (``planner.search.solve``); the samples
re-evaluate the front rows with factors on their columns (``whatif.sampling``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..catalog.loader import Catalog
from ..catalog.uncertainty import TARGETS, UncertainInput, Uncertainty, load_uncertainty
from ..deployment.candidates import Candidates, reprice
from ..deployment.result import Evaluation
from ..errors import InputError, NoFeasiblePlanError, did_you_mean
from ..inputs import parse_input
from ..planner.result import PlanResult
from ..planner.search import prepare, solve
from . import backends
from .question import WhatIfQuestion
from .result import DroppedRow, InputRange, Percentiles, RowDistribution, ShockEffect, TornadoBar, WhatIfResult
from .rows import Rows, gather
from .sampling import applies, chunk_sizes, evaluate, row_band_ends

OBJECTIVE_FIGURE = {"cost": "usd_per_mtok", "latency": "latency_s", "energy": "j_per_token", "carbon": "gco2e_per_1k"}


def label(ev: Evaluation) -> str:
    d = ev.deployment
    return (f"{d.provider} {d.instances}x{d.accelerators_per_instance} {d.accelerator} {d.pricing} "
            f"tp{d.tp}pp{d.pp}ep{d.ep} {d.weights} c{d.concurrency_per_instance}")


def _key(ev: Evaluation) -> tuple[Any, ...]:
    d = ev.deployment
    return (d.capacity, d.pricing, d.weights, d.kv, d.tp, d.pp, d.ep, d.dp_attention, d.concurrency_per_replica)


def sample(row_sets: Sequence[Rows], inputs: Sequence[UncertainInput], samples: int, seed: int,
           backend: str = "local", address: str | None = None) -> list[dict[str, np.ndarray]]:
    """``samples`` draws for each row set (scenario), chunked with seeds spawned from ``seed``:
    scenario i, chunk k uses SeedSequence(seed).spawn(n)[i].spawn(chunks)[k]."""
    sizes = chunk_sizes(samples)
    jobs: list[backends.Job] = []
    for rows, ss in zip(row_sets, np.random.SeedSequence(seed).spawn(len(row_sets))):
        jobs += [(rows, tuple(inputs), s, n) for s, n in zip(ss.spawn(len(sizes)), sizes)]
    parts = backends.run(jobs, backend, address)
    out = []
    for i in range(len(row_sets)):
        mine = parts[i * len(sizes):(i + 1) * len(sizes)]
        out.append({k: np.concatenate([p[k] for p in mine]) for k in mine[0]})
    return out


def _pct(x: np.ndarray) -> Percentiles:
    ok = np.isfinite(x)
    if not ok.any():
        return Percentiles(p10=None, p50=None, p90=None)
    q = np.percentile(x[ok], [10, 50, 90])
    return Percentiles(p10=float(q[0]), p50=float(q[1]), p90=float(q[2]))


def _best(fig: dict[str, np.ndarray], objective: str) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: the index of the best feasible row, and whether any row was feasible."""
    v = np.where(fig["feasible"], fig[OBJECTIVE_FIGURE[objective]], np.inf)
    v = np.where(np.isfinite(v), v, np.inf)
    return np.argmin(v, axis=1), np.asarray(np.isfinite(v).any(axis=1))


def _one(rows: Rows, only: UncertainInput, value: float | np.ndarray) -> dict[str, np.ndarray]:
    f = {t: np.ones((1, len(rows))) for t in TARGETS}
    f[only.target] = np.where(applies(only, rows), value, 1.0)[None, :]
    return evaluate(rows, f)


def tornado(rows: Rows, inputs: Sequence[UncertainInput], best_row: int) -> list[TornadoBar]:
    """One-at-a-time: each input at its low and high bound, the best row's $/M output tokens."""
    bars = []
    for inp in inputs:
        lo_v: float | np.ndarray
        hi_v: float | np.ndarray
        lo_v, hi_v = lo, hi = inp.distribution.bounds()
        if inp.distribution.kind == "accuracy-band":  # each row at its own band's ends
            lo_v, hi_v = row_band_ends(rows)
            lo, hi = float(lo_v[best_row]), float(hi_v[best_row])
        a = float(_one(rows, inp, lo_v)["usd_per_mtok"][0, best_row])
        b = float(_one(rows, inp, hi_v)["usd_per_mtok"][0, best_row])
        fin = [v for v in (a, b) if np.isfinite(v)]
        bars.append(TornadoBar(input=inp.name, target=inp.target, low_factor=lo, high_factor=hi,
                               usd_per_mtok_at_low=a if np.isfinite(a) else None,
                               usd_per_mtok_at_high=b if np.isfinite(b) else None,
                               swing_usd_per_mtok=abs(fin[0] - fin[-1]) if len(fin) == 2 else 0.0))
    return sorted(bars, key=lambda t: -t.swing_usd_per_mtok)


def _dropped(before: PlanResult, after: PlanResult, c2: Candidates, where: Sequence[tuple[int, int]],
             reasons: Mapping[str, Mapping[str, str]]) -> list[DroppedRow]:
    kept = {_key(e) for e in after.front}
    out = []
    for i, (ev, (p, g)) in enumerate(zip(before.front, where), start=1):
        if _key(ev) in kept:
            continue
        cap = ev.deployment.capacity
        why = next((f"removed by {s}: {r[cap]}" for s, r in reasons.items() if cap in r), None)
        if why is None:
            now = float(c2.a["usd_per_mtok"][p, g])
            why = (f"no longer on the front: ${ev.money.usd_per_mtok_output:.3f} -> ${now:.3f} per M output tokens, "
                   "now dominated (or within the front tolerance of a kept row)")
        out.append(DroppedRow(rank_before=i, label=label(ev), why=why))
    return out


def _given(ids: Sequence[str], c: Candidates) -> dict[str, np.ndarray]:
    """The 'given deployments' keep-mask per capacity (empty: no filter); unknown ids refused."""
    if not ids:
        return {}
    have = {k.id.lower() for k in c.capacities}
    wanted = {i.strip().lower() for i in ids}
    for i in sorted(wanted - have):
        hint = did_you_mean(i, sorted(have))
        raise InputError(f"deployments = {i!r} is not a capacity this scenario considers"
                         + (f"; {hint}" if hint else "; use offer ids (tokenfab catalog list offers) or own:<system> with --own"))
    return {"deployment filter": np.array([k.id.lower() in wanted for k in c.capacities])}


def whatif(question: WhatIfQuestion | Mapping[str, Any], catalog: Catalog | None = None,
           uncertainty: Uncertainty | None = None, overlay: str | None = None) -> WhatIfResult:
    """Plan, apply the shocks, sample the front rows; see docs/whatif.md."""
    from .shocks import apply_shocks, parse_shock

    t0 = time.perf_counter()
    q = question if isinstance(question, WhatIfQuestion) else parse_input(WhatIfQuestion, dict(question))
    shocks = [parse_shock(s) for s in q.shocks]  # a bad shock is refused before any work
    unc = uncertainty or load_uncertainty(overlay)
    s, cat, c = prepare(q, catalog)
    given = _given(q.deployments, c)
    before, where_b = solve(s, cat, c, t0, extra=given)
    after, c_final, where, effects, dropped = None, c, where_b, [], []
    if shocks:
        ap = apply_shocks(shocks, cat, c.capacities, s.buyer_country, s.date or dt.date.today(), unc)
        c_final = reprice(c, ap.capacities)
        try:
            after, where = solve(s, cat, c_final, t0,
                                 extra={**given, **{f"shock {k}": v for k, v in ap.keep.items()}})
        except NoFeasiblePlanError as exc:
            raise NoFeasiblePlanError(f"after the shocks ({', '.join(q.shocks)}): {exc}", exc.rejected) from None
        effects = [ShockEffect(shock=sh.text, changed=tuple(ap.changed[sh.text]),
                               capacities_removed=int((~ap.keep[sh.text]).sum()) if sh.text in ap.keep else 0)
                   for sh in shocks]
        dropped = _dropped(before, after, c_final, where_b, ap.reasons)
    shown = after or before
    labels = [label(e) for e in shown.front]
    rows = gather(c_final, where, labels, s.budget_usd_per_month, s.max_gco2e_per_1k_tok)
    fig = sample([rows], unc.inputs, q.samples, q.seed, q.backend, q.address)[0]
    objective = s.objectives[0]
    best, any_ok = _best(fig, objective)
    dist = tuple(
        RowDistribution(rank=i + 1, label=labels[i], capacity=ev.deployment.capacity,
                        plan_usd_per_mtok=ev.money.usd_per_mtok_output,
                        usd_per_mtok=_pct(fig["usd_per_mtok"][:, i]), j_per_token=_pct(fig["j_per_token"][:, i]),
                        gco2e_per_1k_tok=_pct(fig["gco2e_per_1k"][:, i]),
                        slo_met_frac=float(fig["feasible"][:, i].mean()),
                        prob_best=float(((best == i) & any_ok).mean()))
        for i, ev in enumerate(shown.front))
    plan_obj = np.array([rows.latency_s[i] if objective == "latency" else
                         {"cost": ev.money.usd_per_mtok_output, "energy": ev.energy.j_per_output_token,
                          "carbon": ev.energy.gco2e_per_1k_tok}[objective] or np.inf
                         for i, ev in enumerate(shown.front)], float)
    best_row = int(np.argmin(plan_obj))
    notes = [f"{q.samples:,} samples, seed {q.seed}, backend {q.backend}; factors on the inputs of "
             "data/uncertainty.yaml (overlay: uncertainty.yaml in --catalog DIR)",
             f"probability best = share of samples where the row is best on {objective} among the front rows "
             "that meet every constraint in that sample",
             f"tornado: each input alone at the low and high end of its range, effect on row {best_row + 1}'s "
             "$/M output tokens (the plan's best on the objective)"]
    ranges = tuple(InputRange(name=i.name, target=i.target, per=i.per,
                              distribution=i.distribution.model_dump(exclude_none=True), source=i.source,
                              as_of=str(i.as_of), kind=i.kind) for i in unc.inputs)
    return WhatIfResult(scenario=s, samples=q.samples, seed=q.seed, backend=q.backend, objective=objective,
                        shocks=tuple(effects), before=before, after=after, dropped=tuple(dropped), rows=dist,
                        prob_no_row_feasible=float((~any_ok).mean()), tornado=tuple(tornado(rows, unc.inputs, best_row)),
                        inputs=ranges, notes=tuple(notes), elapsed_s=time.perf_counter() - t0)
