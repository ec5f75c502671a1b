"""A plan row as FOCUS-shaped monthly charges: what the chosen deployment would bill, so that
FinOps tools that load FOCUS (1.2 column names, plus the 1.3 ServiceProviderName and
HostProviderName) can put it beside the real bill.

One row per month: ChargeCategory Usage, ChargeFrequency Usage-Based, PricingCategory from
the pricing model (on_demand -> Standard, reserved_* -> Committed, spot -> Dynamic; owned ->
Other), ConsumedQuantity accelerator-hours (accelerators x hours of the month), PricingUnit
Hours, ListUnitPrice the USD per accelerator-hour the evaluation used, BilledCost =
EffectiveCost = ListCost = quantity x unit price. SkuPriceDetails carries GpuCount (a FOCUS-defined key)
and x_TokenfabOffer / x_TokenfabModel / x_OutputTokens (provider-defined keys, "x_" prefix as
the spec requires).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from ..deployment.result import Evaluation
from ..errors import InputError
from ..units import SECONDS_PER_HOUR

PRICING_CATEGORY = {"on_demand": "Standard", "reserved_1y": "Committed", "reserved_3y": "Committed", "spot": "Dynamic"}
FOCUS_COLUMNS: tuple[str, ...] = (
    "BillingAccountId", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeFrequency", "ChargeDescription", "PricingCategory", "BilledCost", "EffectiveCost", "ListCost",
    "ListUnitPrice", "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit", "ProviderName",
    "ServiceProviderName", "HostProviderName", "RegionId", "ServiceCategory", "ServiceName", "SkuId", "SkuPriceDetails",
    "ResourceId", "ResourceType",
)
MAX_MONTHS = 120


def _months(start: dt.date, n: int) -> list[tuple[dt.date, dt.date]]:
    out, y, m = [], start.year, start.month
    for _ in range(n):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((dt.date(y, m, 1), dt.date(ny, nm, 1)))
        y, m = ny, nm
    return out


def focus_rows(ev: Evaluation, months: int = 12, start: dt.date | None = None) -> list[dict[str, Any]]:
    """FOCUS-shaped rows (one per calendar month from ``start``'s month) for one evaluated deployment."""
    if not 1 <= months <= MAX_MONTHS:
        raise InputError(f"months = {months!r}: use 1 to {MAX_MONTHS}")
    price = ev.money.usd_per_accel_hour
    if not ev.money.priced or price is None:
        raise InputError(f"this deployment is not priced ({ev.money.unpriced_reason or 'no price'}): "
                         "export a rented or owned plan row")
    d = ev.deployment
    first = (start or dt.date.today()).replace(day=1)
    out_tok_per_s = ev.money.demand_output_tok_per_s
    rows = []
    for lo, hi in _months(first, months):
        hours = calendar.monthrange(lo.year, lo.month)[1] * 24.0
        qty = d.accelerators_total * hours
        cost = qty * price
        rows.append({
            "BillingAccountId": "tokenfab-plan", "BillingCurrency": "USD",
            "BillingPeriodStart": f"{lo}T00:00:00Z", "BillingPeriodEnd": f"{hi}T00:00:00Z",
            "ChargePeriodStart": f"{lo}T00:00:00Z", "ChargePeriodEnd": f"{hi}T00:00:00Z",
            "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based",
            "ChargeDescription": (f"{ev.model} on {d.instances} x {d.accelerators_per_instance} x {d.accelerator} "
                                  f"({d.capacity}, {d.pricing}), tokenfab plan"),
            "PricingCategory": "Other" if d.paid_as == "owned" else PRICING_CATEGORY.get(d.pricing, "Other"),
            "BilledCost": round(cost, 6), "EffectiveCost": round(cost, 6), "ListCost": round(cost, 6),
            "ListUnitPrice": round(price, 6), "ConsumedQuantity": qty, "ConsumedUnit": "Hours",
            "PricingQuantity": qty, "PricingUnit": "Hours",
            "ProviderName": d.provider, "ServiceProviderName": d.provider, "HostProviderName": d.provider,
            "RegionId": d.region, "ServiceCategory": "AI and Machine Learning", "ServiceName": "GPU compute",
            "SkuId": d.capacity,
            "SkuPriceDetails": json.dumps({"x_TokenfabOffer": d.capacity, "GpuCount": d.accelerators_per_instance,
                                           "x_TokenfabModel": ev.model,
                                           "x_OutputTokens": round(out_tok_per_s * hours * SECONDS_PER_HOUR)}),
            "ResourceId": f"tokenfab:{d.capacity}:{d.instances}x", "ResourceType": "Accelerator instance",
        })
    return rows


def write_focus_csv(rows: list[dict[str, Any]], path: str | Path) -> None:
    """Write FOCUS rows as CSV (the FOCUS column order of :data:`FOCUS_COLUMNS`)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(FOCUS_COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    target = Path(path).expanduser()
    try:
        target.write_text(buf.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"focus_out = {str(path)!r}: cannot write ({exc.strerror}); name a writable file") from None
