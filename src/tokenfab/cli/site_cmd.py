"""`tokenfab gigawatt`: a site in accelerators and tokens/day, or the power a traffic needs."""

from __future__ import annotations

from ..deployment.site import SiteQuestion
from .options import CatalogDir, Json, from_model
from .output import console, load, print_json
from .render import assumptions, headline, span


@from_model(SiteQuestion, exclude=("offer", "pricing", "own", "system", "capex_usd_per_accel", "years",
                                   "residual_frac", "electricity_usd_per_kwh", "colocation_usd_per_kw_month",
                                   "network_share_frac", "ops_overhead_frac", "cost_of_capital_frac",
                                   "staff_usd_per_accel_year"))
def gigawatt_cmd(q: SiteQuestion, catalog: CatalogDir = None, json_out: Json = False) -> None:
    """What a site of P MW (or a catalog facility) holds and produces, or the MW a traffic needs."""
    from .. import gigawatt

    r = gigawatt(q, catalog=load(catalog))
    if json_out:
        print_json(r.to_dict())
        return
    console.print(headline(r.evaluation), highlight=False)
    if r.ranking:
        console.print("chips ranked by output tokens per joule (IT): " + ", ".join(
            f"{x.accelerator} {x.output_tok_per_joule_it:.2f}" for x in r.ranking[:6]), highlight=False)
    console.print(f"per accelerator: {r.it_w_per_accelerator:,.0f} W IT = {r.system_power_w:,.0f} W / "
                  f"{r.accelerators_per_system} ({r.system_power_basis}) x (1 + {r.cluster_overhead_frac:g} network and "
                  f"storage); PUE {r.pue:g} ({r.pue_basis})", highlight=False)
    s = r.site
    if s is not None:
        where = f"facility {r.facility}: " if r.facility else ""
        console.print(f"{where}{s.grid_power_w / 1e6:,.0f} MW grid = {s.it_power_w / 1e6:,.0f} MW IT ({s.power_basis} figure "
                      f"given) -> {s.accelerators:,} x {r.evaluation.deployment.accelerator} in {s.systems:,} systems -> "
                      f"{s.tokens_per_day / 1e12:,.3f} trillion output tokens/day"
                      f"{span(s.tokens_per_day_low, s.tokens_per_day_high, ',.3f', 1e-12)} at utilization {r.utilization:.0%}",
                      highlight=False)
        if r.announced_accelerators:
            at = (f" for {r.announced_accelerators_power_w / 1e6:,.0f} MW" if r.announced_accelerators_power_w
                  else " (no published power figure goes with this count)")
            console.print(f"announced: {r.announced_accelerators:,} accelerators{at}", highlight=False)
        if s.revenue_usd_per_day is not None:
            console.print(f"revenue ${s.revenue_usd_per_day:,.0f}/day at ${q.price_usd_per_mtok:g}/M output tokens",
                          highlight=False)
    f = r.for_traffic
    if f is not None:
        console.print(f"{f.demand_output_tok_per_s:,.0f} output tok/s need {f.accelerators:,} accelerators"
                      f"{span(f.accelerators_low, f.accelerators_high, ',.0f')}, {f.it_power_w / 1e6:,.2f} MW IT, "
                      f"{f.grid_power_w / 1e6:,.2f} MW of grid power"
                      f"{span(f.grid_power_w_low, f.grid_power_w_high, ',.2f', 1e-6)}", highlight=False)
    assumptions(r.assumptions)
