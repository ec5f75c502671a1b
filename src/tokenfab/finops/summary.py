"""What a FOCUS bill says: one DuckDB scan groups every charge into a small fact table
(provider x host x region x service x charge/pricing category x month x kind x model x
token type x instance type); every summary is then a regrouping of those facts in Python.

Kinds of charge (first rule that matches):

* tokens: ConsumedUnit or PricingUnit mentions tokens and SkuPriceDetails has a ``ModelId``
  (FOCUS 1.2+ SKU price properties); tokens = ConsumedQuantity x the unit's leading number
  when ConsumedUnit is in tokens, else PricingQuantity x the number in PricingUnit
  ("1000000 Tokens" -> 10^6). ``TokenType`` input/prompt vs output/completion.
* accelerators: an instance type (SkuPriceDetails ``InstanceType``, else an AWS-style name
  such as ``p5.48xlarge`` in ChargeDescription) that a catalog offer rents, billed in hours.
* egress: a charge in GB/GiB/TB whose description or meter says data transfer out, to the
  internet, egress or outbound.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..catalog.loader import Catalog, load_catalog
from ..catalog.market import Offer
from ..economics.egress import exit_cost
from .focus import PRICING_GROUPS
from .places import EU, UNKNOWN, match_provider, place
from .read import connect, open_bill, unreadable
from .result import AcceleratorSpend, BillSummary, EgressSpend, Exposure, SpendRow, TokenSpend

DIMENSIONS: tuple[str, ...] = ("provider", "host", "region", "jurisdiction", "service", "charge", "pricing", "month")
DAYS_PER_MONTH = 365.25 / 12
EGRESS_PATTERN = "transfer out|to internet|egress|outbound"
GB_PER_UNIT = {"gb": 1.0, "gib": 1.073741824, "tb": 1e3, "tib": 1099.511627776}
_MULT = "coalesce(TRY_CAST(nullif(regexp_extract({u}, '^\\s*([0-9]+)', 1), '') AS DOUBLE), 1)"


def _dsum(expr: str) -> str:
    """An exact sum of money: DECIMAL arithmetic does not depend on the order DuckDB's threads
    add rows in, so the same bill gives the same cents in every run."""
    return f"CAST(sum(CAST({expr} AS DECIMAL(38, 12))) AS DOUBLE)"


FACTS_SQL = f"""
WITH b AS (
  SELECT *, lower(coalesce(ConsumedUnit, '')) AS cu, lower(coalesce(PricingUnit, '')) AS pu,
         CASE WHEN SkuPriceDetails IS NOT NULL AND json_valid(SkuPriceDetails) THEN SkuPriceDetails END AS spd
  FROM bill
), k AS (
  SELECT *, json_extract_string(spd, '$.ModelId') AS model_id,
         lower(json_extract_string(spd, '$.TokenType')) AS tt,
         lower(coalesce(json_extract_string(spd, '$.InstanceType'),
                        nullif(regexp_extract(coalesce(ChargeDescription, ''), '([a-z][a-z0-9]*\\.[0-9]*x?large)', 1), '')))
           AS it
  FROM b
), c AS (
  SELECT *, CASE
      WHEN (cu LIKE '%token%' OR pu LIKE '%token%') AND model_id IS NOT NULL THEN 'tokens'
      WHEN it IS NOT NULL AND list_contains($instances, it) AND cu LIKE 'hour%' THEN 'accelerators'
      WHEN cu IN ('gb', 'gib', 'tb', 'tib') AND regexp_matches(lower(coalesce(ChargeDescription, '') || ' '
           || coalesce(SkuMeter, '')), '{EGRESS_PATTERN}') THEN 'egress'
      ELSE 'other' END AS kind
  FROM k
)
SELECT ServiceProviderName AS sp, HostProviderName AS hp, RegionId AS region, ServiceName AS service,
       ChargeCategory AS charge, PricingCategory AS pricing, upper(trim(BillingCurrency)) AS currency,
       strftime(ChargePeriodStart, '%Y-%m') AS month, kind,
       CASE WHEN kind = 'tokens' THEN model_id END AS model_id,
       CASE WHEN kind <> 'tokens' THEN NULL
            WHEN tt LIKE '%input%' OR tt LIKE '%prompt%' THEN 'input'
            WHEN tt LIKE '%output%' OR tt LIKE '%completion%' OR tt LIKE '%generat%' THEN 'output'
            ELSE 'other' END AS token_type,
       CASE WHEN kind = 'accelerators' THEN it END AS instance_type,
       count(*) AS n, {_dsum('BilledCost')} AS billed, {_dsum('coalesce(EffectiveCost, BilledCost)')} AS effective,
       {_dsum('ListCost')} AS list, count(*) FILTER (WHERE EffectiveCost IS NULL) AS no_effective,
       sum(CASE WHEN kind <> 'tokens' THEN 0
                WHEN cu LIKE '%token%' AND ConsumedQuantity IS NOT NULL THEN ConsumedQuantity * {_MULT.format(u='cu')}
                ELSE PricingQuantity * {_MULT.format(u='pu')} END) AS tokens,
       sum(CASE WHEN kind = 'accelerators' THEN ConsumedQuantity END) AS hours,
       sum(CASE WHEN kind = 'egress' THEN ConsumedQuantity * CASE cu WHEN 'gb' THEN 1 WHEN 'gib' THEN {GB_PER_UNIT['gib']}
                WHEN 'tb' THEN 1e3 ELSE {GB_PER_UNIT['tib']} END END) AS egress_gb,
       min(ChargePeriodStart) AS start, max(ChargePeriodEnd) AS "end"
