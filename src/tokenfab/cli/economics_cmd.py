"""`tokenfab cost | energy | sovereignty | gigawatt | compare` (rendering only)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from . import options as O
from .output import console, print_json, report_overrides


def _catalog(path):
    from ..catalog import load_catalog

    cat = load_catalog(path)
    report_overrides(cat)
    return cat


def _assumption_lines(used: list[dict[str, Any]]) -> None:
    for a in used:
        value = a["value"]
        if a.get("currency"):  # a grid price: say what it is a price of
            value = f"{value} {a['currency']}/kWh ({a.get('price_year')}; {a.get('basis') or 'basis not stated'})"
        console.print(f"  assumed {a['name']} = {value} ({a.get('kind', '?')}; {a.get('source', '')})", style="dim",
                      highlight=False, markup=False)


def _headline(e: dict[str, Any]) -> str:
    return (f"{e['model']} on {e['count']} x {e['accelerator']} (tp={e['tp']} pp={e['pp']} ep={e['ep']} x{e['replicas']}), "
            f"{e['weights']}, {e['throughput_output_tok_per_s']:,.0f} output tok/s, TPOT {e['tpot_s'] * 1e3:.1f} ms")


def cost_cmd(
    model: O.Model, isl: O.Isl, osl: O.Osl, accelerator: O.Accelerator = None, count: O.Count = None,
    tp: O.Tp = None, pp: O.Pp = None, ep: O.Ep = None, weights: O.Weights = None, kv: O.Kv = None,
    concurrency: O.Concurrency = None, scenario: O.Scenario = None, ttft_max_s: O.TtftMax = None,
    tpot_max_s: O.TpotMax = None, stack: O.Stack = None, fidelity: O.Fidelity = None,
    offer: Annotated[Optional[str], typer.Option("--offer", help="Rent this offer (tokenfab catalog list offers).")] = None,
    pricing: Annotated[Optional[str], typer.Option("--pricing", help="on_demand, reserved_1y, reserved_3y or spot.")] = None,
    own: Annotated[bool, typer.Option("--own", help="Buy the accelerators (TCO); with --offer also gives break-even.")] = False,
    utilization: Annotated[Optional[float], typer.Option("--utilization", help="Share of hours serving at this load, (0, 1].")] = None,
    capex_usd_per_accel: Annotated[Optional[float], typer.Option("--capex-usd-per-accel")] = None,
    years: Annotated[Optional[float], typer.Option("--years", help="Amortisation period.")] = None,
    residual_frac: Annotated[Optional[float], typer.Option("--residual-frac")] = None,
    electricity_usd_per_kwh: Annotated[Optional[float], typer.Option("--electricity-usd-per-kwh")] = None,
    grid: Annotated[Optional[str], typer.Option("--grid", help="Grid id for the electricity price.")] = None,
    pue: Annotated[Optional[float], typer.Option("--pue")] = None,
    colocation_usd_per_kw_month: Annotated[Optional[float], typer.Option("--colocation-usd-per-kw-month")] = None,
    network_share_frac: Annotated[Optional[float], typer.Option("--network-share-frac")] = None,
    ops_overhead_frac: Annotated[Optional[float], typer.Option("--ops-overhead-frac")] = None,
    cost_of_capital_frac: Annotated[Optional[float], typer.Option("--cost-of-capital")] = None,
    staff_usd_per_accel_year: Annotated[Optional[float], typer.Option("--staff-usd-per-accel-year")] = None,
    rental_value_halving_years: Annotated[Optional[float], typer.Option("--rental-halving-years", help="Obsolescence: years for rental prices to halve.")] = None,
    egress_gb_per_month: Annotated[Optional[float], typer.Option("--egress-gb-per-month")] = None,
    exit_volume_tb: Annotated[Optional[float], typer.Option("--exit-tb", help="One-off data volume to move out [TB].")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="Evaluation date (Data Act rules), YYYY-MM-DD.")] = None,
    catalog: O.CatalogDir = None, json_out: O.Json = False,
) -> None:
    """$/M output and input tokens for a rented offer or owned accelerators (TCO)."""
    from ..costing import cost

    kw = O.deployment_kwargs(
        model=model, isl=isl, osl=osl, accelerator=accelerator, count=count, tp=tp, pp=pp, ep=ep, weights=weights,
        kv=kv, concurrency=concurrency, scenario=scenario, ttft_max_s=ttft_max_s, tpot_max_s=tpot_max_s, stack=stack,
        fidelity=fidelity, offer=offer, pricing=pricing, own=own or None, utilization=utilization,
        capex_usd_per_accel=capex_usd_per_accel, years=years, residual_frac=residual_frac,
        electricity_usd_per_kwh=electricity_usd_per_kwh, grid=grid, pue=pue,
        colocation_usd_per_kw_month=colocation_usd_per_kw_month, network_share_frac=network_share_frac,
        ops_overhead_frac=ops_overhead_frac, cost_of_capital_frac=cost_of_capital_frac,
        staff_usd_per_accel_year=staff_usd_per_accel_year, rental_value_halving_years=rental_value_halving_years,
        egress_gb_per_month=egress_gb_per_month, exit_volume_tb=exit_volume_tb, date=date,
    )
    r = cost(_catalog(catalog), **kw)
    if json_out:
        print_json(r)
        return
    console.print(_headline(r["estimate"]), highlight=False)
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    if "offer" in r:
        t.add_row("offer", f"{r['offer']} ({r['provider']}, {r['region']}), {r['pricing']}: "
                  f"{r['price_per_accel_hour']:g} {r['currency']}/accel-h = ${r['price_usd_per_accel_hour']:.3f} "
                  f"(as of {r['price_as_of']}, {r['price_kind']})")
    if "ownership" in r:
        o = r["ownership"]
        t.add_row("ownership /accel-h", f"${o['total']:.3f} = capital {o['capital']:.3f} + energy {o['energy']:.3f} + "
                  f"colocation {o['colocation']:.3f} + staff {o['staff']:.3f} + overhead {o['overhead']:.3f}")
        t.add_row("GPU debt break-even", f"rent must be >= ${r['debt_breakeven_usd_per_accel_hour']:.2f}/accel-h to service the debt")
        if "breakeven_months" in r:
            t.add_row("own vs rent", f"buying pays back in {r['breakeven_months']:.1f} months at today's rent; "
                      f"{r['breakeven_months_with_obsolescence']:g} months if rents halve on the obsolescence schedule")
    t.add_row("deployment", f"${r['cost_usd_per_hour']:,.2f}/h, ${r['cost_usd_per_month']:,.0f}/month at utilization {r['utilization']:g}")
    t.add_row("$/M output tokens", f"{r['usd_per_mtok_output']:.3f} (decode share); blended {r['usd_per_mtok_blended']:.3f}")
    t.add_row("$/M input tokens", f"{r['usd_per_mtok_input']:.3f} (prefill is {r['prefill_time_share']:.0%} of the time)")
    if "egress" in r:
        eg = r["egress"]
        for k in ("monthly_egress_cost", "exit_cost"):
            if k in eg:
                t.add_row(k.replace("_", " "), f"{eg[k]:,.2f} {eg['currency']}")
        if "exit_rule" in eg:
            t.add_row("exit rule", eg["exit_rule"])
    console.print(t)
    _assumption_lines(r["assumptions"])


def energy_cmd(
    model: O.Model, isl: O.Isl, osl: O.Osl, accelerator: O.Accelerator = None, count: O.Count = None,
    tp: O.Tp = None, pp: O.Pp = None, ep: O.Ep = None, weights: O.Weights = None, kv: O.Kv = None,
    concurrency: O.Concurrency = None, scenario: O.Scenario = None, ttft_max_s: O.TtftMax = None,
    tpot_max_s: O.TpotMax = None, stack: O.Stack = None, fidelity: O.Fidelity = None,
    offer: Annotated[Optional[str], typer.Option("--offer", help="Offer (its region picks the grid and PUE).")] = None,
    grid: Annotated[Optional[str], typer.Option("--grid", help="Grid id (tokenfab catalog list grids).")] = None,
    pue: Annotated[Optional[float], typer.Option("--pue")] = None,
    utilization: Annotated[Optional[float], typer.Option("--utilization", help="(0, 1].")] = None,
    catalog: O.CatalogDir = None, json_out: O.Json = False,
) -> None:
    """Joules per output token, kWh and gCO2e per token on a grid, facility power."""
    from ..costing import energy

    kw = O.deployment_kwargs(
        model=model, isl=isl, osl=osl, accelerator=accelerator, count=count, tp=tp, pp=pp, ep=ep, weights=weights,
        kv=kv, concurrency=concurrency, scenario=scenario, ttft_max_s=ttft_max_s, tpot_max_s=tpot_max_s, stack=stack,
        fidelity=fidelity, offer=offer, grid=grid, pue=pue, utilization=utilization,
    )
    r = energy(_catalog(catalog), **kw)
    if json_out:
        print_json(r)
        return
    console.print(_headline(r["estimate"]), highlight=False)
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("power", f"{r['it_power_w'] / 1e3:,.2f} kW IT, {r['facility_power_w'] / 1e3:,.2f} kW facility (PUE {r['pue']:g})")
    t.add_row("energy", f"{r['j_per_output_token']:.3f} J per output token ({r['j_per_output_token_it']:.3f} J IT); "
              f"{r['kwh_per_mtok']:.3f} kWh per M tokens")
    t.add_row("carbon", f"{r['gco2e_per_1k_tokens']:.4f} gCO2e per 1k tokens on {r['grid']} "
              f"({r['grid_gco2e_per_kwh']:g} g/kWh, {r['grid_year']}) + embodied {r['embodied_gco2e_per_1k_tokens']:.4f}")
    console.print(t)
    _assumption_lines(r["assumptions"])


def sovereignty_cmd(
    subject: Annotated[str, typer.Argument(metavar="OFFER_OR_PROVIDER", help="An offer id or a provider id.")],
    preset: Annotated[str, typer.Option("--preset", help="none, eu-residency, eu-jurisdiction or secnumcloud.")] = "eu-jurisdiction",
    date: Annotated[Optional[str], typer.Option("--date", help="Evaluation date YYYY-MM-DD (default today).")] = None,
    buyer_country: Annotated[Optional[str], typer.Option("--buyer-country", help="ISO code, for export controls.")] = None,
    catalog: O.CatalogDir = None, json_out: O.Json = False,
) -> None:
    """Jurisdiction, CLOUD Act exposure, data location, certifications, export control and
    supply chain of an offer or provider, and whether it passes a preset (with reasons)."""
    from ..costing import sovereignty

    rep = sovereignty(_catalog(catalog), subject=subject, preset=preset, date=date, buyer_country=buyer_country)
    if json_out:
        print_json(rep.to_dict())
        return
    badge = "[green]PASSES[/green]" if rep.passes else "[red]FAILS[/red]"
    console.print(f"{rep.subject}: {badge} preset '{rep.preset}' on {rep.date}")
    for reason in rep.reasons:
        console.print(f"  - {reason}", highlight=False)
    f = rep.facts
    console.print(f"  controlling country {f['controlling_country']}, US CLOUD Act exposure: {f['us_cloud_act_exposed']}, "
                  f"data in {', '.join(f['data_location'])} (EU: {f['data_in_eu']})", highlight=False)
    console.print(f"  SEAL {rep.seal_estimate} ({rep.seal_rule})", highlight=False)
    for o in f["eu_csf_objectives"]:
        lvl = "-" if o["seal_estimate"] is None else o["seal_estimate"]
        console.print(f"    {o['id']} {o['objective']}: {lvl}  [dim]({o['rule']})[/dim]", highlight=False)
    console.print(f"  export control: {f['export_control']['detail']}", highlight=False)
    if "supply_chain" in f:
        sc = f["supply_chain"]
        console.print(f"  supply chain: {sc['vendor']}, foundry {sc['foundry']} ({sc['foundry_country']}), "
                      f"HBM {sc['hbm_supplier'] or 'not published'}, packaging {sc['packaging'] or 'not published'}",
                      highlight=False)


def gigawatt_cmd(
    model: O.Model, isl: O.Isl, osl: O.Osl,
    mw: Annotated[Optional[float], typer.Option("--mw", help="Site power [MW] (grid power unless --it-power).")] = None,
    facility: Annotated[Optional[str], typer.Option("--facility", help="A catalog facility (its power and chips).")] = None,
    accelerator: O.Accelerator = None, count: O.Count = None, weights: O.Weights = None,
    it_power: Annotated[bool, typer.Option("--it-power", help="The MW figure is IT power, not grid power.")] = False,
    tokens_per_day: Annotated[Optional[float], typer.Option("--tokens-per-day", help="Inverse: power for this output.")] = None,
    price_usd_per_mtok: Annotated[Optional[float], typer.Option("--price-usd-per-mtok", help="Revenue per M output tokens.")] = None,
    utilization: Annotated[float, typer.Option("--utilization")] = 1.0,
    pue: Annotated[Optional[float], typer.Option("--pue")] = None,
    catalog: O.CatalogDir = None, json_out: O.Json = False,
) -> None:
    """What a site of P MW produces (accelerators, racks, tokens/day, revenue), or the MW T tokens/day need."""
    from ..costing import gigawatt

    kw = O.deployment_kwargs(model=model, isl=isl, osl=osl, accelerator=accelerator, count=count, weights=weights)
    r = gigawatt(_catalog(catalog), mw=mw, facility=facility, grid_power=not it_power, tokens_per_day=tokens_per_day,
                 price_usd_per_mtok=price_usd_per_mtok, utilization=utilization, pue=pue, **kw)
    if json_out:
        print_json(r)
        return
    console.print(_headline(r["estimate"]), highlight=False)
    if r["ranking"]:
        console.print("chips ranked by output tokens per joule (IT): " + ", ".join(
            f"{x['accelerator']} {x['output_tok_per_joule_it']:.2f}" for x in r["ranking"][:6]), highlight=False)
    if "accelerators" in r:
        console.print(f"{r['mw']:,.0f} MW ({r['power_basis']}) -> {r['it_power_w'] / 1e6:,.0f} MW IT -> "
                      f"{r['accelerators']:,.0f} x {r['accelerator']} in {r['racks']:,.0f} racks -> "
                      f"{r['tokens_per_day'] / 1e12:,.2f} trillion output tokens/day", highlight=False)
        if "revenue_usd_per_day" in r:
            console.print(f"revenue ${r['revenue_usd_per_day']:,.0f}/day at ${price_usd_per_mtok}/M tokens", highlight=False)
    if "for_tokens_per_day" in r:
        n = r["for_tokens_per_day"]
        console.print(f"{n['tokens_per_day']:,.0f} tokens/day need {n['accelerators']:,.0f} accelerators, "
                      f"{n['grid_power_mw']:,.1f} MW of grid power", highlight=False)
    _assumption_lines(r["assumptions"])


def compare_cmd(
    model: O.Model,
    isl: Annotated[float, typer.Option("--isl")] = 1000,
    osl: Annotated[float, typer.Option("--osl")] = 200,
    top: Annotated[int, typer.Option("--top", help="Self-hosted rows to show.")] = 10,
    utilization: Annotated[float, typer.Option("--utilization")] = 1.0,
    catalog: O.CatalogDir = None, json_out: O.Json = False,
) -> None:
    """Self-hosted cost on every offer beside the public API prices for the same model."""
    from ..costing import compare
    from ..errors import InputError

    if not 0 < utilization <= 1:
        raise InputError(f"utilization = {utilization}: must be in (0, 1]")
    if top < 1:
        raise InputError(f"top = {top}: must be >= 1")
    r = compare(_catalog(catalog), model=model, isl=isl, osl=osl, top=top, utilization=utilization)
    if json_out:
        print_json(r)
        return
    t = Table(title=f"{r['model']}, {isl:g} in / {osl:g} out, $ per M tokens (USD)")
    for col in ("kind", "name", "provider", "region", "accelerator", "input", "output", "blended/out"):
        t.add_column(col, justify="right" if col in ("input", "output", "blended/out") else "left")
    for row in r["self_hosted"] + r["apis"]:
        t.add_row(row["kind"], row["name"], row["provider"], row["region"], row["accelerator"],
                  f"{row['usd_per_mtok_input']:.3f}", f"{row['usd_per_mtok_output']:.3f}",
                  f"{row['usd_per_mtok_blended']:.3f}")
    console.print(t)
    console.print(f"{r['self_hosted_evaluated']} offers evaluated, {r['offers_that_do_not_fit']} cannot hold the model in one "
                  f"instance. {r['note']}", highlight=False)
