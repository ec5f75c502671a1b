"""What a deployment costs: money (rented or owned), energy and carbon, the gigawatt
view and API comparison. Joins ``estimate`` (performance), the catalog (offers, grids,
FX rates) and the pure ``economics`` functions. Every default comes from
``data/assumptions.yaml`` and is reported with its source in the output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import assumptions as A
from .catalog import Catalog, load_catalog
from .catalog.market import PRICING_MODELS
from .economics import cost as C
from .economics import energy as EN
from .economics import facility as F
from .economics.egress import exit_cost
from .errors import InputError
from .estimate import Estimate, EstimateRequest, estimate_request
from .inputs import parse_input

PricingModel = Literal["on_demand", "reserved_1y", "reserved_3y", "spot"]


class CostInputs(BaseModel):
    """Money and energy inputs on top of an estimate; None = the sourced assumption."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offer: str | None = None
    pricing: PricingModel = "on_demand"
    own: bool = False
    utilization: float = Field(default=1.0, gt=0, le=1)
    capex_usd_per_accel: float | None = Field(default=None, gt=0, le=1e7)
    years: float | None = Field(default=None, gt=0, le=30)
    residual_frac: float | None = Field(default=None, ge=0, le=1)
    electricity_usd_per_kwh: float | None = Field(default=None, ge=0, le=5)
    grid: str | None = None
    pue: float | None = Field(default=None, ge=1, le=3)
    colocation_usd_per_kw_month: float | None = Field(default=None, ge=0, le=5000)
    network_share_frac: float | None = Field(default=None, ge=0, le=1)
    ops_overhead_frac: float | None = Field(default=None, ge=0, le=5)
    cost_of_capital_frac: float | None = Field(default=None, ge=0, le=1)
    staff_usd_per_accel_year: float | None = Field(default=None, ge=0, le=1e6)
    rental_value_halving_years: float | None = Field(default=None, gt=0, le=50)
    exit_volume_tb: float | None = Field(default=None, ge=0, le=1e6)
    egress_gb_per_month: float | None = Field(default=None, ge=0, le=1e9)
    date: dt.date | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "CostInputs":
        if self.electricity_usd_per_kwh is not None and self.grid is not None:
            raise ValueError("give either electricity_usd_per_kwh or grid, not both")
        return self


def _pick(v: Any, name: str, used: list[dict[str, Any]]) -> Any:
    if v is not None:
        return v
    used.append(A.cited(name))
    return A.value(name)


def _resolve_estimate(cat: Catalog, est_kwargs: dict[str, Any], inputs: CostInputs) -> tuple[Estimate, Any]:
    """Fill accelerator/count from the offer when given, and run the estimate."""
    offer = cat.offer(inputs.offer) if inputs.offer else None
    kw = dict(est_kwargs)
    if offer is not None:
        if kw.get("accelerator") not in (None, offer.accelerator):
            raise InputError(
                f"accelerator = {kw['accelerator']!r} but offer {offer.id} rents {offer.accelerator}; drop --accelerator"
            )
        kw["accelerator"] = offer.accelerator
        kw.setdefault("count", offer.accelerator_count)
    if kw.get("accelerator") is None:
        raise InputError("accelerator is missing: pass --accelerator or --offer")
    req = parse_input(EstimateRequest, {k: v for k, v in kw.items() if v is not None})
    return estimate_request(req, cat), offer


def _to_usd(cat: Catalog, amount: float, currency: str, used: list[dict[str, Any]]) -> float:
    if currency == "USD":
        return amount
    rate = cat.usd_per_unit(currency)
    used.append({"name": f"fx {currency}->USD", "value": rate.usd_per_unit, "source": rate.source,
                 "as_of": str(rate.rate_date), "kind": rate.kind})
    return amount * rate.usd_per_unit


def _grid_for(cat: Catalog, grid_id: str | None, offer) -> Any:
    if grid_id:
        return cat.get("grids", grid_id)
    if offer is not None:
        country = cat.provider(offer.provider).region(offer.region).country
        gid = "world" if country == "ZZ" else country.lower()
        if gid in cat.rows["grids"]:
            return cat.get("grids", gid)
    return None


