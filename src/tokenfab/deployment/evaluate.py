"""Evaluate one deployment: resolve it against the catalog, evaluate its candidates with the
shared vectorized pass and return the chosen one as a typed :class:`Evaluation`.
``evaluation_at`` turns any candidate of any search (the planner's included) into that
same object, so one deployment has one set of figures whichever command asked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from ..accuracy.bands import Band
from ..catalog import assumptions as A
from ..catalog.efficiency_overlay import calibration_note
from ..catalog.loader import Catalog, load_catalog
from ..catalog.model_spec import ModelSpec
from ..economics.cost import split_by_phase
from ..engine.arrays import ModelArrays
from ..engine.dtypes import BLOCK_SCALED_EFFICIENCY, FOUR_BIT_FORMATS, WEIGHT_BYTES_PER_PARAM
from ..engine.efficiency import KvReserveRule, block_scale_factors, kernel_key
from ..engine.memory import kv_bytes_sequence, kv_model, weight_bytes_total
from ..engine.serving import BOUNDS, live_context, step_time
from ..engine.speculative import tokens_per_step
from ..errors import DoesNotFitError, InputError
from ..inputs import parse_input
from ..units import format_bytes
from . import capacity as K
from .candidates import Candidates, SearchSpace, best, build, feasible
from .problem import efficiency_key, hardware_row, kept_dtypes, kept_formats, model_row, weight_search
from .ranges import band_of, ends_of, perf_range, risk_figures
from .result import (
    Assumption,
    Choice,
    Energy,
    Evaluation,
    Layout,
    Money,
    OwnershipCost,
    Performance,
    SovereigntySummary,
)
from .spec import Deployment, discount_map
from .workload import WORKLOAD_FIELDS, Workload


def config_row(o: Any, i: int) -> Any:
    """Row ``i`` of a columnar record as (1,) arrays (a column of one row is broadcast)."""
    return type(o)(**{k: np.asarray(v)[[min(i, np.asarray(v).shape[0] - 1)]] for k, v in o.__dict__.items()})


def _f(a: np.ndarray, p: int, g: int) -> float:
    return float(np.asarray(a)[p, g])


def _opt(x: float) -> float | None:
    return x if np.isfinite(x) else None


def _performance(c: Candidates, p: int, g: int) -> Performance:
    ci, pt, wl = int(c.pair_config[p]), c.point, c.workload
    thr, tpot = _f(pt.throughput_output_tok_per_s, ci, g), _f(pt.tpot_s, ci, g)
    inp = c.inputs
    m, hw, eff, cfg = (config_row(o, ci) for o in (inp.m, inp.hw, inp.eff, inp.cfg))
    b = np.array([c.per_replica[ci, g]])
    step, tokens = step_time(m, hw, eff, cfg, b, live_context(wl.isl, wl.osl, wl.osl_cv), 0.0)
    decode_only = float((step.total_s / tokens).ravel()[0])  # per output token
    prefill_share = 0.0 if c.space.disaggregated else max(0.0, 1.0 - decode_only / tpot)
    ttft_lim, tpot_lim = wl.limits_s()
    count = c.capacities[int(c.pair_capacity[p])].count
    return Performance(
        throughput_output_tok_per_s=thr, throughput_per_accelerator_tok_per_s=thr / count,
        input_tok_per_s=thr * wl.isl / wl.osl, ttft_s=_f(pt.ttft_s, ci, g), tpot_s=tpot,
        ttft_p99_s=_f(pt.ttft_p99_s, ci, g), tpot_p99_s=_f(pt.tpot_p99_s, ci, g), latency_s=c.value("latency", p, g),
        output_tok_per_s_per_user=1.0 / tpot, ttft_limit_s=_opt(ttft_lim), tpot_limit_s=_opt(tpot_lim),
        slo_met=bool(c.masks["TTFT"][p, g] and c.masks["TPOT"][p, g]),
        memory_per_device_bytes=_f(pt.memory_per_device_bytes, ci, g),
        weights_per_device_bytes=_f(pt.weights_per_device_bytes, ci, g),
        memory_capacity_bytes=float(np.asarray(inp.hw.memory_bytes)[ci]),
        max_concurrency_per_replica=int(max(_f(pt.max_concurrency, ci, g), 0.0)),
        bound=BOUNDS[int(np.asarray(pt.bound)[ci, g])], mfu=_f(pt.mfu, ci, g), mbu=_f(pt.mbu, ci, g),
        time_shares={k: _f(v, ci, g) for k, v in pt.time_shares.items()}, prefill_time_share=prefill_share,
        **perf_range(band_of(c, p), thr, _f(pt.ttft_s, ci, g), tpot))


def _budget(c: Candidates, ci: int) -> tuple[float, Literal["total", "free"]]:
    """The memory budget config row ``ci`` was evaluated with: fraction, and of what."""
    eff = c.inputs.eff
    of_free = float(np.asarray(eff.kv_fraction_of_free)[ci]) > 0
    return float(np.asarray(eff.kv_memory_fraction)[ci]), "free" if of_free else "total"


def _layout(c: Candidates, p: int, g: int) -> Layout:
    ci = int(c.pair_config[p])
    cap = c.capacities[int(c.pair_capacity[p])]
    blk = c.blocks[int(c.inputs.block[ci])]
    s = blk.splits[int(c.inputs.split[ci])]
    inst = int(c.value("instances", p, g))
    per_rep = float(c.per_replica[ci, g])
    frac, of = _budget(c, ci)
    reserve: KvReserveRule = (
        "request" if float(np.asarray(c.inputs.eff.kv_reserve_request)[ci]) > 0 else "live")
    return Layout(
        capacity=cap.id, paid_as=cap.paid_as, provider=cap.provider, region=cap.region, country=cap.country,
        pricing=cap.pricing, accelerator=cap.accelerator.id, accelerators_per_instance=cap.count,
        idle_accelerators_per_instance=s.idle, instances=inst, accelerators_total=inst * cap.count, tp=s.tp, pp=s.pp,
        ep=s.ep, dp_attention=bool(s.dp_attention), replicas_per_instance=s.replicas, weights=blk.precision.weights,
        kv=blk.precision.kv, compute_dtype=blk.precision.compute_dtype, stack=blk.precision.stack,
        concurrency_per_instance=int(round(per_rep * s.replicas)), concurrency_per_replica=per_rep,
        fidelity=c.space.fidelity, disaggregated=c.space.disaggregated,
        memory_fraction=frac, memory_fraction_of=of, kv_reserve=reserve,
        speculative=blk.speculation.method,
        draft_tokens=blk.speculation.draft_tokens,
        acceptance_rate=blk.speculation.acceptance_rate if blk.speculation.draft_tokens else None,
        tokens_per_step=float(tokens_per_step(blk.speculation.acceptance_rate, blk.speculation.draft_tokens)),
        server_utilization=float(c.server_share[ci]))


def _money(c: Candidates, p: int, g: int, perf: Performance) -> Money:
    cap = c.capacities[int(c.pair_capacity[p])]
    util, served = c.value("utilization", p, g), c.value("served", p, g)
    common = dict(demand_output_tok_per_s=served, utilization=util,
                  accelerator_hours_per_mtok=c.value("accel_hours_per_mtok", p, g))
    if cap.paid_as == "unpriced":
        return Money(priced=False, unpriced_reason=cap.unpriced_reason, **common)
    usd_h = c.value("usd_per_hour", p, g)
    out_share, in_share = split_by_phase(usd_h, served, served * c.workload.isl / c.workload.osl,
                                         perf.prefill_time_share)
    own = None
    if cap.ownership is not None:
        t = cap.ownership
        own = OwnershipCost(
            **{k: c.value(f"own_{k}", p, g) for k in ("capital", "energy", "colocation", "staff", "overhead", "total")},
            capex_usd_per_accel=t.capex_usd_per_accel, capex_basis=t.capex_basis,
            electricity_usd_per_kwh=t.electricity_usd_per_kwh, electricity_basis=t.electricity_basis,
            average_power_w_per_accel=c.value("it_inst_w", p, g) / cap.count,
            provisioned_power_w_per_accel=float(cap.accelerator.tdp_w or 0.0)
            + A.number("server_non_accelerator_w_per_8_accel") / 8.0,
            years=t.years, residual_frac=t.residual_frac, cost_of_capital_frac=t.cost_of_capital_frac,
            network_share_frac=t.network_share_frac)
    price = cap.rent
    ends = ends_of(c, p, g, perf.accuracy)
    rng: dict[str, float] = {} if ends is None else dict(
        usd_per_mtok_output_low=float(ends["usd_per_mtok"][1]), usd_per_mtok_output_high=float(ends["usd_per_mtok"][0]),
        usd_per_month_low=float(ends["usd_per_month"][1]), usd_per_month_high=float(ends["usd_per_month"][0]))
    return Money(priced=True, usd_per_accel_hour=c.value("usd_per_accel_hour", p, g), price=price, ownership=own,
                 usd_per_hour=usd_h, usd_per_month=c.value("usd_per_month", p, g),
                 usd_per_mtok_output=c.value("usd_per_mtok", p, g), **rng,
                 usd_per_mtok_output_decode_share=float(out_share), usd_per_mtok_input_prefill_share=float(in_share),
                 **common)


def _energy(c: Candidates, p: int, g: int, band: Band | None) -> Energy:
    cap = c.capacities[int(c.pair_capacity[p])]
    carbon = cap.grid.carbon() if cap.grid else (None, None, None)
    base: dict[str, Any] = dict(pue=cap.pue.value, pue_basis=cap.pue.basis, pue_is_fallback=cap.pue.fallback,
                                grid=cap.grid.id if cap.grid else None, grid_basis=cap.grid_basis,
                                grid_gco2e_per_kwh=carbon[0], grid_year=carbon[1], grid_carbon_basis=carbon[2],
                                wue_l_per_kwh=cap.wue.value_l_per_kwh, wue_basis=cap.wue.basis)
    if cap.accelerator.tdp_w is None:
        return Energy(**base, unavailable_reason=f"{cap.accelerator.id} has no published tdp_w",
                      carbon_reason="no power figure")
    j = c.value("j_per_token", p, g)
    op = _opt(c.value("gco2e_per_1k", p, g))
    emb = c.value("embodied_per_1k", p, g)
    ends = ends_of(c, p, g, band)
    if ends is not None:
        base.update(j_per_output_token_low=float(ends["j_per_token"][1]),
                    j_per_output_token_high=float(ends["j_per_token"][0]))
        if op is not None:
            tot = ends["gco2e_per_1k"] + ends["embodied_per_1k"]
            base.update(gco2e_per_1k_tok_low=float(ends["gco2e_per_1k"][1]),
                        gco2e_per_1k_tok_high=float(ends["gco2e_per_1k"][0]),
                        total_gco2e_per_1k_tok_low=float(tot[1]), total_gco2e_per_1k_tok_high=float(tot[0]))
    return Energy(**base, it_power_w=c.value("it_w", p, g), facility_power_w=c.value("it_w", p, g) * cap.pue.value,
                  j_per_output_token=j, j_per_output_token_it=c.value("j_per_token_it", p, g),
                  kwh_per_mtok=j * 1e6 / 3.6e6, gco2e_per_1k_tok=op, embodied_gco2e_per_1k_tok=emb,
                  total_gco2e_per_1k_tok=None if op is None else op + emb,
                  carbon_reason=None if op is not None else "no grid: pass a grid for carbon",
                  water_l_per_mtok=None if cap.wue.value_l_per_kwh is None
                  else c.value("j_per_token_it", p, g) * 1e6 / 3.6e6 * cap.wue.value_l_per_kwh)


def _sovereignty(cap: K.Capacity) -> SovereigntySummary | None:
    r = cap.sovereignty
    if r is None:
        return None
    return SovereigntySummary(preset=r.preset, date=r.date, buyer_country=r.facts.export_control.buyer_country,
                              passes=r.passes, reasons=r.reasons, seal_estimate=r.seal_estimate,
                              controlling_country=r.facts.controlling_country,
                              us_cloud_act_exposed=r.facts.us_cloud_act_exposed, data_location=r.facts.data_location)


CHOICE_FIELDS = {"count": "accelerators_per_instance", "concurrency": "concurrency_per_instance"}


def evaluation_at(c: Candidates, p: int, g: int, how: tuple[tuple[str, str], ...] = (), notes: tuple[str, ...] = (),
                  extra_assumptions: tuple[dict[str, Any], ...] = (), risk: str | None = None) -> Evaluation:
    """The typed evaluation of candidate (pair ``p``, concurrency point ``g``); ``how`` says,
    per deployment field, how its value was chosen."""
    cap = c.capacities[int(c.pair_capacity[p])]
    perf = _performance(c, p, g)
    used = [*cap.assumptions, *extra_assumptions, A.cited("idle_power_frac"),
            A.cited("server_non_accelerator_w_per_8_accel")]
    if not c.workload.has_traffic:
        used.append(A.cited("serving_utilization", c.workload.serving_utilization()))
    seen: dict[str, Assumption] = {}
    for u in used:
        seen.setdefault(str(u["name"]), Assumption.from_cited(u))
    wl = Workload.model_validate({k: getattr(c.workload, k) for k in WORKLOAD_FIELDS})
    layout = _layout(c, p, g)
    own = calibration_note(c.efficiency, layout.accelerator, layout.stack) if layout.fidelity == "calibrated" else None
    if own is not None:
        notes = (*notes, own)
        f = c.efficiency["calibrated"]["accelerator_stacks"][layout.accelerator][layout.stack]
        seen.setdefault("efficiency_calibration", Assumption(
            name="efficiency_calibration", value=f"calibrated on {f['calibrated_on_runs']} of your runs",
            source=str(f["source"]), as_of=str(f.get("fitted_at", "")), kind="user calibration"))
    if layout.fidelity == "measured":
        seen.setdefault("measured_kernels", _measured_assumption(c, layout, int(c.pair_config[p])))
    utilization = _server_utilization(c, layout)
    if utilization is not None:
        seen.setdefault("server_utilization", utilization)
    for note in (_four_bit_note(c.spec, layout), _block_scale_note(c, layout),
                 _window_cache_note(c, layout, int(c.pair_config[p]))):
        if note is not None:
            notes = (*notes, note)
    choices = tuple(Choice(field=f, value=str(getattr(layout, CHOICE_FIELDS.get(f, f))), how=h) for f, h in how)
    warnings = cap.warnings
    if perf.accuracy is not None and not perf.accuracy.validated:
        warnings = (*warnings, f"{layout.stack} on {cap.accelerator.id} ({cap.accelerator.vendor}) is unvalidated: no "
                    "measured result of this vendor x stack was fitted, its efficiency factors are borrowed and its "
                    f"80 % range is the widest ({perf.accuracy.ratio_low:.2f}-{perf.accuracy.ratio_high:.2f} x the "
                    "estimate). Fix: benchmark it and 'tokenfab calibrate' (docs/loop.md)")
    return Evaluation(model=c.spec.id, workload=wl, deployment=layout, performance=perf,
                      money=_money(c, p, g, perf), energy=_energy(c, p, g, perf.accuracy), sovereignty=_sovereignty(cap),
                      choices=choices, assumptions=tuple(seen.values()), notes=notes, warnings=warnings,
                      risk=None if risk is None else risk_figures(c, p, g, risk))


def _server_utilization(c: Candidates, layout: Layout) -> Assumption | None:
    """The share of its limit-bound capacity the throughput carries (``serving.sustained``), where
    it is below 1: fitted, or given by the deployment."""
    if layout.server_utilization == 1.0:
        return None
    if c.space.server_utilization is not None:
        return Assumption(name="server_utilization", value=layout.server_utilization, kind="estimate",
                          source="given (server_utilization, --server-utilization)")
    cal = c.efficiency.get("calibrated", {})
    return Assumption(
        name="server_utilization", value=layout.server_utilization, as_of=str(cal.get("fitted_at", "")),
        kind="derived",
        source=f"{cal.get('fitted_on', 'validation/measured.csv')}: the MLPerf Server and Interactive rows; under "
               "its latency limits a server under random arrivals carries this share of the steady state's "
               "limit-bound capacity (docs/engine.md section 4); a stated concurrency is a closed loop and carries 1")


def _four_bit_note(spec: ModelSpec, layout: Layout) -> str | None:
    """How a 4-bit checkpoint is costed: what it keeps at a higher precision
    (:func:`~tokenfab.deployment.problem.kept_dtypes`) and, where its 4-bit GEMMs run against
    8-bit activations, the peak they compute at (docs/engine.md)."""
    if layout.weights not in FOUR_BIT_FORMATS:
        return None
    names = {"attention": "attention", "lm_head": "the LM head"}
    kept = " and ".join(f"{names[g]} in {d}" for g, d in kept_dtypes(spec, layout.weights).items())
    mixed = {"fp8": f"; its {layout.weights} GEMMs run against 8-bit activations at the fp8 peak",
             "bf16": f"; its {layout.weights} weights are dequantized into bf16 GEMMs (weight-only)"}.get(
        layout.compute_dtype, "")
    return f"{spec.id} in {layout.weights} is costed as served: {kept}{mixed} (docs/engine.md, section 5)"


def _window_cache_note(c: Candidates, layout: Layout, ci: int) -> str | None:
    """Where the stack holds a sliding-window or chunked layer's KV cache for the whole context
    (efficiency.yaml ``kv_cache_budget`` ``sliding_layers`` / ``chunked_layers: full``, docs/engine.md
    section 4), how much more KV a sequence holds than with window-sized caches, at its prompt and
    output: fewer sequences fit, while attention still reads only the window. Read from the rules
    the engine ran configuration row ``ci`` with."""
    spec = c.spec
    if not spec.num_sliding_layers:
        return None
    m, eff = c.inputs.m, c.inputs.eff
    context = float(c.workload.isl + c.workload.osl)
    held = kv_bytes_sequence(kv_model(m, eff.chunked_kv_full[ci], eff.sliding_kv_full[ci]), 1.0, context)[0]
    ratio = float(held / kv_bytes_sequence(m, 1.0, context)[0])
    if ratio <= 1.0:
        return None
    chunked = spec.local_attention == "chunked"
    kind, why, reads = (("chunked-attention", "it allocates no per-chunk cache", "the chunk") if chunked else
                        ("sliding-window", "it sizes one window, the longest, for every layer", "the window"))
    return (f"{layout.stack} holds the whole context's KV cache on {spec.id}'s {spec.num_sliding_layers} {kind} "
            f"layers ({why}): a sequence of {context:,.0f} tokens holds {ratio:.2f}x the KV of window-sized caches, "
            f"so fewer fit; attention still reads {reads} (efficiency.yaml kv_cache_budget, docs/engine.md section 4)")


def _block_scale_note(c: Candidates, layout: Layout) -> str | None:
    """How block-scaled FP8 weights are costed where the chip's block-scaled kernels are measurably
    slower than per-tensor FP8 (efficiency.yaml ``block_scaled_fp8``, docs/engine.md section 5)."""
    key = efficiency_key(layout.weights, layout.compute_dtype, c.spec.fp8_block_scales)
    if key != BLOCK_SCALED_EFFICIENCY or layout.fidelity not in ("derated", "calibrated"):
        return None
    dense, experts = block_scale_factors(c.efficiency, layout.accelerator, key, when_applied=False)
    if dense >= 1.0 and experts >= 1.0:
        return None
    measured = f"{dense:.2f} of the per-tensor FP8 rate on dense GEMMs" + (
        f", {dense * experts:.2f} on routed experts" if c.spec.is_moe else "")
    applied = block_scale_factors(c.efficiency, layout.accelerator, key) != (1.0, 1.0)
    how = "costed so" if applied else ("costed here as per-tensor FP8 (not applied yet), so this estimate may be high "
                                      "where steps are compute-bound")
    return (f"{c.spec.id}'s fp8 weights carry per-block scales; NVIDIA's measured kernels on {layout.accelerator} run "
            f"them at {measured}: {how} (efficiency.yaml block_scaled_fp8, docs/engine.md section 5)")


def _measured_assumption(c: Candidates, layout: Layout, ci: int) -> Assumption:
    """Which parts of a ``measured``-fidelity result came from the kernel database (configuration
    row ``ci``: its prompt attention took the measured law where the engine was given one)."""
    from ..engine.measured_kernels import coverage_line, moe_label, register

    s = c.spec
    # the key the engine looked the kernels up under: a block-scaled FP8 checkpoint has its own tables
    key = kernel_key(efficiency_key(layout.weights, layout.compute_dtype, s.fp8_block_scales))
    cid = register(layout.accelerator, layout.stack, key)  # cached: the id the engine used
    shape = (s.hidden_size, s.moe_intermediate_size or 0, s.experts_per_token or 0, s.num_experts or 0)
    moe = moe_label(layout.accelerator, layout.stack, key, shape, layout.tp // max(layout.ep, 1),
                    max(layout.ep, 1), WEIGHT_BYTES_PER_PARAM[layout.weights])
    law = float(np.asarray(c.inputs.cfg.prefill_attention_flop_per_s)[ci])
    prompt = f"{layout.kv} head {s.head_dim}" if law > 0 else None
    return Assumption(name="measured_kernels", value=coverage_line(layout.accelerator, layout.stack,
                                                                      key, cid, moe, shape[3] > 0, prompt),
                      source="https://github.com/ai-dynamo/aiconfigurator (aiconfigurator-core systems/data)",
                      kind="measured kernel timings")


# ---------------------------------------------------------------- one deployment


def capacity_for(cat: Catalog, d: Deployment) -> K.Capacity:
    """How the deployment's instances are had: owned, rented or bare accelerators."""
    policy = K.Policy(d.sovereignty, d.date or dt.date.today(), d.buyer_country, discount_map(d.discounts))
    K.check_discount_providers(cat, policy)
    offer = cat.offer(d.offer) if d.offer else None
    acc = cat.accelerator(d.accelerator) if d.accelerator else None
    if offer is not None:
        if acc is not None and acc.id != offer.accelerator:
            raise InputError(f"accelerator = {d.accelerator!r} but offer {offer.id} rents {offer.accelerator}; "
                             "drop accelerator")
        acc = cat.accelerator(offer.accelerator)
        if d.count is not None and d.count != offer.accelerator_count and not d.own:
            raise InputError(f"count = {d.count}: offer {offer.id} rents whole instances of {offer.accelerator_count} "
                             f"x {offer.accelerator}; drop count (accelerators a split cannot use are still paid for)")
    if d.own:
        if acc is None:  # the Deployment validator asks for an accelerator, a system or an offer
            acc = cat.accelerator(cat.system(d.system or "").accelerator)
        system = K.purchase_system(cat, acc, d.system)
        count = d.count or (offer.accelerator_count if offer else None)
        return K.owned(cat, acc, count, system, d.grid, d, policy)
    if offer is not None:
        return K.rented(cat, offer, d.pricing, policy, d.pue, d.grid)
    if acc is None:
        raise InputError("say what serves the model: offer (--offer ID, rent), own (--own with an accelerator "
                         "or system, buy) or accelerator (--accelerator ID, performance and energy only)")
    return K.unpriced(cat, acc, d.count or 1, d.grid, d.pue)


