"""Why a plan row is what it is: the row re-evaluated from its pinned deployment (the same
figures ``cost``/``energy``/``evaluate`` give), each constraint it passes and by how much,
and its roofline points. Used by ``plan --explain``, the web app and ``POST /api/plan/explain``."""

from __future__ import annotations

import math

from ..catalog.loader import Catalog, load_catalog
from ..deployment.evaluate import evaluate_deployment, pinned
from ..deployment.result import Evaluation
from ..deployment.roofline import Roofline, roofline
from ..errors import InputError
from ..inputs import ResultModel
from .result import PlanResult


class Explanation(ResultModel):
    rank: int
    evaluation: Evaluation
    constraints: dict[str, str]
    roofline: Roofline


def _limit_ms(limit_s: float, scenario: str) -> str:
    """'<= 50 ms', or what stands for an infinite limit (the offline scenario has none)."""
    return f"<= {limit_s * 1e3:g} ms" if math.isfinite(limit_s) else f"(no limit in the {scenario} scenario)"


def explain(result: PlanResult, n: int, catalog: Catalog | None = None) -> Explanation:
    """Full breakdown of front row ``n`` (1-based)."""
    cat = catalog or load_catalog()
    if not 1 <= n <= len(result.front):
        raise InputError(f"explain = {n}: the front has {len(result.front)} rows; use 1..{len(result.front)}")
    s = result.scenario
    d = pinned(result.front[n - 1])
    ev = evaluate_deployment(d, cat)
    row_risk = result.front[n - 1].risk  # the plan judged this row at a risk quantile: the same figures
    if row_risk is not None:
        ev = ev.model_copy(update={"risk": row_risk})
    perf, money, energy = ev.performance, ev.money, ev.energy
    ttft, tpot = s.limits_s()
    checks = {
        "fits in memory": f"{perf.memory_per_device_bytes / 1e9:.1f} GB of {perf.memory_capacity_bytes / 1e9:.0f} GB per device",
        "TTFT": f"p99 {perf.ttft_p99_s * 1e3:.0f} ms {_limit_ms(ttft, s.scenario)}",
        "TPOT": f"p99 {perf.tpot_p99_s * 1e3:.1f} ms {_limit_ms(tpot, s.scenario)}",
        "budget": (f"${money.usd_per_month or 0:,.0f}/month <= ${s.budget_usd_per_month:,.0f}"
                   if s.budget_usd_per_month else "no budget set"),
        "carbon": (f"{energy.gco2e_per_1k_tok or 0:.3f} <= {s.max_gco2e_per_1k_tok:g} gCO2e/1k"
                   if s.max_gco2e_per_1k_tok else "no carbon cap set"),
        "sovereignty": f"{s.sovereignty}: {'; '.join(ev.sovereignty.reasons) if ev.sovereignty else 'not assessed'}",
    }
    if row_risk is not None:
        checks["risk"] = (f"constraints judged at {row_risk.risk}: throughput x {row_risk.throughput_ratio:.2f} "
                          f"({row_risk.throughput_output_tok_per_s:,.0f} tok/s per instance), "
                          f"${row_risk.usd_per_month or 0:,.0f}/month, mean latency {row_risk.latency_s:.2f} s")
    lay = ev.deployment
    if lay.speculative != "off":  # what the TPOT above assumes
        checks["speculative decoding"] = (f"{lay.speculative}: {lay.draft_tokens} drafted per step at "
                                          f"{lay.acceptance_rate:g} acceptance = {lay.tokens_per_step:.2f} tokens/step")
    return Explanation(rank=n, evaluation=ev, constraints=checks, roofline=roofline(ev, d, cat))