def _power(est: Estimate, cat: Catalog, utilization: float, used: list) -> tuple[float, float, float]:
    """(average IT W per accelerator at this utilization, provisioned IT W per accelerator, TDP)."""
    acc = cat.accelerator(est.accelerator)
    if acc.tdp_w is None:
        raise InputError(
            f"accelerator {acc.id} has no published tdp_w; add it in an overlay with its source to get energy figures"
        )
    idle = _pick(None, "idle_power_frac", used)
    server = _pick(None, "server_non_accelerator_w_per_8_accel", used)
    avg = float(EN.accelerator_power_w(acc.tdp_w, utilization, idle)) + server / 8.0
    prov = acc.tdp_w + server / 8.0
    return avg, prov, acc.tdp_w


def cost(catalog: Catalog | None = None, **kwargs: Any) -> dict[str, Any]:
    """$/M tokens (output, input, blended) for a rented offer or owned accelerators."""
    cat = catalog or load_catalog()
    inputs = parse_input(CostInputs, {k: kwargs.pop(k) for k in list(kwargs) if k in CostInputs.model_fields})
    if not inputs.own and inputs.offer is None:
        raise InputError("say how the accelerators are paid for: --offer ID (rent) or --own (buy)")
    est, offer = _resolve_estimate(cat, kwargs, inputs)
    used: list[dict[str, Any]] = []
    u = inputs.utilization
    out: dict[str, Any] = {"estimate": est.to_dict(), "utilization": u}
    rent_per_accel_h = None
    if offer is not None:
        price = offer.price_per_accel_hour(inputs.pricing)
        if price is None:
            have = [m for m in PRICING_MODELS if offer.price_per_accel_hour(m)]
            raise InputError(f"pricing = {inputs.pricing!r}: offer {offer.id} has no such price; it has {', '.join(have)}")
        rent_per_accel_h = _to_usd(cat, price, offer.currency, used)
        out.update(offer=offer.id, provider=offer.provider, region=offer.region, pricing=inputs.pricing,
                   price_per_accel_hour=price, currency=offer.currency, price_usd_per_accel_hour=rent_per_accel_h,
                   price_source=offer.source, price_as_of=str(offer.as_of), price_kind=offer.kind)
    if inputs.own:
        acc = cat.accelerator(est.accelerator)
        capex = inputs.capex_usd_per_accel
        if capex is None:
            systems = [s for s in cat.list("systems") if s.accelerator == acc.id and (s.street_price_usd or s.list_price_usd)]
            if not systems:
                raise InputError(
                    f"no purchase price for {acc.id} in the catalog; pass --capex-usd-per-accel (USD per accelerator, "
                    "server share included)"
                )
            s = systems[0]
            capex = (s.list_price_usd or s.street_price_usd) / s.accelerators_per_system
            used.append({"name": "capex_usd_per_accel", "value": capex, "source": s.source, "as_of": str(s.as_of),
                         "kind": s.kind_of("street_price_usd"), "from_system": s.id})
        avg_w, prov_w, _ = _power(est, cat, u, used)
        grid = _grid_for(cat, inputs.grid, None)
        if inputs.electricity_usd_per_kwh is not None:
            elec = inputs.electricity_usd_per_kwh
        elif grid is not None and grid.electricity_price_per_kwh is not None:
            elec = _to_usd(cat, grid.electricity_price_per_kwh, grid.price_currency, used)
            used.append({"name": "electricity_price", "value": grid.electricity_price_per_kwh, "grid": grid.id,
                         "currency": grid.price_currency, "price_year": grid.price_year, "basis": grid.price_basis,
                         "source": grid.source, "as_of": str(grid.as_of), "kind": grid.kind})
        else:
            raise InputError(
                "owning needs an electricity price: pass --electricity-usd-per-kwh X or --grid ID "
                "(grids with a price: " + ", ".join(g.id for g in cat.list("grids") if g.electricity_price_per_kwh) + ")"
            )
        years = _pick(inputs.years, "lifetime_years", used)
        parts = C.ownership_usd_per_accel_hour(
            capex, years, _pick(inputs.residual_frac, "residual_frac", used), avg_w, prov_w, elec,
            _pick(inputs.pue, "pue_default", used), _pick(inputs.colocation_usd_per_kw_month, "colocation_usd_per_kw_month", used),
            _pick(inputs.network_share_frac, "network_share_frac", used), _pick(inputs.ops_overhead_frac, "ops_overhead_frac", used),
            _pick(inputs.cost_of_capital_frac, "cost_of_capital_frac", used),
            inputs.staff_usd_per_accel_year or 0.0,
        )
        own_per_accel_h = float(parts["total"])
        out["ownership"] = {k: float(v) for k, v in parts.items()} | {
            "capex_usd_per_accel": capex, "electricity_usd_per_kwh": elec, "average_power_w_per_accel": avg_w,
            "provisioned_power_w_per_accel": prov_w,
        }
        running = own_per_accel_h - float(parts["capital"])
        out["debt_breakeven_usd_per_accel_hour"] = float(C.debt_breakeven_usd_per_accel_hour(
            capex, _pick(inputs.cost_of_capital_frac, "cost_of_capital_frac", []), years, running, u))
        if rent_per_accel_h is not None:
            n = est.count
            upfront = capex * (1 + _pick(inputs.network_share_frac, "network_share_frac", [])) * n
            own_m, rent_m = running * C.HOURS_PER_MONTH * n, rent_per_accel_h * C.HOURS_PER_MONTH * n * u
            out["breakeven_months"] = float(C.breakeven_months(upfront, own_m, rent_m))
            halving = _pick(inputs.rental_value_halving_years, "rental_value_halving_years", used)
            out["breakeven_months_with_obsolescence"] = float(
                C.breakeven_months_declining_rent(upfront, own_m, rent_m, halving))
        per_accel_h = own_per_accel_h
        out["paid_as"] = "owned"
    else:
        per_accel_h = rent_per_accel_h
        out["paid_as"] = "rented"
    cost_h = per_accel_h * est.count
    o, i, b = C.split_by_phase(cost_h, est.throughput_output_tok_per_s, est.input_tok_per_s,
                               est.prefill_time_share, u)
    out.update(
        cost_usd_per_hour=cost_h, cost_usd_per_month=cost_h * C.HOURS_PER_MONTH,
        usd_per_mtok_output=float(o), usd_per_mtok_input=float(i), usd_per_mtok_blended=float(b),
        prefill_time_share=est.prefill_time_share,
    )
    if offer is not None and (inputs.exit_volume_tb is not None or inputs.egress_gb_per_month is not None):
        prov = cat.provider(offer.provider)
        if prov.egress is None:
            out["egress"] = {"note": f"{prov.name} publishes no egress tiers in the catalog"}
        else:
            from .economics.egress import egress_cost

            e = {"currency": prov.egress.currency, "source": prov.egress.source}
            if inputs.egress_gb_per_month is not None:
                e["monthly_egress_cost"] = egress_cost(inputs.egress_gb_per_month, prov.egress)
            if inputs.exit_volume_tb is not None:
                amount, rule = exit_cost(inputs.exit_volume_tb * 1000.0, prov.egress, inputs.date or dt.date.today())
                e.update(exit_cost=amount, exit_rule=rule)
            out["egress"] = e
    out["assumptions"] = used
    return out