def search_space(d: Deployment) -> SearchSpace:
    return SearchSpace(
        weights=(d.weights,) if d.weights else None, kv=d.kv, stack=d.stack,
        fixed_split=dict(tp=d.tp, pp=d.pp, ep=d.ep, dp_attention=d.dp_attention), concurrency=d.concurrency,
        fidelity=d.fidelity, disaggregated=d.disaggregated, chunk_tokens=d.chunk_tokens,
        memory_fraction=d.memory_fraction, kv_reserve=d.kv_reserve, speculative=d.speculative,
        draft_tokens=d.draft_tokens, acceptance_rate=d.acceptance_rate, server_utilization=d.server_utilization)


SEARCHED = {
    "tp": "searched among divisors of the attention heads", "pp": "searched among 1..8 stages",
    "ep": "searched among divisors of tp and of the expert count", "dp_attention": "searched (on, off)",
    "concurrency": "searched among 1..16,384 per replica (40 points)",
    "kv": "default: fp8 with <= 8-bit weights on chips with FP8, else bf16",
    "stack": "default for the accelerator's vendor",
}


def how_chosen(d: Any, spec: Any, weights_given: bool) -> tuple[tuple[str, str], ...]:
    """(field, how) for the deployment fields a search may choose; ``d`` is a Deployment or
    anything with those attributes set to None when searched."""
    out = [("count", "given" if getattr(d, "count", None) else "the capacity's")]
    out.append(("weights", "given" if weights_given else f"searched among {', '.join(weight_search(spec, None))}"))
    for f, rule in SEARCHED.items():
        out.append((f, "given" if getattr(d, f, None) is not None else rule))
    spec_how = {"auto": "searched (off and the catalog's methods for the model)", "off": "off (the default)"}
    out.append(("speculative", spec_how.get(getattr(d, "speculative", "off"), "given")))
    return tuple(out)


