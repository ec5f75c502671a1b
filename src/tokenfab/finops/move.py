"""Price the move: today's billed spend beside what the same volume costs on the cheapest
plan that passes a sovereignty preset.

Tokens: for each model whose billed ModelId matches a catalog model, the bill's own
volumes give the traffic: output tokens/day = billed output tokens / days of the bill,
input/output ratio = billed input / billed output tokens (isl = ratio x osl). The plan is
sized for the peak, ``tokens_per_day = mean x peak_to_mean`` (a stated factor: serving
capacity must meet the peak, a bill only shows the mean), and asked of the one planner
(:func:`tokenfab.plan`, same evaluation as ``tokenfab plan``); the cheapest front row in
$/month is the plan. Accelerators: the same accelerator-hours per month on the cheapest
on-demand catalog offer of the same accelerator whose provider passes the preset.

Money per month = billed spend x (365.25 / 12) / days of the bill. One-off exit cost =
the Data Act exit cost of the provider's billed egress (:mod:`tokenfab.economics.egress`),
counted once per provider left. Payback = exit cost / monthly saving; ``None`` (with the
reason) when there is no saving.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field

from ..catalog.loader import Catalog
from ..catalog.market import Offer
from ..catalog.model_spec import ModelSpec
from ..deployment.spec import SovereigntyPreset
from ..errors import ExpectedOutcome
from ..inputs import InputModel
from ..policy.sovereignty import assess
from .own import own_row
from .places import match_provider
from .result import BillSummary, MoveRow, MoveSummary
from .summary import DAYS_PER_MONTH

OWN_KIND = "accelerators (own)"


class MoveQuestion(InputModel):
    """What to compare the bill with."""

    sovereignty: SovereigntyPreset = Field(default="eu-jurisdiction", description="Sovereignty preset the plan must pass.")
    peak_to_mean: float = Field(default=2.0, ge=1.0, le=100.0,
                                description="Peak traffic / mean traffic the plan is sized for [-].")
    osl: float = Field(default=300, ge=1, le=1_000_000,
                       description="Mean output tokens per request assumed for the bill's traffic [tokens].")
    own_grid: str | None = Field(default=None, min_length=1, max_length=40,
                                 description="Also price owning the billed accelerators on this grid (catalog list grids).")


def _key(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def match_model(catalog: Catalog, model_id: str) -> str | None:
    """The catalog model a billed ModelId names ('meta.llama3-1-70b-instruct-v1:0' -> 'llama-3.1-70b'):
    vendor prefix before a '.' dropped, punctuation ignored, the longest catalog id it starts with."""
    text = model_id.lower().strip()
    if "." in text.split(":")[0] and not re.match(r"^[a-z]+-?\d", text):
        text = text.split(".", 1)[1]  # bedrock-style 'vendor.model'
    key = _key(text)
    ids = [m.id for m in catalog.typed("models", ModelSpec)]
    hits = [i for i in ids if key.startswith(_key(i))]
    return max(hits, key=lambda i: len(_key(i))) if hits else None


def _exit_by_provider(summary: BillSummary) -> dict[str, float]:
    return {e.provider: e.exit_cost_usd for e in summary.egress if e.exit_cost_usd is not None}


def move(summary: BillSummary, question: MoveQuestion, catalog: Catalog, on_date: dt.date | None = None) -> MoveSummary:
    """Today's token and accelerator spend beside the cheapest compliant plan (see the module docstring)."""
    from .._api import plan

    day = on_date or dt.date.today()
    days = summary.days or 0.0
    exits = _exit_by_provider(summary)
    rows: list[MoveRow] = []
    notes: list[str] = []
    if days <= 0:
        notes.append("the bill has no charges or covers no time span (ChargePeriodEnd = ChargePeriodStart): "
                     "nothing to compare per month")
    for t in summary.tokens if days > 0 else ():
        today = (t.input_usd + t.output_usd + t.other_usd) * DAYS_PER_MONTH / days
        exit_usd = exits.get(t.provider, 0.0)
        base = dict(kind="tokens", subject=t.model_id, provider=t.provider, today_usd_per_month=today,
                    exit_cost_usd=exit_usd)
        if t.catalog_model is None:
            rows.append(MoveRow(**base, plan=None, plan_usd_per_month=None, saving_usd_per_month=None, payback_months=None,
                                reason="model not in the catalog (tokenfab catalog list models)"))
            continue
        if t.output_tokens <= 0:
            rows.append(MoveRow(**base, plan=None, plan_usd_per_month=None, saving_usd_per_month=None, payback_months=None,
                                reason="no output tokens billed: no traffic to plan for"))
            continue
        out_per_day = t.output_tokens / days
        isl = max(1.0, t.input_tokens / t.output_tokens * question.osl)
        tpd = min(out_per_day * question.peak_to_mean, 1e16)
        try:
            res = plan(model=t.catalog_model, isl=isl, osl=question.osl, tokens_per_day=max(tpd, 1.0),
                       sovereignty=question.sovereignty, date=day.isoformat(), catalog=catalog)
        except ExpectedOutcome as exc:
            rows.append(MoveRow(**base, plan=None, plan_usd_per_month=None, saving_usd_per_month=None, payback_months=None,
                                reason=f"no plan: {exc}"))
            continue
        priced = [e for e in res.front if e.money.usd_per_month is not None]
        best = min(priced, key=lambda e: e.money.usd_per_month or 0.0)
        d = best.deployment
        cost = float(best.money.usd_per_month or 0.0)
        saving = today - cost
        rows.append(MoveRow(
            **base, plan=f"{d.capacity} ({d.pricing}), {d.instances} x {d.accelerators_per_instance} x {d.accelerator}",
            plan_usd_per_month=cost, saving_usd_per_month=saving,
            payback_months=exit_usd / saving if saving > 0 else None,
            reason=(f"tokenfab plan --model {t.catalog_model} --isl {isl:.0f} --osl {question.osl:g} --tokens-per-day "
                    f"{tpd:.4g} --sovereignty {question.sovereignty} (mean {out_per_day:.4g} output tok/day x peak/mean "
                    f"{question.peak_to_mean:g}); cheapest of {len(res.front)} front rows")
            + ("" if saving > 0 else "; no saving: no payback")))
    rows += _accelerator_rows(summary, question, catalog, day, exits) if days > 0 else []
    # the move: the rows whose plan saves money (a row that would cost more stays where it is)
    saving_rows = [r for r in rows if (r.saving_usd_per_month or 0.0) > 0 and r.kind != OWN_KIND]
    today_total = sum(r.today_usd_per_month for r in saving_rows)
    plan_total = sum(r.plan_usd_per_month or 0.0 for r in saving_rows)
    exit_total = sum(max(r.exit_cost_usd for r in saving_rows if r.provider == p)
                     for p in {r.provider for r in saving_rows})
    if len(saving_rows) < len(rows):
        notes.append(f"totals count the {len(saving_rows)} of {len(rows)} rows whose plan saves money (owning is an "
                     "alternative shown beside renting, never added to it); the others stay where they are")
    saving = today_total - plan_total
    return MoveSummary(sovereignty=question.sovereignty, peak_to_mean=question.peak_to_mean, date=day.isoformat(),
                       rows=tuple(rows), today_usd_per_month=today_total, plan_usd_per_month=plan_total,
                       saving_usd_per_month=saving, exit_cost_usd=exit_total,
                       payback_months=exit_total / saving if saving > 0 else None, notes=tuple(notes))


