"""A self-contained HTML report of a plan (Plotly's JavaScript inlined; works offline)."""

from __future__ import annotations

import html
from typing import Any

from ..planner.result import PlanResult

COLUMNS = (
    ("capacity", "offer"), ("provider", "provider"), ("region", "region"), ("accelerator", "accelerator"),
    ("instances", "instances"), ("weights", "weights"), ("usd_per_mtok_output", "$/M output tokens"),
    ("usd_per_month", "$/month"), ("ttft_s", "mean TTFT s"), ("tpot_s", "mean TPOT s"),
    ("j_per_output_token", "J/output token"), ("gco2e_per_1k_tok", "gCO2e/1k tokens"),
    ("sovereignty_passes", "sovereignty passes"),
)


def plan_report_html(plan: PlanResult) -> str:
    import plotly.graph_objects as go

    front = plan.rows()
    result = plan.to_dict()
    fig = go.Figure()
    for prov in sorted({r["provider"] for r in front}):
        rows = [r for r in front if r["provider"] == prov]
        fig.add_trace(go.Scatter(
            x=[r["usd_per_mtok_output"] for r in rows], y=[r["latency_s"] for r in rows], mode="markers", name=prov,
            text=[f"{r['capacity']}<br>{r['instances']} x {r['accelerators_per_instance']} {r['accelerator']}" for r in rows],
        ))
    fig.update_layout(title="Pareto front: cost vs latency", xaxis_title="$ per million output tokens",
                      yaxis_title="mean request latency [s]", template="plotly_white")
    chart = fig.to_html(include_plotlyjs=True, full_html=False)
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(k)))}</td>" for k, _ in COLUMNS) + "</tr>" for r in front
    )
    sc = result.get("scenario", {})
    rejected = ", ".join(f"{html.escape(k)}: {v:,}" for k, v in result.get("rejected", {}).items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>tokenfab plan: {html.escape(str(sc.get('model')))}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}</style>
</head><body><h1>tokenfab plan: {html.escape(str(sc.get('model')))}</h1>
<p>{html.escape(_scenario_line(sc))}</p>
<p>{result.get('candidates_evaluated', 0):,} candidates evaluated, {result.get('feasible', 0):,} feasible;
ruled out: {rejected or 'none'}</p>
{chart}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<p>Figures from tokenfab; every catalog figure carries its source, date and kind (see the catalog).</p></body></html>"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    return "" if v is None else str(v)


def _scenario_line(sc: dict[str, Any]) -> str:
    traffic = f"{sc.get('rate_rps')} req/s" if sc.get("rate_rps") else f"{sc.get('tokens_per_day')} output tokens/day"
    limits = f"scenario {sc.get('scenario')}" + "".join(
        f", p99 {k.split('_')[0].upper()} <= {sc[k]} s" for k in ("ttft_max_s", "tpot_max_s") if sc.get(k) is not None)
    return f"{traffic}, {sc.get('isl')} in / {sc.get('osl')} out, {limits}, sovereignty {sc.get('sovereignty')}"