def energy(catalog: Catalog | None = None, **kwargs: Any) -> dict[str, Any]:
    """J per output token, kWh and gCO2e per million tokens, facility power."""
    cat = catalog or load_catalog()
    keys = ("offer", "grid", "pue", "utilization")
    inputs = parse_input(CostInputs, {k: kwargs.pop(k) for k in list(kwargs) if k in keys})
    est, offer = _resolve_estimate(cat, kwargs, inputs)
    used: list[dict[str, Any]] = []
    u = inputs.utilization
    avg_w, _, tdp = _power(est, cat, u, used)
    if inputs.pue is not None:
        pue = inputs.pue
    elif offer is not None and cat.provider(offer.provider).category == "hyperscaler":
        pue = _pick(None, "pue_hyperscaler", used)
    else:
        pue = _pick(None, "pue_default", used)
    it_w = avg_w * est.count
    served = est.throughput_output_tok_per_s * u
    j_it = float(EN.j_per_token(it_w, served))
    j = j_it * pue
    grid = _grid_for(cat, inputs.grid, offer)
    if grid is None:
        raise InputError("no grid for the carbon figure: pass --grid ID (tokenfab catalog list grids)")
    lifetime = _pick(None, "lifetime_years", used)
    emb_total = est.count * _pick(None, "embodied_gco2e_per_gpu", used) + \
        est.count / 8.0 * _pick(None, "embodied_gco2e_per_8_accel_server", used)
    emb = float(EN.embodied_gco2e_per_1k_tokens(emb_total, lifetime, est.throughput_output_tok_per_s, u))
    op = float(EN.gco2e_per_1k_tokens(j, grid.carbon_gco2e_per_kwh))
    return dict(
        estimate=est.to_dict(), utilization=u, pue=pue, it_power_w=it_w, facility_power_w=it_w * pue,
        j_per_output_token=j, j_per_output_token_it=j_it, kwh_per_mtok=float(EN.kwh_per_mtok(j)),
        grid=grid.id, grid_gco2e_per_kwh=grid.carbon_gco2e_per_kwh, grid_year=grid.carbon_year,
        gco2e_per_1k_tokens=op, embodied_gco2e_per_1k_tokens=emb, total_gco2e_per_1k_tokens=op + emb,
        gco2e_per_mtok=op * 1e3, assumptions=used,
    )


