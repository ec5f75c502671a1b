"""`tokenfab plan`: the Pareto front of every deployment, with rejections explained."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import InputError
from ..planner.result import PlanResult
from ..planner.scenario import Scenario
from .options import CatalogDir, Json, from_model
from .output import console, err_console, load, money, num, print_json, warn_stale
from .recipe_cmd import OutOpt, RecipeOpt, RowOpt, check_flags, emit

Top = Annotated[int, typer.Option("--top", help="Front rows to show.", min=1, max=10_000)]
Explain = Annotated[Optional[int], typer.Option("--explain", help="Full breakdown of front row N (1-based).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print the front as CSV.")]
Html = Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML report to this file.")]
FocusOut = Annotated[Optional[Path], typer.Option("--focus-out", help="Also write front row --focus-row as FOCUS-shaped "
                                                                      "monthly charges (CSV) to this file.")]
FocusRow = Annotated[int, typer.Option("--focus-row", help="Front row (1-based) --focus-out exports.", min=1, max=10_000)]
FocusMonths = Annotated[int, typer.Option("--focus-months", help="Months --focus-out writes, from this month.", min=1,
                                          max=120)]


@from_model(Scenario)
def plan_cmd(s: Scenario, top: Top = 10, explain: Explain = None, csv_out: Csv = False, html_out: Html = None,
             recipe: RecipeOpt = None, row: RowOpt = None, out: OutOpt = None,
             focus_out: FocusOut = None, focus_row: FocusRow = 1, focus_months: FocusMonths = 12,
             catalog: CatalogDir = None, json_out: Json = False) -> None:
    """Search every offer x parallelism x precision x concurrency for MODEL; show the Pareto front."""
    from .. import explain as explain_row
    from .. import plan

    check_flags(recipe, out, row)
    cat = load(catalog)
    if json_out or csv_out or not sys.stderr.isatty():
        result = plan(s, catalog=cat)
    else:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console,
                      transient=True) as prog:
            task = prog.add_task("planning", total=None)
            result = plan(s, catalog=cat, progress=lambda msg: prog.update(task, description=msg))
    if recipe is not None:
        n = row or 1
        if n > len(result.front):
            raise InputError(f"row = {n}: the front has {len(result.front)} rows; choose 1..{len(result.front)}")
        warn_stale([result.front[n - 1]])
        emit(result.front[n - 1], recipe, out, cat, json_out)
        return
    ex = explain_row(result, explain, cat) if explain is not None else None  # a bad row number: nothing written
    warn_stale(result.front[:top] if ex is None or explain is None else [result.front[explain - 1]])
    if html_out is not None:
        _write_report(result, html_out)
    if focus_out is not None:
        _write_focus(result, focus_out, focus_row, focus_months)
    if ex is not None:
        from .render import explanation

        print_json(ex.to_dict()) if json_out else explanation(ex)
        return
    if json_out:
        print_json(result.to_dict())
    elif csv_out:
        sys.stdout.write(result.to_csv())
    else:
        _table(result, top)


def _table(result: PlanResult, top: int) -> None:
    s = result.scenario
    ttft, tpot = s.limits_s()
    traffic = f"{s.rate_rps:g} req/s" if s.rate_rps else f"{s.tokens_per_day:,.0f} output tokens/day"
    limits = (f"p99 limits TTFT <= {ttft:g} s, TPOT <= {tpot * 1e3:g} ms" if math.isfinite(ttft) and math.isfinite(tpot)
              else f"no latency limits ({s.scenario})")
    t = Table(title=f"{s.model}: {traffic}, {s.isl:g} in / {s.osl:g} out, {limits}, sovereignty {s.sovereignty}; "
                    "Pareto front over "
                    f"{', '.join(s.objectives)} ({len(result.front)} of {result.feasible:,} feasible, "
                    f"{result.candidates_evaluated:,} evaluated in {result.elapsed_s:.2f} s)")
    cols = ("#", "provider", "region", "accelerators", "parallelism", "weights", "$/M output tok (80 % range)", "$/month",
            "mean TTFT", "mean TPOT", "J/output tok", "gCO2e/1k tok", "sovereignty")
    for col in cols:
        t.add_column(col, justify="right" if col[0] in "#$mJg" and col != "gCO2e" else "left")
    for i, ev in enumerate(result.front[:top], start=1):
        d, p, m, e = ev.deployment, ev.performance, ev.money, ev.energy
        sov = ev.sovereignty
        badge = ("-" if sov is None else ("[green]pass[/green]" if sov.passes else "[red]fail[/red]")
                 + f" SEAL~{sov.seal_estimate}")
        idle = f", {d.idle_accelerators_per_instance} idle" if d.idle_accelerators_per_instance else ""
        unval = "" if p.accuracy is None or p.accuracy.validated else " [yellow]unvalidated[/yellow]"
        lo, hi = money(m.usd_per_mtok_output_low), money(m.usd_per_mtok_output_high)
        usd = money(m.usd_per_mtok_output) + ("" if m.usd_per_mtok_output_low is None or lo == hi else f" ({lo}-{hi})")
        if ev.risk is not None:
            usd += f"; {ev.risk.risk} {money(ev.risk.usd_per_mtok_output)}"
        t.add_row(str(i), d.provider, d.region,
                  f"{d.instances} x {d.accelerators_per_instance} {d.accelerator} ({d.pricing}{idle}){unval}",
                  f"tp{d.tp} pp{d.pp} ep{d.ep} x{d.replicas_per_instance}"
                  + (f" {d.speculative} k={d.draft_tokens}" if d.speculative != "off" else ""),
                  d.weights, usd,
                  money(m.usd_per_month, 0), f"{p.ttft_s * 1e3:,.0f} ms", f"{p.tpot_s * 1e3:.1f} ms",
                  num(e.j_per_output_token, ".2f"), num(e.gco2e_per_1k_tok, ".3f"), badge)
    console.print(t)
    if result.rejected:
        console.print("ruled out (a candidate may fail several): "
                      + ", ".join(f"{k} {v:,}" for k, v in result.rejected.items()), highlight=False)
    for miss in result.nearest_misses:
        console.print(f"nearest miss: {miss}", highlight=False)
    for n in result.notes:
        console.print(f"note: {n}", style="dim", highlight=False)
    console.print("details of one row: add --explain N", style="dim")


def _write_report(result: PlanResult, path: Path) -> None:
    try:
        from ..report.html import plan_report_html
    except ImportError as exc:
        raise InputError(f"--html needs plotly ({exc.name} is missing): pip install plotly, or from a clone "
                         "pip install '.[web]'") from None
    text = plan_report_html(result)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"html = {str(path)!r}: cannot write it ({exc.strerror}); choose a writable file path") from None
    err_console.print(f"report written to {path}")


def _write_focus(result: PlanResult, path: Path, row: int, months: int) -> None:
    from ..finops.export import focus_rows, write_focus_csv

    if row > len(result.front):
        raise InputError(f"focus_row = {row}: the front has {len(result.front)} row(s); use 1 to {len(result.front)}")
    write_focus_csv(focus_rows(result.front[row - 1], months), path)
    err_console.print(f"FOCUS rows written to {path}")
