"""Text renderings of results shared by several commands (no figures computed here)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from ..deployment.result import Assumption, Evaluation
from ..planner.explain import Explanation
from ..units import format_bytes, format_capacity
from .output import console, money, note, num


def _row(t: Table, key: str, value: str) -> None:
    """A table row whose value is text, never rich markup (sources may contain brackets)."""
    t.add_row(key, escape(value))


def headline(ev: Evaluation) -> str:
    d, p = ev.deployment, ev.performance
    idle = f", {d.idle_accelerators_per_instance} idle" if d.idle_accelerators_per_instance else ""
    return (f"{ev.model} on {d.instances} x {d.accelerators_per_instance} x {d.accelerator}{idle} "
            f"(tp={d.tp} pp={d.pp} ep={d.ep} x{d.replicas_per_instance}), {d.weights} weights / {d.kv} KV, {d.stack}: "
            f"{p.throughput_output_tok_per_s:,.0f} output tok/s per instance, mean TPOT {p.tpot_s * 1e3:.1f} ms"
            + speculation(ev))


def speculation(ev: Evaluation) -> str:
    """', speculative mtp: 1 drafted, 1.85 tokens/step' when the deployment speculates, else ''."""
    d = ev.deployment
    if d.speculative == "off":
        return ""
    return (f", speculative {d.speculative}: {d.draft_tokens} drafted at {d.acceptance_rate:g} acceptance, "
            f"{d.tokens_per_step:.2f} tokens/step")


def choices(ev: Evaluation) -> None:
    searched = [f"{c.field}={c.value}" for c in ev.choices if c.how.startswith(("searched", "default"))]
    if searched:
        note("chosen by the search (as plan chooses): " + ", ".join(searched))
    for n in ev.notes:
        console.print(f"[yellow]note:[/yellow] {n}", highlight=False)


def assumptions(used: tuple[Assumption, ...]) -> None:
    for a in used:
        dated = f"; {a.notes}" if a.name.startswith("fx ") and a.notes else ""  # which rate, for which price date
        console.print(f"  assumed {a.name} = {a.value} ({a.kind}{dated}; {a.source})", style="dim", highlight=False,
                      markup=False)


def span(low: float | None, high: float | None, fmt: str, scale: float = 1.0) -> str:
    """' (80 % range LOW-HIGH)' for a figure with an interval, '' for one without (or where both
    ends print the same, e.g. $/month of one instance at a fixed utilization)."""
    if low is None or high is None or format(low * scale, fmt) == format(high * scale, fmt):
        return ""
    return f" (80 % range {format(low * scale, fmt)}-{format(high * scale, fmt)})"


def performance_rows(t: Table, ev: Evaluation) -> None:
    p, d, w = ev.performance, ev.deployment, ev.workload
    lim = "" if p.tpot_limit_s is None else (
        f"; p99 limits TTFT {p.ttft_limit_s:g} s, TPOT {p.tpot_limit_s * 1e3:g} ms "
        + ("[met]" if p.slo_met else "[NOT met at any concurrency: lowest-TPOT point shown]"))
    spread = f" (output lengths vary: std/mean {w.osl_cv:g})" if w.osl_cv else ""
    _row(t, "workload", f"{w.isl:g} in / {w.osl:g} out{spread}, scenario {w.scenario}{lim}")
    _row(t, "throughput", f"{p.throughput_output_tok_per_s:,.1f} output tok/s per instance"
              f"{span(p.throughput_output_tok_per_s_low, p.throughput_output_tok_per_s_high, ',.0f')} "
              f"({p.throughput_per_accelerator_tok_per_s:,.1f} per accelerator paid)"
              + (f"; {d.server_utilization:.2f} of the capacity at the limits, what a server under random arrivals "
                 "carries" if d.server_utilization != 1.0 else ""))
    _row(t, "latency (mean)", f"TTFT {p.ttft_s * 1e3:,.0f} ms{span(p.ttft_s_low, p.ttft_s_high, ',.0f', 1e3)}, "
              f"TPOT {p.tpot_s * 1e3:.1f} ms{span(p.tpot_s_low, p.tpot_s_high, '.1f', 1e3)} "
              f"({p.output_tok_per_s_per_user:,.1f} tok/s per user); p99 approx. TTFT {p.ttft_p99_s * 1e3:,.0f} ms, "
              f"TPOT {p.tpot_p99_s * 1e3:.1f} ms")
    _row(t, "concurrency", f"{d.concurrency_per_instance:,} requests per instance ({d.concurrency_per_replica:,.4g} "
              f"per replica; at most {p.max_concurrency_per_replica:,} fit)")
    _row(t, "memory/device", f"{format_bytes(p.memory_per_device_bytes)} of {format_capacity(p.memory_capacity_bytes)} "
              f"(weights {format_bytes(p.weights_per_device_bytes)}; {d.stack} budget {d.memory_fraction:g} of "
              + ("the memory the weights leave, for the KV cache; " if d.memory_fraction_of == "free"
                 else "the whole memory, for weights and KV cache; ")
              + ("each sequence reserves its whole request)" if d.kv_reserve == "request"
                 else "each sequence holds its current context)"))
    _row(t, "bound", f"{p.bound} (MFU {p.mfu:.0%}, MBU {p.mbu:.0%}); time per step "
              + "  ".join(f"{k} {v:.0%}" for k, v in p.time_shares.items()))
    _row(t, "fidelity", d.fidelity)
    a = p.accuracy
    _row(t, "accuracy", "no measured spread for this fidelity (a bound, not a prediction)" if a is None else
         f"{'VALIDATED' if a.validated else 'UNVALIDATED'} class {a.accuracy_class}: 80 % of measured results fall "
         f"within {a.ratio_low:.2f}-{a.ratio_high:.2f} x the estimate ({a.basis})")


def money_rows(t: Table, ev: Evaluation) -> None:
    m, d = ev.money, ev.deployment
    if not m.priced:
        _row(t, "money", f"not priced: {m.unpriced_reason}")
        return
    if m.price is not None:
        pr = m.price
        paid = (f"= ${pr.list_usd_per_accel_hour:.3f} list, less {pr.discount_frac:.0%} ({pr.discount_basis}) "
                f"= ${pr.usd_per_accel_hour:.3f}" if pr.discount_frac and pr.list_usd_per_accel_hour
                else f"= ${pr.usd_per_accel_hour:.3f}")
        _row(t, "price", f"{d.capacity} ({d.provider}, {d.region}), {pr.pricing}: {pr.value:g} {pr.currency}/accel-h "
                  f"{paid} (as of {pr.as_of}, {pr.kind}; {pr.source})")
    if m.ownership is not None:
        o = m.ownership
        _row(t, "ownership /accel-h", f"${o.total:.3f} = capital {o.capital:.3f} + energy {o.energy:.3f} + "
                  f"colocation {o.colocation:.3f} + staff {o.staff:.3f} + overhead {o.overhead:.3f}")
        _row(t, "capex", f"${o.capex_usd_per_accel:,.0f} per accelerator ({o.capex_basis})")
        _row(t, "electricity", f"${o.electricity_usd_per_kwh:.4f}/kWh ({o.electricity_basis})")
    _row(t, "deployment", f"${m.usd_per_hour or 0:,.2f}/h, ${m.usd_per_month or 0:,.0f}/month"
              f"{span(m.usd_per_month_low, m.usd_per_month_high, ',.0f')}; serves "
              f"{m.demand_output_tok_per_s:,.1f} output tok/s at utilization {m.utilization:.0%}")
    _row(t, "$/M output tokens", f"{money(m.usd_per_mtok_output)}"
              f"{span(m.usd_per_mtok_output_low, m.usd_per_mtok_output_high, '.4g')} (all serving cost per output token)")
    if ev.risk is not None:
        r = ev.risk
        _row(t, f"at risk {r.risk}", f"${money(r.usd_per_mtok_output)}/M output tokens, ${r.usd_per_month or 0:,.0f}/month "
                  f"if throughput comes in at {r.throughput_ratio:.2f} x the estimate "
                  f"({r.throughput_output_tok_per_s:,.0f} tok/s per instance)")
    _row(t, "priced like an API", f"${money(m.usd_per_mtok_input_prefill_share)}/M input tokens (prefill "
              f"{ev.performance.prefill_time_share:.0%} of the time) + ${money(m.usd_per_mtok_output_decode_share)}/M "
              "output tokens")


def energy_rows(t: Table, ev: Evaluation) -> None:
    e = ev.energy
    _row(t, "PUE", f"{e.pue:g} ({e.pue_basis})")
    if e.j_per_output_token is None:
        _row(t, "energy", f"not available: {e.unavailable_reason}")
        return
    _row(t, "power", f"{(e.it_power_w or 0) / 1e3:,.2f} kW IT, {(e.facility_power_w or 0) / 1e3:,.2f} kW facility")
    _row(t, "energy", f"{e.j_per_output_token:.3f} J per output token"
              f"{span(e.j_per_output_token_low, e.j_per_output_token_high, '.3f')} "
              f"({num(e.j_per_output_token_it, '.3f')} J IT); "
              f"{num(e.kwh_per_mtok, '.3f')} kWh per M output tokens")
    if e.gco2e_per_1k_tok is None:
        _row(t, "carbon", f"not available: {e.carbon_reason}")
    else:
        _row(t, "carbon", f"{e.gco2e_per_1k_tok:.4f} gCO2e per 1k output tokens"
                  f"{span(e.gco2e_per_1k_tok_low, e.gco2e_per_1k_tok_high, '.4f')} on grid {e.grid} "
                  f"({e.grid_gco2e_per_kwh:g} g/kWh {e.grid_carbon_basis}, {e.grid_year}; {e.grid_basis}) + embodied "
                  f"{num(e.embodied_gco2e_per_1k_tok, '.4f')}")
    if e.water_l_per_mtok is not None:
        _row(t, "water", f"{e.water_l_per_mtok:.3f} L on site per M output tokens (WUE {e.wue_l_per_kwh:g} L/kWh IT; "
                  f"{e.wue_basis})")


def sovereignty_rows(t: Table, ev: Evaluation) -> None:
    s = ev.sovereignty
    if s is not None:
        _row(t, "sovereignty", f"{s.preset}: {'pass' if s.passes else 'FAIL'} (SEAL~{s.seal_estimate}); "
                  + "; ".join(s.reasons))


def evaluation(ev: Evaluation, sections: tuple[str, ...] = ("performance", "money", "energy", "sovereignty")) -> None:
    console.print(headline(ev), highlight=False)
    choices(ev)
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    fns = {"performance": performance_rows, "money": money_rows, "energy": energy_rows, "sovereignty": sovereignty_rows}
    for s in sections:
        fns[s](t, ev)
    console.print(t)
    assumptions(ev.assumptions)


def explanation(ex: Explanation) -> None:
    ev = ex.evaluation
    console.print(f"#{ex.rank}:", highlight=False)
    evaluation(ev)
    rl = ex.roofline
    console.print(f"roofline ({rl.accelerator}, {rl.dtype}): ridge {rl.ridge_flop_per_byte:.0f} FLOP/byte; prefill "
                  f"{rl.prefill.operational_intensity_flop_per_byte:.0f}, decode "
                  f"{rl.decode.operational_intensity_flop_per_byte:.1f} FLOP/byte", highlight=False)
    for k, v in ex.constraints.items():
        console.print(f"  passes {k}: {v}", highlight=False)
