"""What `tokenfab cost` adds to an evaluation: own-vs-rent break-even (today's rent and on the
obsolescence schedule), the GPU-debt break-even rental price, and egress / exit cost under the
EU Data Act. Money figures come from the one evaluation; this module only compares them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field, model_validator

from ..catalog import assumptions as A
from ..catalog.loader import Catalog, load_catalog
from ..economics.cost import HOURS_PER_MONTH
from ..economics.egress import egress_cost, exit_cost
from ..economics.ownership import breakeven_months, breakeven_months_declining_rent, debt_breakeven_usd_per_accel_hour
from ..inputs import ResultModel, parse_input
from .capacity import Policy, rented
from .evaluate import evaluate_deployment
from .result import Evaluation
from .spec import Deployment, discount_map


class CostQuestion(Deployment):
    """A deployment plus what only the cost report needs."""

    rental_value_halving_years: float | None = Field(
        default=None, gt=0.1, le=50, description="Obsolescence: years for rental prices to halve (default: the assumption).")
    egress_gb_per_month: float | None = Field(default=None, ge=0, le=1e9, description="Internet egress per month [GB, decimal].")
    exit_volume_tb: float | None = Field(default=None, ge=0, le=1e6,
                                         description="One-off data volume moved out to switch provider [TB, decimal].")

    @model_validator(mode="after")
    def _paid(self) -> CostQuestion:
        if self.offer is None and not self.own:
            raise ValueError("say how the accelerators are paid for: offer (--offer ID, rent) or own (--own, buy)")
        return self


class OwnVsRent(ResultModel):
    """Buying the deployment's accelerators versus renting the same count on ``offer``."""

    offer: str
    rent_usd_per_accel_hour: float
    upfront_usd: float
    own_running_usd_per_month: float
    rent_usd_per_month: float
    breakeven_months: float | None
    breakeven_months_with_obsolescence: float | None
    rental_value_halving_years: float
    reason: str | None = None  # why a break-even is None


class EgressQuote(ResultModel):
    provider: str
    currency: str
    source: str
    monthly_egress_cost: float | None = None
    exit_cost: float | None = None
    exit_rule: str | None = None
    note: str | None = None


class CostReport(ResultModel):
    evaluation: Evaluation
    own_vs_rent: OwnVsRent | None = None
    debt_breakeven_usd_per_accel_hour: float | None = None
    egress: EgressQuote | None = None


def _none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _own_vs_rent(cat: Catalog, q: CostQuestion, ev: Evaluation) -> OwnVsRent | None:
    own = ev.money.ownership
    if own is None or q.offer is None:
        return None
    offer = cat.offer(q.offer)
    # the offer's price as the evaluation prices rentals (same conversion, same refusal)
    priced = rented(cat, offer, q.pricing, Policy(discounts=discount_map(q.discounts)))
    assert priced.rent is not None
    rent = priced.rent.usd_per_accel_hour
    n, u = ev.deployment.accelerators_total, ev.money.utilization
    upfront = own.capex_usd_per_accel * (1 + own.network_share_frac) * n
    own_m = (own.total - own.capital) * HOURS_PER_MONTH * n
    rent_m = rent * HOURS_PER_MONTH * n * u
    halving = q.rental_value_halving_years or A.number("rental_value_halving_years")
    months = _none(float(breakeven_months(upfront, own_m, rent_m)))
    months_obs = _none(float(breakeven_months_declining_rent(upfront, own_m, rent_m, halving)))
    reason = None
    if months is None:
        reason = "buying never pays back: renting costs less per month than running owned hardware"
    elif months_obs is None:
        reason = f"with rents halving every {halving:g} years, buying does not pay back within 10 years"
    return OwnVsRent(offer=offer.id, rent_usd_per_accel_hour=rent, upfront_usd=upfront, own_running_usd_per_month=own_m,
                     rent_usd_per_month=rent_m, breakeven_months=months, breakeven_months_with_obsolescence=months_obs,
                     rental_value_halving_years=halving, reason=reason)


def _egress(cat: Catalog, q: CostQuestion) -> EgressQuote | None:
    if q.offer is None or (q.egress_gb_per_month is None and q.exit_volume_tb is None):
        return None
    prov = cat.provider(cat.offer(q.offer).provider)
    if prov.egress is None:
        return EgressQuote(provider=prov.id, currency="-", source="-",
                           note=f"{prov.name} publishes no egress tiers in the catalog")
    quote: dict[str, Any] = {}
    if q.egress_gb_per_month is not None:
        quote["monthly_egress_cost"] = egress_cost(q.egress_gb_per_month, prov.egress)
    if q.exit_volume_tb is not None:
        amount, rule = exit_cost(q.exit_volume_tb * 1000.0, prov.egress, q.date or dt.date.today())
        quote.update(exit_cost=amount, exit_rule=rule)
    return EgressQuote(provider=prov.id, currency=prov.egress.currency, source=prov.egress.source, **quote)


def cost_report(question: CostQuestion | Mapping[str, Any], catalog: Catalog | None = None) -> CostReport:
    """$/M tokens of a rented or owned deployment, with break-evens and egress when asked."""
    q = question if isinstance(question, CostQuestion) else parse_input(CostQuestion, dict(question))
    cat = catalog or load_catalog()
    d = Deployment.model_validate(q.model_dump(exclude={"rental_value_halving_years", "egress_gb_per_month",
                                                        "exit_volume_tb"}), strict=False)
    ev = evaluate_deployment(d, cat)
    debt = None
    own = ev.money.ownership
    if own is not None:
        running = own.total - own.capital
        debt = _none(float(debt_breakeven_usd_per_accel_hour(own.capex_usd_per_accel, own.cost_of_capital_frac, own.years,
                                                              running, ev.money.utilization)))
    return CostReport(evaluation=ev, own_vs_rent=_own_vs_rent(cat, q, ev), debt_breakeven_usd_per_accel_hour=debt,
                      egress=_egress(cat, q))