def gigawatt(catalog: Catalog | None = None, *, mw: float | None = None, facility: str | None = None,
             grid_power: bool = True, tokens_per_day: float | None = None, price_usd_per_mtok: float | None = None,
             utilization: float = 1.0, pue: float | None = None, **kwargs: Any) -> dict[str, Any]:
    """A site of ``mw`` megawatts (or a catalog facility): accelerators, racks, tokens/day;
    or, with ``tokens_per_day``, the power that output needs."""
    cat = catalog or load_catalog()
    if not 0 < utilization <= 1:
        raise InputError(f"utilization = {utilization}: must be in (0, 1]")
    if pue is not None and not 1 <= pue <= 3:
        raise InputError(f"pue = {pue}: must be between 1 and 3")
    used: list[dict[str, Any]] = []
    fac = cat.get("facilities", facility) if facility else None
    if fac is not None:
        kwargs.setdefault("accelerator", fac.accelerator)
        if mw is None:
            w = fac.operating_power_w or fac.announced_power_w
            mw = w / 1e6
    if mw is None and tokens_per_day is None:
        raise InputError("give --mw P, --facility ID or --tokens-per-day T")
    if mw is not None and not 0 < mw <= 1e5:
        raise InputError(f"mw = {mw}: must be between 0 and 100,000")
    ranking: list[dict[str, Any]] = []
    if kwargs.get("accelerator") is None:
        # no chip given: rank every chip with the figures the engine needs by tokens per joule
        from .errors import TokenfabError

        best = None
        for cand in cat.list("accelerators"):
            if not (cand.tdp_w and cand.memory_bytes and cand.memory_bandwidth_bytes_per_s):
                continue
            kw = dict(kwargs, accelerator=cand.id, count=kwargs.get("count") or min(cand.scale_up_domain_size or 8, 72))
            try:
                e = estimate_request(parse_input(EstimateRequest, kw), cat)
                w, _, _ = _power(e, cat, utilization, [])
            except TokenfabError:
                continue
            tpj = e.throughput_per_accelerator_tok_per_s / w
            ranking.append(dict(accelerator=cand.id, output_tok_per_joule_it=tpj,
                                tok_per_s_per_accel=e.throughput_per_accelerator_tok_per_s, all_in_it_w=w))
            if best is None or tpj > best[0]:
                best = (tpj, cand.id, e)
        if best is None:
            raise InputError(f"no catalog accelerator can serve {kwargs.get('model')} with the given options")
        ranking.sort(key=lambda r: -r["output_tok_per_joule_it"])
        kwargs["accelerator"] = best[1]
        used.append({"name": "accelerator", "value": best[1], "kind": "derived",
                     "source": "chosen by tokenfab: most output tokens per joule among catalog chips"})
    acc = cat.accelerator(kwargs["accelerator"])
    kwargs.setdefault("count", min(acc.scale_up_domain_size or 8, 72))
    est = estimate_request(parse_input(EstimateRequest, kwargs), cat)
    avg_w, _, _ = _power(est, cat, utilization, used)
    pue_v = pue if pue is not None else _pick(None, "pue_default", used)
    racks_sys = [s for s in cat.list("systems") if s.accelerator == acc.id and s.form == "rack"]
    per_rack = racks_sys[0].accelerators_per_system if racks_sys else 8 * max(1, int(30000 // (8 * avg_w)))
    if not racks_sys:
        used.append({"name": "accelerators_per_rack", "value": per_rack,
                     "source": "30 kW high-density rack (GPU Cloud Pricing and TCO reference: 10-30 kW racks), whole 8-accelerator servers",
                     "kind": "estimate"})
    per_accel = est.throughput_per_accelerator_tok_per_s
    out: dict[str, Any] = dict(estimate=est.to_dict(), accelerator=acc.id, all_in_it_w_per_accel=avg_w, pue=pue_v,
                               accelerators_per_rack=per_rack, utilization=utilization, ranking=ranking[:10])
    if mw is not None:
        site = F.site_output(mw * 1e6, grid_power, pue_v, avg_w, per_rack, per_accel, utilization, price_usd_per_mtok)
        out.update({k: float(v) for k, v in site.items()}, mw=mw, power_basis="grid" if grid_power else "it",
                   facility=facility)
    if tokens_per_day is not None:
        need = F.power_for_tokens(tokens_per_day, per_accel, utilization, avg_w, pue_v)
        out["for_tokens_per_day"] = {"tokens_per_day": tokens_per_day, **{k: float(v) for k, v in need.items()},
                                     "grid_power_mw": float(need["grid_power_w"]) / 1e6}
    out["assumptions"] = used
    return out


def compare(catalog: Catalog | None = None, *, model: str, isl: float = 1000, osl: float = 200, top: int = 10,
            utilization: float = 1.0, pricing: PricingModel = "on_demand") -> dict[str, Any]:
    """Self-hosted $/M tokens on every offer that can hold the model, beside public API prices."""
    from .errors import TokenfabError

    cat = catalog or load_catalog()
    spec = cat.model(model)
    rows, skipped = [], 0
    for off in cat.list("offers"):
        if off.price_per_accel_hour(pricing) is None:
            continue
        try:
            res = cost(cat, offer=off.id, pricing=pricing, model=spec.id, isl=isl, osl=osl, utilization=utilization)
        except TokenfabError:
            skipped += 1
            continue
        e = res["estimate"]
        rows.append(dict(kind="self-hosted", name=off.id, provider=off.provider, region=off.region,
                         accelerator=f"{off.accelerator} x{e['count']}", usd_per_mtok_input=res["usd_per_mtok_input"],
                         usd_per_mtok_output=res["usd_per_mtok_output"], usd_per_mtok_blended=res["usd_per_mtok_blended"],
                         throughput_output_tok_per_s=e["throughput_output_tok_per_s"]))
    rows.sort(key=lambda r: r["usd_per_mtok_blended"])
    apis = []
    for api in cat.list("api_prices"):
        if api.model != spec.id:
            continue
        i, o = cat.to_usd(api.input_price_per_mtok, api.currency), cat.to_usd(api.output_price_per_mtok, api.currency)
        apis.append(dict(kind="api", name=api.id, provider=api.vendor, region=api.region_note or "-",
                         accelerator="-", usd_per_mtok_input=i, usd_per_mtok_output=o,
                         usd_per_mtok_blended=o + i * isl / osl, as_of=str(api.as_of)))
    apis.sort(key=lambda r: r["usd_per_mtok_blended"])
    return dict(model=spec.id, isl=isl, osl=osl, utilization=utilization, pricing=pricing,
                self_hosted=rows[:top], self_hosted_evaluated=len(rows), offers_that_do_not_fit=skipped, apis=apis,
                note="self-hosted blended = all serving cost per output token; API blended = output price + input "
                     "price x isl/osl, so both are dollars per million output tokens for this workload")


def sovereignty(catalog: Catalog | None = None, *, subject: str, preset: str = "eu-jurisdiction",
                date: dt.date | str | None = None, buyer_country: str | None = None):
    """Sovereignty assessment of an offer id or a provider id (offers add their region,
    accelerator, export control and supply chain). ``date`` defaults to today."""
    from .economics.sovereignty import assess
    from .errors import UnknownIdError

    cat = catalog or load_catalog()
    if isinstance(date, str):
        try:
            date = dt.date.fromisoformat(date)
        except ValueError:
            raise InputError(f"date = {date!r}: use YYYY-MM-DD") from None
    day = date or dt.date.today()
    if subject in cat.rows["offers"]:
        off = cat.offer(subject)
        return assess(cat.provider(off.provider), preset, day, off, cat.accelerator(off.accelerator), buyer_country)
    if subject in cat.rows["providers"]:
        return assess(cat.provider(subject), preset, day, buyer_country=buyer_country)
    raise UnknownIdError("offers or providers", subject, [*cat.rows["offers"], *cat.rows["providers"]])
