"""`tokenfab bill`: what a FOCUS bill says, and what moving it would save (rendering only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import InputError
from ..finops.move import MoveQuestion
from ..finops.result import BillSummary, MoveSummary
from ..finops.summary import DIMENSIONS
from .options import CatalogDir, Json, from_model
from .output import console, money, num, print_json

Files = Annotated[list[Path], typer.Argument(metavar="FILES...", help="FOCUS CSV (.csv, .csv.gz) or Parquet files, or folders.")]
By = Annotated[Optional[list[str]], typer.Option(
    "--by", help=f"Spend tables to show: {', '.join(DIMENSIONS)} (repeat or comma-separate) "
                 "[default: jurisdiction,service,pricing,month].", metavar="|".join(DIMENSIONS) + ",...")]
Move = Annotated[bool, typer.Option("--move", help="Price the move: the cheapest plan passing --sovereignty for the "
                                                   "same tokens and accelerator-hours.")]
Csv = Annotated[bool, typer.Option("--csv", help="Print every table as CSV (a 'table' column names it).")]
Date = Annotated[Optional[str], typer.Option("--date", help="Date for the Data Act rule and certifications, YYYY-MM-DD "
                                                          "[default: today].")]
DEFAULT_BY = ("jurisdiction", "service", "pricing", "month")


def _dims(by: list[str] | None) -> tuple[str, ...]:
    if not by:
        return DEFAULT_BY
    dims = tuple(d.strip().lower() for item in by for d in item.split(",") if d.strip())
    for d in dims:
        if d not in DIMENSIONS:
            raise InputError(f"--by = {d!r}: use one of {', '.join(DIMENSIONS)}")
    return dims or DEFAULT_BY


@from_model(MoveQuestion)
def bill_cmd(q: MoveQuestion, files: Files, by: By = None, move: Move = False, date: Date = None,
             catalog: CatalogDir = None, json_out: Json = False, csv_out: Csv = False) -> None:
    """Spend by provider, host, region -> jurisdiction, pricing and month; token spend per model;
    accelerator hours vs list price; egress and exit cost; CLOUD Act exposure (FOCUS 1.0-1.3)."""
    from .. import bill_summary, move_bill
    from .output import load

    dims = _dims(by)
    cat = load(catalog)
    summary = bill_summary(list(files), catalog=cat, date=date)
    moved = move_bill(summary, q, catalog=cat, date=date) if move else None
    if json_out:
        print_json({"summary": summary.to_dict(), "move": moved.to_dict() if moved else None})
    elif csv_out:
        sys.stdout.write(summary.to_csv())
    else:
        _render(summary, dims)
        if moved:
            _render_move(moved)


def _render(s: BillSummary, dims: tuple[str, ...]) -> None:
    period = f"{s.period_start} to {s.period_end} ({s.days:,.2f} days)" if s.days is not None else "no period"
    console.print(f"{len(s.files)} file(s), {s.rows:,} charges, {period}; billed {money(s.billed_usd, 2)} USD, "
                  f"effective {money(s.effective_usd, 2)} USD" + (f"; {s.fx_note}" if s.fx_note else ""), highlight=False)
    for dim in dims:
        rows = s.by[dim]
        t = Table(title=f"spend by {dim}")
        keys = list(rows[0].key) if rows else [dim]
        for k in (*keys, "billed USD", "effective USD", "share", "charges"):
            t.add_column(k, justify="right" if k in ("billed USD", "effective USD", "share", "charges") else "left")
        for r in rows:
            t.add_row(*r.key.values(), money(r.billed_usd, 2), money(r.effective_usd, 2), f"{r.share_frac:.1%}", f"{r.rows:,}")
        console.print(t)
    if s.tokens:
        t = Table(title="generative-AI tokens (effective cost)")
        for k in ("model (billed)", "catalog model", "provider", "input tok", "output tok", "input USD", "output USD",
                  "$/M input", "$/M output"):
            t.add_column(k, justify="left" if k in ("model (billed)", "catalog model", "provider") else "right")
        for tok in s.tokens:
            t.add_row(tok.model_id, tok.catalog_model or "-", tok.provider, f"{tok.input_tokens:,.0f}",
                      f"{tok.output_tokens:,.0f}", money(tok.input_usd, 2), money(tok.output_usd, 2),
                      money(tok.usd_per_mtok_input), money(tok.usd_per_mtok_output))
        console.print(t)
    if s.accelerators:
        t = Table(title="accelerator instances (effective cost) vs catalog on-demand list price")
        for k in ("instance", "provider", "region", "pricing", "accelerators", "instance h", "USD", "$/accel-h paid",
                  "$/accel-h list", "vs list", "list offer"):
            t.add_column(k, justify="left" if k in ("instance", "provider", "region", "pricing", "list offer") else "right")
        for a in s.accelerators:
            accs = f"{a.accelerators_per_instance} x {a.accelerator}" if a.accelerator else "-"
            t.add_row(a.instance_type, a.provider, a.region, a.pricing_category, accs, f"{a.instance_hours:,.1f}",
                      money(a.effective_usd, 2), money(a.usd_per_accel_hour), money(a.list_usd_per_accel_hour),
                      "-" if a.vs_list_frac is None else f"{a.vs_list_frac:+.1%}", a.list_offer or "-")
        console.print(t)
    if s.egress:
        t = Table(title="data transfer out (egress) and one-off exit cost")
        for k in ("provider", "GB", "USD", "USD/GB", "exit cost USD", "rule"):
            t.add_column(k, justify="left" if k in ("provider", "rule") else "right")
        for e in s.egress:
            t.add_row(e.provider, f"{e.volume_gb:,.1f}", money(e.effective_usd, 2), money(e.usd_per_gb, 4),
                      money(e.exit_cost_usd, 2), e.exit_rule)
        console.print(t)
    x = s.exposure
    console.print(f"non-EU jurisdiction: {money(x.non_eu_usd, 2)} USD ({x.non_eu_share_frac:.1%}); under the US CLOUD Act: "
                  f"{money(x.cloud_act_usd, 2)} USD ({x.cloud_act_share_frac:.1%}); provider not in the catalog: "
                  f"{money(x.unknown_usd, 2)} USD ({x.unknown_share_frac:.1%})", highlight=False)
    for n in s.notes:
        console.print(f"note: {n}", style="dim", highlight=False)


def _render_move(m: MoveSummary) -> None:
    t = Table(title=f"the move: cheapest plan passing '{m.sovereignty}' (peak/mean {m.peak_to_mean:g}) on {m.date}")
    for k in ("kind", "billed", "provider", "today $/month", "plan", "plan $/month", "saving $/month", "exit cost $",
              "payback months"):
        t.add_column(k, justify="right" if "$" in k or "months" in k else "left")
    for r in m.rows:
        t.add_row(r.kind, r.subject, r.provider, money(r.today_usd_per_month, 2), r.plan or "-",
                  money(r.plan_usd_per_month, 2), money(r.saving_usd_per_month, 2), money(r.exit_cost_usd, 2),
                  num(r.payback_months, ".2f"))
    console.print(t)
    console.print(f"total: today {money(m.today_usd_per_month, 2)} USD/month, plan {money(m.plan_usd_per_month, 2)} "
                  f"USD/month, saving {money(m.saving_usd_per_month, 2)} USD/month, exit {money(m.exit_cost_usd, 2)} USD, "
                  f"payback {num(m.payback_months, '.2f')} months", highlight=False)
    for r in m.rows:
        console.print(f"  {r.subject}: {r.reason}", style="dim", highlight=False)
    for n in m.notes:
        console.print(f"note: {n}", style="dim", highlight=False)