def cheapest_compliant(catalog: Catalog, accelerator: str, preset: str, day: dt.date) -> tuple[Offer, float] | None:
    """The cheapest on-demand offer of ``accelerator`` whose provider and region pass ``preset``, with its USD/accel-hour."""
    best: tuple[Offer, float] | None = None
    acc = catalog.accelerator(accelerator)
    for o in catalog.typed("offers", Offer):
        if o.accelerator != accelerator or o.on_demand_price_per_accel_hour is None:
            continue
        if not assess(catalog.provider(o.provider), preset, day, o, acc).passes:
            continue
        price = catalog.to_usd(o.on_demand_price_per_accel_hour, o.currency)
        if best is None or price < best[1]:
            best = (o, price)
    return best


def _accelerator_rows(summary: BillSummary, q: MoveQuestion, catalog: Catalog, day: dt.date,
                      exits: dict[str, float]) -> list[MoveRow]:
    days = summary.days or 0.0
    if q.own_grid is not None:
        catalog.grid(q.own_grid)  # an unknown grid is refused before any row is priced
    groups: dict[tuple[str, str, str], tuple[float, float]] = {}
    for a in summary.accelerators:
        if a.accelerator is None or a.accelerator_hours is None:
            continue
        k = (a.accelerator, a.provider, a.instance_type)
        h, usd = groups.get(k, (0.0, 0.0))
        groups[k] = (h + a.accelerator_hours, usd + a.effective_usd)
    rows = []
    for (acc, prov, it), (hours, usd) in groups.items():
        per_month = DAYS_PER_MONTH / days
        today, hours_pm = usd * per_month, hours * per_month
        exit_usd = exits.get(prov, 0.0)
        if q.own_grid is not None:
            rows.append(own_row(catalog, acc, it, prov, hours_pm, today, exit_usd, q.own_grid, q.sovereignty, day))
        found = cheapest_compliant(catalog, acc, q.sovereignty, day)
        prov_row = match_provider(catalog, prov)
        if found is None:
            rows.append(MoveRow(kind="accelerators", subject=it, provider=prov, today_usd_per_month=today, plan=None,
                                plan_usd_per_month=None, saving_usd_per_month=None, exit_cost_usd=exit_usd,
                                payback_months=None, reason=f"no on-demand {acc} offer passes {q.sovereignty}"))
            continue
        offer, price = found
        cost = hours_pm * price
        saving = today - cost
        same = prov_row is not None and offer.provider == prov_row.id
        rows.append(MoveRow(
            kind="accelerators", subject=it, provider=prov, today_usd_per_month=today,
            plan=f"{offer.id} (on_demand), {hours_pm:,.0f} {acc}-hours/month", plan_usd_per_month=cost,
            saving_usd_per_month=saving, exit_cost_usd=0.0 if same else exit_usd,
            payback_months=((0.0 if same else exit_usd) / saving) if saving > 0 else None,
            reason=f"same accelerator-hours at {price:.3f} USD/accel-hour, the cheapest on-demand {acc} offer passing "
                   f"{q.sovereignty}" + ("" if saving > 0 else "; no saving: no payback")))
    return rows
