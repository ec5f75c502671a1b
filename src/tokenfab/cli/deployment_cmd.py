"""`tokenfab estimate | cost | energy`: one deployment through the one evaluation (rendering only)."""

from __future__ import annotations

from rich.table import Table

from ..deployment.cost_report import CostQuestion, CostReport
from ..deployment.spec import Deployment
from .options import CatalogDir, Json, from_model
from .output import console, load, print_json, warn_stale
from .recipe_cmd import OutOpt, RecipeOpt, check_flags, emit
from .render import evaluation


@from_model(Deployment)
def estimate_cmd(d: Deployment, recipe: RecipeOpt = None, out: OutOpt = None, catalog: CatalogDir = None,
                 json_out: Json = False) -> None:
    """Throughput, TTFT and TPOT of MODEL on an offer or N accelerators, with the split chosen."""
    from .. import estimate

    check_flags(recipe, out)
    cat = load(catalog)
    ev = estimate(d, catalog=cat)
    warn_stale([ev])
    if recipe is not None:
        emit(ev, recipe, out, cat, json_out)
    elif json_out:
        print_json(ev.to_dict())
    else:
        evaluation(ev, ("performance", "money"))


@from_model(Deployment)
def energy_cmd(d: Deployment, catalog: CatalogDir = None, json_out: Json = False) -> None:
    """Joules per output token, facility power and gCO2e per token of one deployment."""
    from .. import energy

    ev = energy(d, catalog=load(catalog))
    warn_stale([ev])
    if json_out:
        print_json(ev.to_dict())
    else:
        evaluation(ev, ("performance", "energy"))


@from_model(CostQuestion)
def cost_cmd(q: CostQuestion, catalog: CatalogDir = None, json_out: Json = False) -> None:
    """$/M output and input tokens for a rented offer or owned accelerators (TCO), with break-evens."""
    from .. import cost

    r = cost(q, catalog=load(catalog))
    warn_stale([r.evaluation])
    if json_out:
        print_json(r.to_dict())
        return
    evaluation(r.evaluation, ("money", "energy", "sovereignty"))
    _extras(r)


def _extras(r: CostReport) -> None:
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    if r.debt_breakeven_usd_per_accel_hour is not None:
        t.add_row("GPU debt break-even", f"rent must be >= ${r.debt_breakeven_usd_per_accel_hour:.2f}/accel-h "
                  "to service the debt at this utilization")
    o = r.own_vs_rent
    if o is not None:
        today = "never (buying does not pay back)" if o.breakeven_months is None else f"{o.breakeven_months:.1f} months"
        obs = ("never within 10 years" if o.breakeven_months_with_obsolescence is None
               else f"{o.breakeven_months_with_obsolescence:g} months")
        t.add_row("own vs rent", f"vs {o.offer} at ${o.rent_usd_per_accel_hour:.3f}/accel-h: pays back in {today} at "
                  f"today's rent; {obs} if rents halve every {o.rental_value_halving_years:g} years")
        if o.reason:
            t.add_row("", o.reason)
    e = r.egress
    if e is not None:
        if e.note:
            t.add_row("egress", e.note)
        if e.monthly_egress_cost is not None:
            t.add_row("egress per month", f"{e.monthly_egress_cost:,.2f} {e.currency}")
        if e.exit_cost is not None:
            t.add_row("exit cost", f"{e.exit_cost:,.2f} {e.currency} ({e.exit_rule})")
    if t.row_count:
        console.print(t)
