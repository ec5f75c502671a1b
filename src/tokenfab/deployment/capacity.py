"""Capacity: one way to have an instance of accelerators, with the catalog facts that price
it and place it: a rented offer at a pricing model, an owned system on a grid, or bare
accelerators (performance and energy only). Built once per way; the evaluation then
prices every candidate on it with array arithmetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from ..catalog import assumptions as A
from ..catalog import freshness
from ..catalog.hardware import Accelerator, System
from ..catalog.loader import Catalog
from ..catalog.market import PRICING_MODELS, Discount, Offer
from ..catalog.sites import Grid
from ..economics.siting import PueChoice, WueChoice, choose_grid, choose_pue, choose_wue
from ..errors import InputError, UnknownIdError
from ..policy.sovereignty import SovereigntyReport, assess, assess_owned
from .result import RentalPriceFigures

PaidAs = Literal["rented", "owned", "unpriced"]


@dataclass(frozen=True)
class Policy:
    """The buyer's side of every capacity: the sovereignty question it is assessed against and
    the discounts it negotiated (provider id -> fraction off list prices)."""

    preset: str = "none"
    on: dt.date = field(default_factory=dt.date.today)
    buyer_country: str | None = None
    discounts: tuple[tuple[str, float], ...] = ()


def discount_for(cat: Catalog, provider: str, pricing: str, policy: Policy) -> tuple[float, str | None]:
    """The discount off ``provider``'s list price: the buyer's flag, else the overlay's
    discounts.csv row for that pricing model (or for all), else none."""
    for pid, frac in policy.discounts:
        if pid == provider:
            return frac, "given"
    rows = [d for d in cat.typed("discounts", Discount) if d.provider == provider and d.pricing in (pricing, None)]
    if rows:
        row = min(rows, key=lambda d: d.pricing is None)  # a row for this pricing model wins over an "all" row
        return row.discount_frac, f"discounts.csv {row.id} ({row.source}, {row.as_of})"
    return 0.0, None


def check_discount_providers(cat: Catalog, policy: Policy) -> None:
    """A discount for a provider the catalog does not know is refused (a typo would silently do nothing)."""
    for pid, frac in policy.discounts:
        if not cat.has("providers", pid):
            unknown = UnknownIdError("providers", pid, cat.rows["providers"])
            raise InputError(f"discounts: {pid}={frac:g} names an {unknown}")


@dataclass(frozen=True)
class OwnershipTerms:
    """Everything that prices one owned accelerator-hour except its (utilization-dependent) power."""

    capex_usd_per_accel: float
    capex_basis: str
    years: float
    residual_frac: float
    electricity_usd_per_kwh: float
    electricity_basis: str
    colocation_usd_per_kw_month: float
    network_share_frac: float
    ops_overhead_frac: float
    cost_of_capital_frac: float
    staff_usd_per_accel_year: float


@dataclass(frozen=True)
class Capacity:
    id: str  # offer id, "own:<system>" / "own:<accelerator>", or "<accelerator>" (unpriced)
    paid_as: PaidAs
    provider: str
    region: str
    country: str | None
    accelerator: Accelerator
    count: int
    pricing: str  # pricing model, "owned" or "none"
    pue: PueChoice
    grid: Grid | None
    grid_basis: str
    rent: RentalPriceFigures | None = None
    wue: WueChoice = WueChoice(None, "no published WUE")
    ownership: OwnershipTerms | None = None
    sovereignty: SovereigntyReport | None = None
    unpriced_reason: str | None = None
    assumptions: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()  # figures it relies on that are older than the staleness threshold


def _stale(price: tuple[str, dt.date, str] | None, fx: list[dict[str, Any]], price_date: dt.date | None,
           provider: Any = None, policy: Policy | None = None) -> tuple[str, ...]:
    """The one-line warnings for a capacity: its price, the exchange rate that converted it, and
    (under the secnumcloud preset) the certification it passes on, when older than the thresholds."""
    out = []
    if price is not None:
        out.append(freshness.price_warning(*price))
    for f in fx:
        if price_date is not None and str(f.get("name", "")).startswith("fx "):
            out.append(freshness.fx_warning(str(f["name"]).split()[1].split("->")[0], str(f["as_of"]), price_date))
    if provider is not None and policy is not None and policy.preset == "secnumcloud":
        for c in provider.certifications:
            if c.name == "SecNumCloud":
                out.append(freshness.price_warning(f"SecNumCloud status of {provider.id}" + (f" ({c.offer})" if c.offer else ""),
                                                   c.as_of, "providers.yaml"))
    return tuple(w for w in out if w)


def _basis_warnings(grid_row: Grid | None) -> tuple[str, ...]:
    """A grid without a life-cycle carbon figure: its operational figure stands in, said once."""
    if grid_row is None or grid_row.carbon_gco2e_per_kwh is not None:
        return ()
    value, year, _ = grid_row.carbon()
    return (f"grid {grid_row.id} has no life-cycle carbon figure: its operational figure ({value:g} g/kWh, {year}) is used, "
            "lower than a life-cycle figure would be; add carbon_gco2e_per_kwh in an overlay grids.csv",)


def _pue(cat: Catalog, override: float | None, provider_pue: Any = None, provider_name: str = "",
         region: Any = None) -> PueChoice:
    d = A.cited("pue_default")
    site = region.pue if region is not None else None
    label = f"region {region.id}" if region is not None else "facility"
    return choose_pue(override, site, provider_pue, float(d["value"]), str(d["source"]), provider_name, site_label=label)


def _grid(cat: Catalog, explicit: str | None, country: str | None) -> tuple[Grid | None, str]:
    choice = choose_grid(cat.grid(explicit).id if explicit else None, country, cat.rows["grids"])
    return (cat.grid(choice.grid_id) if choice.grid_id else None), choice.basis


def _fx(cat: Catalog, currency: str, on: dt.date) -> list[dict[str, Any]]:
    """The exchange rate used for a price dated ``on``: the catalog rate nearest that date."""
    if currency == "USD":
        return []
    rate = cat.usd_per_unit(currency, on)
    gap = abs((rate.rate_date - on).days)
    return [{"name": f"fx {currency}->USD", "value": rate.usd_per_unit, "source": rate.source,
             "as_of": str(rate.rate_date), "kind": rate.kind,
             "notes": f"rate of {rate.rate_date} for a price dated {on} ({gap} days apart)"}]


def rented(cat: Catalog, offer: Offer, pricing: str, policy: Policy, pue: float | None = None,
           grid: str | None = None) -> Capacity:
    """An offer at a pricing model; refused in one line when the offer has no such price."""
    price = offer.price_per_accel_hour(pricing)
    if price is None:
        have = [m for m in PRICING_MODELS if offer.price_per_accel_hour(m)]
        raise InputError(f"pricing = {pricing!r}: offer {offer.id} has no such price; it has {', '.join(have)}")
    prov = cat.provider(offer.provider)
    region = prov.region(offer.region)
    country = region.country if region else None
    acc = cat.accelerator(offer.accelerator)
    grid_row, grid_basis = _grid(cat, grid, country)
    pue_choice = _pue(cat, pue, prov.pue, prov.name, region)
    wue_choice = choose_wue(region.wue if region else None, prov.wue, f"region {offer.region}", prov.name)
    used = _fx(cat, offer.currency, offer.as_of) + ([A.cited("pue_default")] if pue_choice.fallback else [])
    warnings = _stale((f"price of offer {offer.id}", offer.as_of, "offers.csv"), used, offer.as_of, prov, policy)
    warnings += _basis_warnings(grid_row)
    if offer.kind_of(f"{pricing}_price_per_accel_hour") == "estimate":  # not a published price: say so beside it
        why = (offer.notes or "no note")[:160]
        warnings += (f"price of offer {offer.id} is an estimate, not a published price ({why}): overlay the "
                     "provider's published price in offers.csv",)
    list_usd = cat.to_usd(price, offer.currency, offer.as_of)
    frac, basis = discount_for(cat, offer.provider, pricing, policy)
    rent = RentalPriceFigures(value=price, currency=offer.currency, pricing=pricing,
                              usd_per_accel_hour=list_usd * (1 - frac), source=offer.source,
                              as_of=str(offer.as_of), kind=offer.kind, list_usd_per_accel_hour=list_usd,
                              discount_frac=frac, discount_basis=basis)
    return Capacity(
        id=offer.id, paid_as="rented", provider=offer.provider, region=offer.region, country=country, accelerator=acc,
        count=offer.accelerator_count, pricing=pricing, pue=pue_choice, grid=grid_row, grid_basis=grid_basis, rent=rent,
        wue=wue_choice,
        sovereignty=assess(prov, policy.preset, policy.on, offer, acc, policy.buyer_country), assumptions=tuple(used),
        warnings=warnings)


def purchase_system(cat: Catalog, accelerator: Accelerator, system: str | None) -> System | None:
    """The catalog system whose price an owned deployment pays: the given one, else the first
    priced system holding the accelerator."""
    if system is not None:
        sysm = cat.system(system)
        if sysm.accelerator != accelerator.id:
            raise InputError(f"system = {sysm.id!r} holds {sysm.accelerator}, not {accelerator.id}; "
                             "pick a system with that accelerator or drop accelerator")
        return sysm
    return next((s for s in cat.typed("systems", System)
                 if s.accelerator == accelerator.id and (s.list_price_usd or s.street_price_usd)), None)


def _electricity(cat: Catalog, given: float | None, grid_row: Grid | None) -> tuple[float, str, list[dict[str, Any]]]:
    if given is not None:
        return given, "given", []
    if grid_row is None or grid_row.electricity_price_per_kwh is None or grid_row.price_currency is None:
        priced = ", ".join(g.id for g in cat.typed("grids", Grid) if g.electricity_price_per_kwh)
        what = f"grid {grid_row.id} has no electricity price" if grid_row else "no grid given"
        raise InputError(f"owning needs an electricity price: {what}. Fix: pass electricity_usd_per_kwh "
                         f"(--electricity-usd-per-kwh) or a grid with a price ({priced})")
    usd = cat.to_usd(grid_row.electricity_price_per_kwh, grid_row.price_currency, grid_row.as_of)
    basis = (f"{grid_row.electricity_price_per_kwh} {grid_row.price_currency}/kWh ({grid_row.price_year}; "
             f"{grid_row.price_basis or 'basis not stated'}; {grid_row.source})")
    return usd, basis, _fx(cat, grid_row.price_currency, grid_row.as_of)


def _pick(name: str, given: float | None, used: list[dict[str, Any]]) -> float:
    if given is not None:
        return given
    used.append(A.cited(name))
    return A.number(name)


def ownership_terms(cat: Catalog, acc: Accelerator, system: System | None, grid_row: Grid | None,
                    o: Any) -> tuple[OwnershipTerms, list[dict[str, Any]]]:
    """Ownership terms from the deployment's overrides ``o`` (fields of ``Deployment``), the
    system's price and the grid's electricity price; every default used is returned cited."""
    used: list[dict[str, Any]] = []
    if o.capex_usd_per_accel is not None:
        capex, capex_basis = float(o.capex_usd_per_accel), "given"
    elif system is not None and (system.list_price_usd or system.street_price_usd):
        price = float(system.list_price_usd or system.street_price_usd or 0.0)
        capex = price / system.accelerators_per_system
        capex_basis = (f"{system.id}: ${price:,.0f} / {system.accelerators_per_system} "
                       f"({system.kind_of('street_price_usd')}; {system.source})")
    else:
        raise InputError(f"no purchase price for {acc.id} in the catalog. Fix: pass capex_usd_per_accel "
                         "(--capex-usd-per-accel, USD per accelerator, server share included)")
    elec, elec_basis, fx = _electricity(cat, o.electricity_usd_per_kwh, grid_row)
    used += fx
    terms = OwnershipTerms(
        capex_usd_per_accel=capex, capex_basis=capex_basis, years=_pick("lifetime_years", o.years, used),
        residual_frac=_pick("residual_frac", o.residual_frac, used), electricity_usd_per_kwh=elec,
        electricity_basis=elec_basis,
        colocation_usd_per_kw_month=_pick("colocation_usd_per_kw_month", o.colocation_usd_per_kw_month, used),
        network_share_frac=_pick("network_share_frac", o.network_share_frac, used),
        ops_overhead_frac=_pick("ops_overhead_frac", o.ops_overhead_frac, used),
        cost_of_capital_frac=_pick("cost_of_capital_frac", o.cost_of_capital_frac, used),
        staff_usd_per_accel_year=o.staff_usd_per_accel_year or 0.0)
    return terms, used


def owned(cat: Catalog, acc: Accelerator, count: int | None, system: System | None, grid: str | None,
          overrides: Any, policy: Policy) -> Capacity:
    """Owned accelerators on a grid, priced from a system (or a given capex)."""
    grid_row = cat.grid(grid) if grid else None
    terms, used = ownership_terms(cat, acc, system, grid_row, overrides)
    if acc.tdp_w is None:
        raise InputError(f"accelerator {acc.id} has no published tdp_w; owning it needs its power. "
                         "Fix: add tdp_w in an overlay (--catalog DIR) with its source")
    n = count or (system.accelerators_per_system if system else 1)
    pue_choice = _pue(cat, overrides.pue)
    if pue_choice.fallback:
        used.append(A.cited("pue_default"))
    site = grid_row.country if grid_row else None
    sov = None
    if grid_row is not None:
        sov = assess_owned(grid_row.country, policy.preset, policy.on, acc, policy.buyer_country,
                           f"owned {acc.id} on grid {grid_row.id}")
    return Capacity(
        id=f"own:{system.id if system else acc.id}", paid_as="owned", provider="owned", region=grid_row.id if grid_row else "-",
        country=site, accelerator=acc, count=n, pricing="owned", pue=pue_choice, grid=grid_row,
        grid_basis="given" if grid_row else "no grid given: carbon unknown", ownership=terms, sovereignty=sov,
        assumptions=tuple(used), warnings=_owned_stale(grid_row, overrides, used) + _basis_warnings(grid_row))


def _owned_stale(grid_row: Grid | None, overrides: Any, used: list[dict[str, Any]]) -> tuple[str, ...]:
    if grid_row is None or overrides.electricity_usd_per_kwh is not None:
        return ()
    fx = [u for u in used if str(u.get("name", "")).startswith("fx ")]
    return _stale((f"electricity price of grid {grid_row.id}", grid_row.as_of, "grids.csv"), fx, grid_row.as_of)


def unpriced(cat: Catalog, acc: Accelerator, count: int, grid: str | None, pue: float | None) -> Capacity:
    """Bare accelerators: performance and energy, no price (say how they are paid for to get one)."""
    pue_choice = _pue(cat, pue)
    grid_row = cat.grid(grid) if grid else None
    return Capacity(
        id=acc.id, paid_as="unpriced", provider="-", region="-", country=grid_row.country if grid_row else None,
        accelerator=acc, count=count, pricing="none", pue=pue_choice, grid=grid_row,
        grid_basis="given" if grid_row else "no grid given: carbon unknown",
        unpriced_reason="no price basis: give an offer (--offer) or own the accelerators (--own)",
        assumptions=(A.cited("pue_default"),) if pue_choice.fallback else ())
