"""Typed results of reading a bill: spend by dimension, tokens per model, accelerator hours,
egress, jurisdiction exposure, and the "move" comparison. Money is in USD (a bill in another
currency is converted at the catalog's newest rate, and the rate is named)."""

from __future__ import annotations

import csv
import io
from typing import Any

from ..inputs import ResultModel


class SpendRow(ResultModel):
    """Spend of one group of charges; ``key`` names the group (e.g. {"jurisdiction": "EU"})."""

    key: dict[str, str]
    billed_usd: float
    effective_usd: float
    share_frac: float  # of total effective cost (billed when the bill has no EffectiveCost)
    rows: int


class TokenSpend(ResultModel):
    """Generative-AI token usage of one model at one provider (FOCUS ConsumedUnit/PricingUnit tokens)."""

    model_id: str  # SkuPriceDetails ModelId as billed
    catalog_model: str | None  # tokenfab model id when it matches one
    provider: str
    input_tokens: float
    output_tokens: float
    other_tokens: float  # cached / unspecified TokenType
    input_usd: float
    output_usd: float
    other_usd: float
    usd_per_mtok_input: float | None
    usd_per_mtok_output: float | None


class AcceleratorSpend(ResultModel):
    """Accelerator instance hours of one instance type at one provider, region and pricing category."""

    instance_type: str
    provider: str
    region: str
    pricing_category: str
    accelerator: str | None  # catalog accelerator id of the instance type
    accelerators_per_instance: int | None
    instance_hours: float
    accelerator_hours: float | None
    effective_usd: float
    usd_per_accel_hour: float | None
    list_usd_per_accel_hour: float | None  # catalog on-demand price of the same instance type
    list_offer: str | None  # the catalog offer that price comes from
    vs_list_frac: float | None  # paid / catalog list - 1


class EgressSpend(ResultModel):
    """Data transfer out of one provider: what the bill charged, and what leaving would cost."""

    provider: str
    volume_gb: float
    effective_usd: float
    usd_per_gb: float | None
    exit_cost_usd: float | None  # one-off, moving one month's billed egress volume out (Data Act rule)
    exit_rule: str


class Exposure(ResultModel):
    total_usd: float
    eu_usd: float
    non_eu_usd: float
    cloud_act_usd: float
    unknown_usd: float
    non_eu_share_frac: float
    cloud_act_share_frac: float
    unknown_share_frac: float


class BillSummary(ResultModel):
    """What a FOCUS bill says."""

    files: tuple[str, ...]
    rows: int
    period_start: str | None
    period_end: str | None
    days: float | None
    currency: str
    fx_note: str | None
    billed_usd: float
    effective_usd: float
    list_usd: float | None
    by: dict[str, tuple[SpendRow, ...]]
    tokens: tuple[TokenSpend, ...]
    accelerators: tuple[AcceleratorSpend, ...]
    egress: tuple[EgressSpend, ...]
    exposure: Exposure
    notes: tuple[str, ...] = ()

    def to_csv(self) -> str:
        """Every table as CSV rows with a ``table`` column (one file a spreadsheet reads)."""
        rows: list[dict[str, Any]] = []
        for dim, table in self.by.items():
            for r in table:
                rows.append({"table": f"by_{dim}", **r.key, "billed_usd": r.billed_usd, "effective_usd": r.effective_usd,
                             "share_frac": r.share_frac, "rows": r.rows})
        for name, items in (("tokens", self.tokens), ("accelerators", self.accelerators), ("egress", self.egress)):
            rows += [{"table": name, **item.to_dict()} for item in items]
        rows.append({"table": "exposure", **self.exposure.to_dict()})
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()


class MoveRow(ResultModel):
    """Today's spend on one model's tokens (or one accelerator's hours) beside the cheapest
    compliant plan for the same volume."""

    kind: str  # "tokens" or "accelerators"
    subject: str  # billed model id or instance type
    provider: str
    today_usd_per_month: float
    plan: str | None  # what would serve it: offer id, accelerator count, pricing
    plan_usd_per_month: float | None
    saving_usd_per_month: float | None
    exit_cost_usd: float
    payback_months: float | None
    reason: str  # how the figures were found, or why there is no plan / no payback


class MoveSummary(ResultModel):
    sovereignty: str
    peak_to_mean: float
    date: str
    rows: tuple[MoveRow, ...]
    today_usd_per_month: float
    plan_usd_per_month: float
    saving_usd_per_month: float
    exit_cost_usd: float
    payback_months: float | None
    notes: tuple[str, ...] = ()