def _does_not_fit(c: Candidates, cap: K.Capacity, held: int = 0) -> DoesNotFitError:
    """Why nothing fits; ``held`` is the most sequences per instance any split holds at the
    searched concurrencies (0 = none), for a deployment that fixed a concurrency above it."""
    w = min((b.precision.weights for b in c.blocks), key=lambda x: WEIGHT_BYTES_PER_PARAM[x])
    attn_b, _, head_b, _ = kept_formats(c.spec, w, hardware_row(cap.accelerator))
    need = float(weight_bytes_total(ModelArrays.stack([model_row(c.spec)]), WEIGHT_BYTES_PER_PARAM[w], attn_b,
                                    head_b)[0])
    wl = c.workload
    frac, of = _budget(c, 0)
    budget = f"memory_fraction {frac:g} " + ("of the memory the weights leave" if of == "free" else "of the whole memory")
    on = f"{cap.count} x {cap.accelerator.id} ({format_bytes(cap.accelerator.memory_bytes)} each)"
    if c.space.concurrency is not None and held >= 1:
        return DoesNotFitError(
            f"concurrency = {c.space.concurrency:,}: {on} can hold at most {held:,} sequences of {wl.isl:g}+{wl.osl:g} "
            f"tokens with any split ({budget}). Fix: concurrency <= {held:,}, more accelerators, or a larger "
            "memory_fraction (--memory-fraction)")
    return DoesNotFitError(
        f"{c.spec.id} in {w} needs {format_bytes(need)} of weights plus KV cache for {wl.isl:g}+{wl.osl:g} tokens; "
        f"{on} cannot hold it with any split ({budget}). Fix: more accelerators, lower-precision weights, a "
        "shorter context or a larger memory_fraction (--memory-fraction)")


