"""Self-hosting beside public APIs, on equal terms: every self-hosted row meets the same
per-user speed the compared API services deliver (a p99 TPOT limit, sourced), at a stated
utilization, with the precision and split chosen exactly as ``plan`` chooses them (the one
evaluation, best candidate per offer). Both sides are dollars per million output tokens of
this workload: the API's output price plus its input price x isl / osl."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from ..catalog import assumptions as A
from ..catalog import freshness
from ..catalog.loader import Catalog, load_catalog
from ..catalog.market import ApiPrice, Offer
from ..deployment import capacity as K
from ..deployment.candidates import SearchSpace, best_per_capacity, build, feasible
from ..deployment.evaluate import evaluation_at, how_chosen
from ..deployment.result import Assumption, Evaluation
from ..deployment.spec import DISCOUNT_HELP, Discounts, PricingModel, check_discounts, discount_map
from ..deployment.workload import Workload
from ..engine.efficiency import p99_factors
from ..inputs import ResultModel, parse_input


class CompareQuestion(Workload):
    top: int = Field(default=10, ge=1, le=200, description="Self-hosted rows to show.")
    pricing: PricingModel = Field(default="on_demand",
                                  description="Price of the offers: on_demand, reserved_1y, reserved_3y or spot.")
    discounts: Discounts = Field(default=(), description=DISCOUNT_HELP)

    _discounts = field_validator("discounts")(check_discounts)


class ComparisonRow(ResultModel):
    kind: str  # self-hosted or api
    name: str
    provider: str
    region: str
    accelerator: str
    usd_per_mtok_output: float  # all cost per M output tokens of this workload
    usd_per_mtok_input_price: float  # API input price; self-hosted: prefill share
    usd_per_mtok_output_price: float  # API output price; self-hosted: decode share
    usd_per_mtok_output_low: float | None = None  # self-hosted: the 80 % interval (None for an API: a list price)
    usd_per_mtok_output_high: float | None = None
    output_tok_per_s_per_user: float | None
    speed_source: str | None
    utilization: float | None  # None for APIs: paid per token
    price_as_of: str
    evaluation: Evaluation | None = None


class Comparison(ResultModel):
    model: str
    workload: Workload
    tpot_limit_s: float | None  # None: the scenario sets no limit (offline)
    tpot_basis: str
    utilization: float | None  # None with a traffic: each row's own utilization
    utilization_basis: str
    self_hosted: tuple[ComparisonRow, ...]
    apis: tuple[ComparisonRow, ...]
    self_hosted_evaluated: int
    offers_without_feasible_deployment: int
    assumptions: tuple[Assumption, ...]
    note: str
    warnings: tuple[str, ...] = ()  # prices, rates shown that are older than the staleness thresholds


def _api_rows(cat: Catalog, model: str, wl: Workload) -> list[ComparisonRow]:
    rows = []
    for api in cat.typed("api_prices", ApiPrice):
        if api.model != model:
            continue
        i = cat.to_usd(api.input_price_per_mtok, api.currency, api.as_of)
        o = cat.to_usd(api.output_price_per_mtok, api.currency, api.as_of)
        rows.append(ComparisonRow(
            kind="api", name=api.id, provider=api.vendor, region=api.region_note or "-", accelerator="-",
            usd_per_mtok_output=o + i * wl.isl / wl.osl, usd_per_mtok_input_price=i, usd_per_mtok_output_price=o,
            output_tok_per_s_per_user=api.output_tok_per_s_per_user,
            speed_source=f"{api.speed_source} ({api.speed_as_of})" if api.speed_source else None,
            utilization=None, price_as_of=str(api.as_of)))
    return sorted(rows, key=lambda r: r.usd_per_mtok_output)


def compare(question: CompareQuestion | Mapping[str, Any], catalog: Catalog | None = None) -> Comparison:
    q = question if isinstance(question, CompareQuestion) else parse_input(CompareQuestion, dict(question))
    cat = catalog or load_catalog()
    spec = cat.model(q.model)
    used = []
    if q.tpot_max_s is None and q.scenario == "server":
        speed = A.cited("api_output_tok_per_s_per_user")
        used.append(speed)
        limit = p99_factors(cat.efficiency)["p99_tpot_factor"] / float(speed["value"])
        wl = Workload.model_validate({**q.model_dump(exclude={"top", "pricing", "discounts"}), "tpot_max_s": limit}, strict=False)
        tpot_basis = (f"the compared APIs' per-user speed, {speed['value']:g} tok/s mean = p99 TPOT "
                      f"{limit * 1e3:.0f} ms (api_output_tok_per_s_per_user: {speed['source']})")
    else:
        wl = Workload.model_validate(q.model_dump(exclude={"top", "pricing", "discounts"}), strict=False)
        tpot_basis = "given" if q.tpot_max_s is not None else f"the {q.scenario} scenario's limit"
    if not wl.has_traffic:
        used.append(A.cited("serving_utilization", wl.serving_utilization()))
    policy = K.Policy("none", dt.date.today(), None, discount_map(q.discounts))
    caps = [K.rented(cat, off, q.pricing, policy) for off in cat.typed("offers", Offer)
            if off.price_per_accel_hour(q.pricing) is not None]
    c = build(cat, spec, wl, caps, SearchSpace(), skip_unusable=True)
    bests = best_per_capacity(c, feasible(c))
    order = sorted(bests, key=lambda ci: float(c.a["usd_per_mtok"][bests[ci]]))
    how = how_chosen(object(), spec, False)
    rows = []
    for ci in order[: q.top]:
        ev = evaluation_at(c, *bests[ci], how=how)
        m, perf, cap = ev.money, ev.performance, c.capacities[ci]
        rows.append(ComparisonRow(
            kind="self-hosted", name=cap.id, provider=cap.provider, region=cap.region,
            accelerator=f"{cap.accelerator.id} x{cap.count}", usd_per_mtok_output=float(m.usd_per_mtok_output or np.nan),
            # a share of 0 is a price (a prefill too short to register), not a missing one
            usd_per_mtok_input_price=float(np.nan if m.usd_per_mtok_input_prefill_share is None
                                           else m.usd_per_mtok_input_prefill_share),
            usd_per_mtok_output_price=float(np.nan if m.usd_per_mtok_output_decode_share is None
                                            else m.usd_per_mtok_output_decode_share),
            usd_per_mtok_output_low=m.usd_per_mtok_output_low, usd_per_mtok_output_high=m.usd_per_mtok_output_high,
            output_tok_per_s_per_user=perf.output_tok_per_s_per_user, speed_source="tokenfab engine (mean)",
            utilization=m.utilization, price_as_of=cap.rent.as_of if cap.rent else "-", evaluation=ev))
    apis = _api_rows(cat, spec.id, wl)
    stale = [w for r in rows if r.evaluation is not None for w in r.evaluation.warnings]
    stale += [freshness.price_warning(f"API price {r.name}", r.price_as_of, "api_prices.csv") or "" for r in apis]
    tpot_limit = wl.limits_s()[1]
    return Comparison(
        model=spec.id, workload=wl, tpot_limit_s=tpot_limit if np.isfinite(tpot_limit) else None, tpot_basis=tpot_basis,
        utilization=None if wl.has_traffic else wl.serving_utilization(),
        utilization_basis="from the traffic" if wl.has_traffic else (
            "given" if wl.utilization is not None else "serving_utilization assumption"),
        self_hosted=tuple(rows), apis=tuple(apis), self_hosted_evaluated=len(caps),
        offers_without_feasible_deployment=len(caps) - len(bests),
        assumptions=tuple(Assumption.from_cited(u) for u in used), warnings=tuple(dict.fromkeys(w for w in stale if w)),
        note="both sides in USD per million output tokens of this workload: self-hosted = all serving cost / output "
             "tokens; API = output price + input price x isl/osl. Self-hosted rows meet the p99 TPOT limit shown.")
