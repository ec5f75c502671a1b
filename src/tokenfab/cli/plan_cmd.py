"""`tokenfab plan`: the Pareto front of every deployment, with rejections explained."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import options as O
from .output import console, err_console, print_json, report_overrides

List = Annotated[Optional[list[str]], typer.Option()]


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def plan_cmd(
    model: O.Model,
    isl: O.Isl,
    osl: O.Osl,
    rate_rps: Annotated[Optional[float], typer.Option("--rate-rps", help="Requests per second.")] = None,
    tokens_per_day: Annotated[Optional[float], typer.Option("--tokens-per-day", help="Output tokens per day.")] = None,
    ttft_max_s: O.TtftMax = None,
    tpot_max_s: O.TpotMax = None,
    sovereignty: Annotated[Optional[str], typer.Option("--sovereignty", help="none, eu-residency, eu-jurisdiction, secnumcloud.")] = None,
    date: Annotated[Optional[str], typer.Option("--date", help="Evaluation date YYYY-MM-DD.")] = None,
    buyer_country: Annotated[Optional[str], typer.Option("--buyer-country")] = None,
    budget_usd_per_month: Annotated[Optional[float], typer.Option("--budget-usd-per-month")] = None,
    max_gco2e_per_1k_tok: Annotated[Optional[float], typer.Option("--max-gco2e-per-1k-tok")] = None,
    provider: Annotated[Optional[list[str]], typer.Option("--provider", help="Allowed provider ids (repeat or comma).")] = None,
    exclude_provider: Annotated[Optional[list[str]], typer.Option("--exclude-provider")] = None,
    region: Annotated[Optional[list[str]], typer.Option("--region", help="Allowed region ids or ISO country codes.")] = None,
    accelerator: Annotated[Optional[list[str]], typer.Option("--accelerator", help="Allowed accelerator ids.")] = None,
    exclude_accelerator: Annotated[Optional[list[str]], typer.Option("--exclude-accelerator")] = None,
    pricing: Annotated[Optional[list[str]], typer.Option("--pricing", help="on_demand, reserved_1y, reserved_3y, spot.")] = None,
    weights: Annotated[Optional[list[str]], typer.Option("--weights", help="Weight dtypes to consider.")] = None,
    own: Annotated[bool, typer.Option("--own", help="Also consider buying catalog systems.")] = False,
    no_rent: Annotated[bool, typer.Option("--no-rent", help="Only owned systems.")] = False,
    own_grid: Annotated[Optional[str], typer.Option("--own-grid", help="Grid for owned systems (price, carbon).")] = None,
    objective: Annotated[Optional[list[str]], typer.Option("--objective", help="cost, latency, energy, carbon.")] = None,
    front_tolerance: Annotated[Optional[float], typer.Option("--front-tolerance", help="Hide front rows within this fraction of a kept row on every objective (0 = exact front; default: Scenario.front_tolerance).")] = None,
    top: Annotated[int, typer.Option("--top", help="Front rows to show.")] = 10,
    explain: Annotated[Optional[int], typer.Option("--explain", help="Full breakdown of front row N (1-based).")] = None,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print the front as CSV.")] = False,
    html_out: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report (chart and table) to this file.")] = None,
    catalog: O.CatalogDir = None,
    json_out: O.Json = False,
) -> None:
    """Search every offer x parallelism x dtype x concurrency for MODEL; show the Pareto front."""
    from ..catalog import load_catalog
    from ..errors import InputError
    from ..planner import Scenario, plan

    if top < 1:
        raise InputError(f"top = {top}: must be >= 1")
    cat = load_catalog(catalog)
    report_overrides(cat)
    given: dict[str, Any] = dict(
        model=model, isl=isl, osl=osl, rate_rps=rate_rps, tokens_per_day=tokens_per_day, ttft_max_s=ttft_max_s,
        tpot_max_s=tpot_max_s, sovereignty=sovereignty, date=date, buyer_country=buyer_country,
        budget_usd_per_month=budget_usd_per_month, max_gco2e_per_1k_tok=max_gco2e_per_1k_tok,
        providers=_split(provider), exclude_providers=_split(exclude_provider), regions=_split(region),
        accelerators=_split(accelerator), exclude_accelerators=_split(exclude_accelerator), pricing=_split(pricing),
        weights=_split(weights), own=own or None, rent=False if no_rent else None, own_grid=own_grid,
        objectives=_split(objective), front_tolerance=front_tolerance,
    )
    from ..inputs import parse_input

    scenario = parse_input(Scenario, {k: v for k, v in given.items() if v is not None})
    quiet = json_out or csv_out or not sys.stderr.isatty()
    if quiet:
        result = plan(scenario, cat)
    else:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                      transient=True) as prog:
            task = prog.add_task("planning", total=None)
            result = plan(scenario, cat, progress=lambda msg: prog.update(task, description=msg))
    if html_out is not None:
        _write_report(result, html_out)
    if explain is not None:
        from ..explain import explain as explain_row

        _explain(explain_row(result, explain, cat), json_out)
        return
    if json_out:
        print_json(result.to_dict())
        return
    if csv_out:
        sys.stdout.write(result.to_csv())
        return
    s = scenario
    traffic = f"{s.rate_rps:g} req/s" if s.rate_rps else f"{s.tokens_per_day:,.0f} output tokens/day"
    t = Table(title=f"{s.model}: {traffic}, {s.isl:g} in / {s.osl:g} out, TTFT <= {s.ttft_max_s:g} s, "
                    f"TPOT <= {s.tpot_max_s * 1e3:g} ms, sovereignty {s.sovereignty}; Pareto front over "
                    f"{', '.join(s.objectives)} ({len(result.front)} of {result.feasible:,} feasible, "
                    f"{result.candidates_evaluated:,} evaluated in {result.elapsed_s:.2f} s)")
    for col in ("#", "provider", "region", "accelerators", "parallelism", "dtype", "$/Mtok", "$/month",
                "TTFT", "TPOT", "J/tok", "gCO2e/1k", "sovereignty"):
        t.add_column(col, justify="right" if col in ("#", "$/Mtok", "$/month", "TTFT", "TPOT", "J/tok", "gCO2e/1k") else "left")
    for i, r in enumerate(result.front[:top], start=1):
        badge = ("[green]pass[/green]" if r["sovereignty_passes"] else "[red]fail[/red]") + f" SEAL~{r['seal_estimate']}"
        t.add_row(str(i), r["provider"], r["region"],
                  f"{r['instances']} x {r['accelerators_per_instance']} {r['accelerator']} ({r['pricing']})",
                  f"tp{r['tp']} pp{r['pp']} ep{r['ep']} x{r['replicas_per_instance']}", r["weights"],
                  f"{r['usd_per_mtok']:.3f}", f"{r['usd_per_month']:,.0f}", f"{r['ttft_s'] * 1e3:,.0f} ms",
                  f"{r['tpot_s'] * 1e3:.1f} ms", f"{r['j_per_token']:.2f}" if r["j_per_token"] == r["j_per_token"] else "-",
                  f"{r['gco2e_per_1k_tok']:.3f}" if r["gco2e_per_1k_tok"] == r["gco2e_per_1k_tok"] else "-", badge)
    console.print(t)
    if result.rejected:
        console.print("ruled out: " + ", ".join(f"{k} {v:,}" for k, v in result.rejected.items()), highlight=False)
    for m in result.nearest_misses:
        console.print(f"nearest miss: {m}", highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", style="dim", highlight=False)
    console.print(f"details of one row: add --explain N", style="dim")


def _write_report(result, path: Path) -> None:
    from ..errors import InputError

    try:
        from ..report import plan_report_html

        text = plan_report_html(result.to_dict())
    except ImportError as exc:
        raise InputError(f"--html needs plotly ({exc.name} is missing): pip install 'tokenfab[web]'") from None
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"html = {str(path)!r}: cannot write it ({exc.strerror}); choose a writable file path") from None
    err_console.print(f"report written to {path}")


def _explain(detail: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(detail)
        return
    r, n, shares = detail["row"], detail["rank"], detail["time_per_step"]
    console.print(f"#{n}: {r['instances']} x {r['offer']} ({r['provider']}, {r['region']}, {r['pricing']}), "
                  f"{r['accelerators_per_instance']} x {r['accelerator']}, tp={r['tp']} pp={r['pp']} ep={r['ep']}, "
                  f"{r['weights']} weights / {r['kv']} KV, {r['stack']}", highlight=False)
    console.print("where the time goes (per decode step): " + ", ".join(
        f"{k} {v:.0%}" for k, v in shares.items()) +
        f"; bound {detail['bound']}, MFU {detail['mfu']:.0%}, MBU {detail['mbu']:.0%}", highlight=False)
    m = detail["money"]
    console.print(f"where the money goes: {m['accelerators_total']} accelerators x ${m['usd_per_accel_hour']:.3f}/h x "
                  f"{m['hours_per_month']:g} h = ${m['usd_per_month']:,.0f}/month; at {m['utilization']:.0%} of capacity "
                  f"that is ${m['usd_per_mtok']:.3f} per million output tokens", highlight=False)
    if "ownership_usd_per_accel_hour" in m:
        console.print("owning, per accelerator-hour: " + " + ".join(
            f"{k} ${v:.3f}" for k, v in m["ownership_usd_per_accel_hour"].items() if k != "total") +
            f" = ${m['ownership_usd_per_accel_hour']['total']:.3f}", highlight=False)
    if r["j_per_token"] is not None:
        console.print(f"energy: {r['j_per_token']:.2f} J per output token (facility), {r['gco2e_per_1k_tok']:.3f} gCO2e "
                      f"per 1k tokens on grid {r['grid']}", highlight=False)
    rl = detail["roofline"]
    console.print(f"roofline ({rl['accelerator']}, {rl['dtype']}): ridge {rl['ridge_flop_per_byte']:.0f} FLOP/byte; prefill "
                  f"{rl['prefill']['operational_intensity_flop_per_byte']:.0f}, decode "
                  f"{rl['decode']['operational_intensity_flop_per_byte']:.1f} FLOP/byte", highlight=False)
    for k, v in detail["constraints"].items():
        console.print(f"  passes {k}: {v}", highlight=False)