def evaluate_deployment(deployment: Deployment | Mapping[str, Any], catalog: Catalog | None = None) -> Evaluation:
    """Evaluate one deployment; unset choices are searched for the lowest cost (throughput when
    unpriced) that meets the latency limits. When no candidate meets them, the lowest-TPOT
    point that fits is returned with ``performance.slo_met = False`` and a note."""
    d = deployment if isinstance(deployment, Deployment) else parse_input(Deployment, dict(deployment))
    cat = catalog or load_catalog()
    spec = cat.model(d.model)
    cap = capacity_for(cat, d)
    c = build(cat, spec, d, [cap], search_space(d))
    if not c.masks["fits"].any():
        held = 0
        if d.concurrency is not None:  # the most any split holds at the searched concurrencies
            free = build(cat, spec, d, [cap], dataclasses.replace(search_space(d), concurrency=None))
            most = (np.asarray(free.point.max_concurrency, float)
                    * np.asarray(free.inputs.cfg.replicas, float)[:, None])[free.pair_config]
            held = int(np.max(np.where(free.masks["fits"], most, 0.0), initial=0.0))
        raise _does_not_fit(c, cap, held)
    idx = best(c, feasible(c))
    notes: tuple[str, ...] = ()
    if idx is None:
        tpot = np.where(c.masks["fits"], c.point.tpot_s[c.pair_config], np.inf)
        p, g = np.unravel_index(int(np.argmin(tpot)), tpot.shape)
        idx = (int(p), int(g))
        notes = ("no candidate meets the latency limits: the lowest-TPOT point that fits is shown",)
    return evaluation_at(c, idx[0], idx[1], how_chosen(d, spec, d.weights is not None), notes)


