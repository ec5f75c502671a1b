"""`tokenfab gigawatt`: a site of P megawatts (or a catalog facility) in accelerators, systems
and tokens per day, or the power a traffic needs. Power per accelerator comes from the
catalog system (a rack's IT load for NVL72-class racks, a server's otherwise) plus the
cluster's network and storage share; PUE from the facility, else the industry average
(flagged). Throughput per accelerator comes from the one evaluation of one system."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from ..catalog import assumptions as A
from ..catalog.hardware import Accelerator, System
from ..catalog.loader import Catalog, load_catalog
from ..catalog.sites import Facility
from ..economics import facility as F
from ..economics.siting import choose_pue
from ..errors import InputError, TokenfabError
from ..inputs import ResultModel, parse_input
from .evaluate import evaluate_deployment
from .result import Assumption, Evaluation
from .spec import Deployment

SYSTEM_FORM_PREFERENCE = ("rack", "server", "pod", "instance", "slice", "card", "wafer-system")


class SiteQuestion(Deployment):
    """A deployment of one system's worth of accelerators, replicated over a site."""

    mw: float | None = Field(default=None, gt=0, le=100_000, description="Site power [MW] (grid power unless it_power).")
    facility: str | None = Field(default=None, max_length=80, description="A catalog facility: its power, chips and PUE.")
    it_power: bool = Field(default=False, description="The MW figure is IT (critical) power, not grid power.")
    price_usd_per_mtok: float | None = Field(default=None, ge=0, le=10_000, description="Revenue per M output tokens [USD].")

    @model_validator(mode="after")
    def _site(self) -> SiteQuestion:
        if self.mw is not None and self.facility is not None:
            raise ValueError("give mw or facility, not both (a facility brings its own power figure)")
        if self.mw is None and self.facility is None and not self.has_traffic:
            raise ValueError("give mw (--mw P), facility (--facility ID) or a traffic (rate_rps or tokens_per_day)")
        if self.offer is not None or self.own:
            raise ValueError("gigawatt sizes a site of accelerators: drop offer and own")
        return self


class ChipRank(ResultModel):
    accelerator: str
    output_tok_per_joule_it: float
    tok_per_s_per_accel: float
    it_w_per_accel: float


class SiteOutput(ResultModel):
    power_basis: str
    it_power_w: float
    grid_power_w: float
    accelerators: int
    systems: int
    tokens_per_day: float
    revenue_usd_per_day: float | None = None
    # the 80 % interval of the throughput estimate (performance.accuracy) carried through
    tokens_per_day_low: float | None = None
    tokens_per_day_high: float | None = None


class PowerForTraffic(ResultModel):
    demand_output_tok_per_s: float
    accelerators: int
    it_power_w: float
    grid_power_w: float
    # at the 80 % interval's ends: the low throughput needs the most accelerators and power
    accelerators_low: int | None = None
    accelerators_high: int | None = None
    grid_power_w_low: float | None = None
    grid_power_w_high: float | None = None


class SiteReport(ResultModel):
    evaluation: Evaluation  # one system, unpriced, at the site's utilization
    facility: str | None
    announced_accelerators: int | None
    announced_accelerators_power_w: float | None  # the power figure the announced count goes with
    system: str | None
    accelerators_per_system: int
    system_power_w: float
    system_power_basis: str
    cluster_overhead_frac: float
    it_w_per_accelerator: float
    pue: float
    pue_basis: str
    pue_is_fallback: bool
    utilization: float
    site: SiteOutput | None
    for_traffic: PowerForTraffic | None
    ranking: tuple[ChipRank, ...]
    assumptions: tuple[Assumption, ...]


def site_system(cat: Catalog, acc: Accelerator) -> tuple[System | None, int, float, str]:
    """(system, accelerators per system, provisioned power [W], basis) the site is built from."""
    systems = [s for s in cat.typed("systems", System) if s.accelerator == acc.id and s.system_power_w]
    systems.sort(key=lambda s: SYSTEM_FORM_PREFERENCE.index(s.form) if s.form in SYSTEM_FORM_PREFERENCE else 99)
    if systems:
        s = systems[0]
        return s, s.accelerators_per_system, float(s.system_power_w or 0.0), (
            f"{s.id} ({s.form}) {s.system_power_w:,.0f} W, {s.kind_of('system_power_w')}; {s.source}")
    if acc.tdp_w is None:
        raise InputError(f"accelerator {acc.id} has no published tdp_w and no system power; cannot size a site")
    server = A.number("server_non_accelerator_w_per_8_accel")
    return None, 8, 8 * acc.tdp_w + server, (
        f"no catalog system with a power figure: 8 x TDP {acc.tdp_w:g} W + {server:g} W server share (estimate)")


def _evaluate(cat: Catalog, q: SiteQuestion, acc: Accelerator, per_system: int) -> Evaluation:
    fields = q.model_dump(exclude={"mw", "facility", "it_power", "price_usd_per_mtok"})
    fields.update(accelerator=acc.id, count=q.count or per_system)
    if q.has_traffic:  # the system's capacity: one instance; the traffic is sized below
        fields.update(rate_rps=None, tokens_per_day=None)
    return evaluate_deployment(Deployment.model_validate(fields, strict=False), cat)