FROM c GROUP BY ALL ORDER BY ALL
"""


def instance_offers(catalog: Catalog) -> dict[str, list[Offer]]:
    """Catalog offers by lower-case instance type (e.g. 'p5.48xlarge' -> the p5 offers)."""
    out: dict[str, list[Offer]] = {}
    for o in catalog.typed("offers", Offer):
        if o.instance_type:
            out.setdefault(o.instance_type.lower(), []).append(o)
    return out


def bill_facts(paths: list[str | Path] | tuple[str | Path, ...], catalog: Catalog, threads: int | None = None,
               memory_limit: str | None = None) -> tuple[Any, tuple[str, ...]]:
    """The grouped fact table (pandas DataFrame) of the bill files, and the files read."""
    import duckdb

    con = connect(threads, memory_limit or "1GB")
    try:
        files = open_bill(con, paths)
        facts = con.execute(FACTS_SQL, {"instances": sorted(instance_offers(catalog))}).df()
    except duckdb.Error as exc:
        raise unreadable(exc) from None
    finally:
        con.close()
    return facts, tuple(str(f) for f in files.all)


def _f(v: Any) -> float:
    return 0.0 if v is None or v != v else float(v)  # NaN (an empty sum) -> 0


def _per(amount: float, quantity: float, scale: float = 1.0) -> float | None:
    return amount / quantity * scale if quantity > 0 else None


def summarize(paths: list[str | Path] | tuple[str | Path, ...], catalog: Catalog | None = None,
              on_date: dt.date | None = None, threads: int | None = None, memory_limit: str | None = None) -> BillSummary:
    """Read FOCUS files and summarize them (see the module docstring for what is recognised)."""
    cat = catalog or load_catalog()
    facts, files = bill_facts(paths, cat, threads, memory_limit)
    notes: list[str] = []
    # currency: every group converted to USD at the catalog's newest rate
    currencies = sorted({str(c) for c in facts["currency"].dropna().unique()})
    rate = {c: cat.to_usd(1.0, c) for c in currencies}
    fx_note = None
    if any(c != "USD" for c in currencies):
        fx_note = "; ".join(f"{c} at {rate[c]:.4g} USD (catalog fx_rates, newest)" for c in currencies if c != "USD")
    if facts["currency"].isna().any():
        notes.append("some charges have no BillingCurrency: read as USD")
    usd = facts["currency"].map(lambda c: rate.get(str(c), 1.0) if c == c and c is not None else 1.0)
    for col in ("billed", "effective", "list"):
        facts[col] = facts[col].astype(float) * usd
    if int(facts["no_effective"].sum()):
        notes.append(f"{int(facts['no_effective'].sum()):,} charges have no EffectiveCost: their BilledCost is used")
    places = {k: place(cat, *k) for k in {(_s(r.sp), _s(r.hp), _s(r.region)) for r in facts.itertuples()}}
    keyed = [places[(_s(r.sp), _s(r.hp), _s(r.region))] for r in facts.itertuples()]
    facts["jurisdiction"] = [p.jurisdiction for p in keyed]
    facts["country"] = [p.country for p in keyed]
    facts["cloud_act"] = [p.cloud_act_exposed for p in keyed]
    total_eff, total_billed = _f(facts["effective"].sum()), _f(facts["billed"].sum())
    start, end = facts["start"].min(), facts["end"].max()
    days = (end - start).total_seconds() / 86400 if start == start and end == end else None
    by = {dim: _spend(facts, dim, total_eff) for dim in DIMENSIONS}
    day = on_date or dt.date.today()
    return BillSummary(
        files=files, rows=int(facts["n"].sum()), period_start=_iso(start), period_end=_iso(end), days=days,
        currency=",".join(currencies) or "USD", fx_note=fx_note, billed_usd=total_billed, effective_usd=total_eff,
        list_usd=_f(facts["list"].sum()) if facts["list"].notna().any() else None, by=by,
        tokens=_tokens(facts, cat), accelerators=_accelerators(facts, cat), egress=_egress(facts, cat, days, day),
        exposure=_exposure(facts, total_eff), notes=tuple(notes))


def _s(v: Any) -> str | None:
    return None if v is None or v != v else str(v)


def _iso(ts: Any) -> str | None:
    return None if ts is None or ts != ts else ts.isoformat()


def _label(v: Any) -> str:
    return "(not in bill)" if v is None or v != v else str(v)


def _spend(facts: Any, dim: str, total: float) -> tuple[SpendRow, ...]:
    cols = {"provider": ["sp"], "host": ["sp", "hp"], "region": ["sp", "region", "country", "jurisdiction"],
            "jurisdiction": ["jurisdiction"], "service": ["service"], "charge": ["charge"], "pricing": ["pricing"],
            "month": ["month"]}[dim]
    names = {"sp": "service_provider", "hp": "host_provider"}
    f = facts.assign(**{c: facts[c].map(_label) for c in cols})
    if dim == "pricing":
        f["pricing"] = f["pricing"].map(lambda p: PRICING_GROUPS.get(p, p))
    g = f.groupby(cols, dropna=False)[["billed", "effective", "n"]].sum().reset_index()
    g = g.sort_values("effective", ascending=False)
    return tuple(SpendRow(key={names.get(c, c): str(getattr(r, c)) for c in cols}, billed_usd=_f(r.billed),
                          effective_usd=_f(r.effective), share_frac=_f(r.effective) / total if total else 0.0, rows=int(r.n))
                 for r in g.itertuples())


def _tokens(facts: Any, cat: Catalog) -> tuple[TokenSpend, ...]:
    from .move import match_model

    t = facts[facts["kind"] == "tokens"].assign(sp=lambda d: d["sp"].map(_label))
    out = []
    for (model, prov), g in t.groupby(["model_id", "sp"], dropna=False):
        part = {tt: g[g["token_type"] == tt] for tt in ("input", "output", "other")}
        tok = {k: _f(v["tokens"].sum()) for k, v in part.items()}
        cost = {k: _f(v["effective"].sum()) for k, v in part.items()}
        out.append(TokenSpend(
            model_id=str(model), catalog_model=match_model(cat, str(model)), provider=str(prov),
            input_tokens=tok["input"], output_tokens=tok["output"], other_tokens=tok["other"], input_usd=cost["input"],
            output_usd=cost["output"], other_usd=cost["other"], usd_per_mtok_input=_per(cost["input"], tok["input"], 1e6),
            usd_per_mtok_output=_per(cost["output"], tok["output"], 1e6)))
    return tuple(sorted(out, key=lambda r: -(r.input_usd + r.output_usd + r.other_usd)))


def _list_offer(offers: list[Offer], provider: str | None, region: str | None) -> Offer | None:
    priced = [o for o in offers if o.on_demand_price_per_accel_hour is not None]
    for pick in ([o for o in priced if o.provider == provider and o.region == region],
                 [o for o in priced if o.provider == provider], priced):
        if pick:
            return min(pick, key=lambda o: o.id)
    return None


def _accelerators(facts: Any, cat: Catalog) -> tuple[AcceleratorSpend, ...]:
    by_type = instance_offers(cat)
    a = facts[facts["kind"] == "accelerators"]
    out = []
    for (it, sp, region, pricing), g in a.groupby(["instance_type", "sp", "region", "pricing"], dropna=False):
        offers = by_type.get(str(it), [])
        prov = match_provider(cat, _s(sp))
        ref = _list_offer(offers, prov.id if prov else None, _s(region))
        count = ref.accelerator_count if ref else (offers[0].accelerator_count if offers else None)
        hours, eff = _f(g["hours"].sum()), _f(g["effective"].sum())
        accel_h = hours * count if count else None
        paid = _per(eff, accel_h or 0.0)
        od = ref.on_demand_price_per_accel_hour if ref else None
        listed = cat.to_usd(od, ref.currency) if (ref and od) else None
        out.append(AcceleratorSpend(
            instance_type=str(it), provider=_label(sp), region=_label(region), pricing_category=_label(pricing),
            accelerator=offers[0].accelerator if offers else None, accelerators_per_instance=count, instance_hours=hours,
            accelerator_hours=accel_h, effective_usd=eff, usd_per_accel_hour=paid, list_usd_per_accel_hour=listed,
            list_offer=ref.id if ref else None,
            vs_list_frac=(paid / listed - 1.0) if (paid is not None and listed) else None))
    return tuple(sorted(out, key=lambda r: -r.effective_usd))


def _egress(facts: Any, cat: Catalog, days: float | None, day: dt.date) -> tuple[EgressSpend, ...]:
    e = facts[facts["kind"] == "egress"]
    out = []
    for sp, g in e.groupby(e["sp"].map(_label)):
        vol, eff = _f(g["egress_gb"].sum()), _f(g["effective"].sum())
        prov = match_provider(cat, None if sp == "(not in bill)" else sp)
        per_month = vol * DAYS_PER_MONTH / days if days and days > 0 else vol
        if prov is None or prov.egress is None:
            cost, rule = None, ("provider not in the catalog" if prov is None else f"{prov.id} publishes no egress tiers")
        else:
            amount, rule = exit_cost(per_month, prov.egress, day)
            cost = cat.to_usd(amount, prov.egress.currency)
            rule = f"one month's billed egress ({per_month:,.0f} GB) at {prov.id}'s tiers; {rule}"
        out.append(EgressSpend(provider=str(sp), volume_gb=vol, effective_usd=eff, usd_per_gb=_per(eff, vol),
                               exit_cost_usd=cost, exit_rule=rule))
    return tuple(sorted(out, key=lambda r: -r.effective_usd))


def _exposure(facts: Any, total: float) -> Exposure:
    j = facts.groupby("jurisdiction")["effective"].sum()
    eu, unknown = _f(j.get(EU, 0.0)), _f(j.get(UNKNOWN, 0.0))
    cloud = _f(facts.loc[facts["cloud_act"], "effective"].sum())
    non_eu = total - eu - unknown
    share = (lambda v: v / total if total else 0.0)
    return Exposure(total_usd=total, eu_usd=eu, non_eu_usd=non_eu, cloud_act_usd=cloud, unknown_usd=unknown,
                    non_eu_share_frac=share(non_eu), cloud_act_share_frac=share(cloud), unknown_share_frac=share(unknown))