def pinned(ev: Evaluation, **overrides: Any) -> Deployment:
    """The deployment an evaluation describes with every choice fixed: evaluating it again
    gives the same figures (how ``plan --explain``, ``cost`` and the web reproduce a plan row)."""
    lay = ev.deployment
    fields: dict[str, Any] = ev.workload.model_dump()
    if lay.paid_as == "rented":
        fields.update(offer=lay.capacity, pricing=lay.pricing)
        if ev.energy.grid_basis == "given":
            fields["grid"] = ev.energy.grid
    elif lay.paid_as == "owned":
        fields.update(own=True, grid=ev.energy.grid, accelerator=lay.accelerator, count=lay.accelerators_per_instance)
        what = lay.capacity.removeprefix("own:")
        if what != lay.accelerator:
            fields["system"] = what
    else:
        fields.update(accelerator=lay.accelerator, count=lay.accelerators_per_instance, grid=ev.energy.grid)
    fields.update(tp=lay.tp, pp=lay.pp, ep=lay.ep, dp_attention=lay.dp_attention, weights=lay.weights, kv=lay.kv,
                  stack=lay.stack, concurrency=lay.concurrency_per_instance, fidelity=lay.fidelity,
                  disaggregated=lay.disaggregated, speculative=lay.speculative,
                  draft_tokens=lay.draft_tokens or None, acceptance_rate=lay.acceptance_rate,
                  memory_fraction=lay.memory_fraction, kv_reserve=lay.kv_reserve)
    if lay.server_utilization != 1.0:  # the share the row's throughput carries, stated again
        fields["server_utilization"] = lay.server_utilization
    if ev.sovereignty is not None:
        fields.update(sovereignty=ev.sovereignty.preset, date=ev.sovereignty.date,
                      buyer_country=ev.sovereignty.buyer_country)
    if ev.energy.pue_basis == "given":
        fields["pue"] = ev.energy.pue
    fields.update(overrides)
    return Deployment.model_validate(fields, strict=False)