def _rank(cat: Catalog, q: SiteQuestion) -> list[tuple[ChipRank, Accelerator]]:
    """Every catalog chip the engine can evaluate, by output tokens per joule of IT energy."""
    out = []
    overhead = A.number("cluster_it_overhead_frac")
    for acc in cat.typed("accelerators", Accelerator):
        if not (acc.tdp_w and acc.memory_bytes and acc.memory_bandwidth_bytes_per_s):
            continue
        try:
            _, per_sys, sys_w, _ = site_system(cat, acc)
            ev = _evaluate(cat, q, acc, per_sys)
        except TokenfabError:
            continue
        w = float(F.it_w_per_accelerator(sys_w, per_sys, overhead))
        thr = ev.performance.throughput_per_accelerator_tok_per_s
        out.append((ChipRank(accelerator=acc.id, output_tok_per_joule_it=thr / w, tok_per_s_per_accel=thr,
                             it_w_per_accel=w), acc))
    out.sort(key=lambda r: -r[0].output_tok_per_joule_it)
    return out


def site_report(question: SiteQuestion | Mapping[str, Any], catalog: Catalog | None = None) -> SiteReport:
    q = question if isinstance(question, SiteQuestion) else parse_input(SiteQuestion, dict(question))
    cat = catalog or load_catalog()
    fac: Facility | None = cat.facility(q.facility) if q.facility else None
    ranking: list[tuple[ChipRank, Accelerator]] = []
    used = [A.cited("cluster_it_overhead_frac")]
    acc_id = q.accelerator or (fac.accelerator if fac else None)
    if acc_id is None:
        ranking = _rank(cat, q)
        if not ranking:
            raise InputError(f"no catalog accelerator can serve {q.model} with the given options")
        acc_id = ranking[0][1].id
        used.append({"name": "accelerator", "value": acc_id, "kind": "derived",
                     "source": "chosen by tokenfab: most output tokens per joule (IT) among catalog chips"})
    acc = cat.accelerator(acc_id)
    system, per_sys, sys_w, sys_basis = site_system(cat, acc)
    overhead = A.number("cluster_it_overhead_frac")
    w_acc = float(F.it_w_per_accelerator(sys_w, per_sys, overhead))
    d = A.cited("pue_ai_campus_default")
    pue = choose_pue(q.pue, fac.pue if fac else None, None, float(d["value"]), str(d["source"]),
                     default_label="default for large AI campuses")
    if pue.fallback:
        used.append(d)
    ev = _evaluate(cat, q, acc, per_sys)
    thr = ev.performance.throughput_per_accelerator_tok_per_s
    util = q.serving_utilization() if not q.has_traffic else A.number("serving_utilization")
    site = None
    power_w = q.mw * 1e6 if q.mw is not None else None
    grid_power = not q.it_power
    if fac is not None:
        power_w = fac.operating_power_w or fac.announced_power_w
        grid_power = fac.power_basis == "grid"
    band = ev.performance.accuracy
    ends = () if band is None else (band.ratio_low, band.ratio_high)
    if power_w is not None:
        s = F.site_output(power_w, grid_power, pue.value, w_acc, per_sys, thr, util, q.price_usd_per_mtok)
        lo_hi = [float(F.site_output(power_w, grid_power, pue.value, w_acc, per_sys, thr * r, util,
                                     q.price_usd_per_mtok)["tokens_per_day"]) for r in ends]
        site = SiteOutput(power_basis="grid" if grid_power else "it", it_power_w=float(s["it_power_w"]),
                          grid_power_w=float(s["grid_power_w"]), accelerators=int(s["accelerators"]),
                          systems=int(s["systems"]), tokens_per_day=float(s["tokens_per_day"]),
                          revenue_usd_per_day=float(s["revenue_usd_per_day"]) if "revenue_usd_per_day" in s else None,
                          **(dict(tokens_per_day_low=lo_hi[0], tokens_per_day_high=lo_hi[1]) if lo_hi else {}))
    traffic = None
    demand = q.demand_tok_per_s()
    if demand is not None:
        need = F.power_for_tokens(demand, thr, 1.0, w_acc, pue.value)
        at = [F.power_for_tokens(demand, thr * r, 1.0, w_acc, pue.value) for r in ends]
        rng = {} if not at else dict(  # the low throughput (first end) needs the most
            accelerators_low=int(at[1]["accelerators"]), accelerators_high=int(at[0]["accelerators"]),
            grid_power_w_low=float(at[1]["grid_power_w"]), grid_power_w_high=float(at[0]["grid_power_w"]))
        traffic = PowerForTraffic(demand_output_tok_per_s=demand, accelerators=int(need["accelerators"]),
                                  it_power_w=float(need["it_power_w"]), grid_power_w=float(need["grid_power_w"]), **rng)
    return SiteReport(
        evaluation=ev, facility=fac.id if fac else None, announced_accelerators=fac.accelerator_count if fac else None,
        announced_accelerators_power_w=fac.accelerator_count_power_w if fac else None,
        system=system.id if system else None, accelerators_per_system=per_sys, system_power_w=sys_w,
        system_power_basis=sys_basis, cluster_overhead_frac=overhead, it_w_per_accelerator=w_acc, pue=pue.value,
        pue_basis=pue.basis, pue_is_fallback=pue.fallback, utilization=util, site=site, for_traffic=traffic,
        ranking=tuple(r for r, _ in ranking[:10]),
        assumptions=tuple(Assumption.from_cited(u) for u in used))
