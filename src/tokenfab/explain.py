"""Why a plan row is what it is: where its time, money and energy go, each constraint it
passes and by how much, and its roofline points. Used by `plan --explain`, the web app's
candidate panel and `POST /api/plan/explain`."""

from __future__ import annotations

from typing import Any

from .catalog import Catalog, load_catalog
from .economics import cost as C
from .errors import InputError
from .inputs import parse_input
from .planner import PlanResult, Scenario, ownership_parts, json_safe


def explain(result: PlanResult, n: int, catalog: Catalog | None = None) -> dict[str, Any]:
    """Full breakdown of front row ``n`` (1-based): where the time, the money and the energy
    go, each constraint it passes and by how much, and its roofline points."""
    from .estimate import EstimateRequest, estimate_request
    from .roofline import roofline

    cat = catalog or load_catalog()
    if not 1 <= n <= len(result.front):
        raise InputError(f"explain = {n}: the front has {len(result.front)} rows; use 1..{len(result.front)}")
    s = Scenario.model_validate(dict(result.scenario))
    r = result.front[n - 1]
    req = parse_input(EstimateRequest, dict(
        model=s.model, accelerator=r["accelerator"], count=r["accelerators_per_instance"], tp=r["tp"], pp=r["pp"],
        ep=r["ep"], weights=r["weights"], kv=r["kv"], isl=s.isl, osl=s.osl, concurrency=r["concurrency_per_instance"],
        stack=r["stack"]))
    est = estimate_request(req, cat)
    checks = {
        "fits in memory": f"{est.memory_per_device_bytes / 1e9:.1f} GB of {est.memory_capacity_bytes / 1e9:.0f} GB per device",
        "TTFT": f"p99 {r['ttft_p99_s'] * 1e3:.0f} ms <= {s.ttft_max_s * 1e3:g} ms",
        "TPOT": f"p99 {r['tpot_p99_s'] * 1e3:.1f} ms <= {s.tpot_max_s * 1e3:g} ms",
        "budget": (f"${r['usd_per_month']:,.0f}/month <= ${s.budget_usd_per_month:,.0f}"
                   if s.budget_usd_per_month else "no budget set"),
        "carbon": (f"{r['gco2e_per_1k_tok']:.3f} <= {s.max_gco2e_per_1k_tok:g} gCO2e/1k"
                   if s.max_gco2e_per_1k_tok else "no carbon cap set"),
        "sovereignty": f"{s.sovereignty}: {r['sovereignty_reasons']}",
    }
    hours = C.HOURS_PER_MONTH
    money = {
        "usd_per_accel_hour": r["usd_per_accel_hour"], "accelerators_total": r["accelerators_total"],
        "hours_per_month": hours, "usd_per_month": r["usd_per_month"], "usd_per_mtok": r["usd_per_mtok"],
        "utilization": r["utilization"],
    }
    if r["pricing"] == "owned":
        parts = ownership_parts(cat, cat.get("systems", r["offer"].removeprefix("own:")), cat.get("grids", s.own_grid))
        money["ownership_usd_per_accel_hour"] = parts
    return json_safe(dict(rank=n, row=dict(r), time_per_step=est.time_shares, bound=est.bound, mfu=est.mfu, mbu=est.mbu,
                       money=money, constraints=checks, roofline=roofline(req, cat)))
