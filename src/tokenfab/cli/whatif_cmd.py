"""`tokenfab whatif`: the plan under uncertain inputs and named shocks."""

from __future__ import annotations

import sys

from rich.table import Table

from ..whatif.question import WhatIfQuestion
from ..whatif.result import Percentiles, WhatIfResult
from .options import CatalogDir, Json, from_model
from .output import console, load, money, num, print_json, warn_stale
from .plan_cmd import Csv, Top


@from_model(WhatIfQuestion)
def whatif_cmd(q: WhatIfQuestion, top: Top = 10, csv_out: Csv = False, catalog: CatalogDir = None,
               json_out: Json = False) -> None:
    """Plan MODEL, apply --shock ..., and sample the front rows over the input ranges
    (data/uncertainty.yaml): p10/p50/p90 of $/M tokens, J/token and gCO2e, P(best), a tornado."""
    from .. import whatif

    cat = load(catalog)
    result = whatif(q, catalog=cat, overlay=str(catalog) if catalog else None)
    warn_stale([*result.before.front[:top], *(result.after.front[:top] if result.after else ())])
    if json_out:
        print_json(result.to_dict())
    elif csv_out:
        sys.stdout.write(result.to_csv())
    else:
        render(result, top)


def _band(p: Percentiles, fmt: str) -> str:
    if p.p50 is None:
        return "-"
    return f"{format(p.p50, fmt)} ({format(p.p10, fmt)}-{format(p.p90, fmt)})"


def render(r: WhatIfResult, top: int) -> None:
    if r.shocks and r.after is not None:
        for e in r.shocks:
            for line in e.changed:
                console.print(f"shock {e.shock}: {line}", highlight=False)
        t = Table(title="plan before and after the shocks ($/M output tokens)")
        for col in ("#", "before", "$/M", "after", "$/M "):
            t.add_column(col, justify="right" if "$" in col or col == "#" else "left")
        b, a = r.before.front, r.after.front
        from ..whatif.run import label

        for i in range(min(max(len(b), len(a)), top)):
            t.add_row(str(i + 1), label(b[i]) if i < len(b) else "", money(b[i].money.usd_per_mtok_output) if i < len(b)
                      else "", label(a[i]) if i < len(a) else "", money(a[i].money.usd_per_mtok_output) if i < len(a)
                      else "")
        console.print(t)
        for d in r.dropped:
            console.print(f"dropped: before #{d.rank_before} {d.label}: {d.why}", highlight=False)
    t = Table(title=f"{r.scenario.model}: {r.samples:,} samples (seed {r.seed}, {r.backend}); median (p10-p90)")
    for col in ("#", "deployment", "plan $/M", "$/M output tok", "J/output tok", "gCO2e/1k tok", "SLO met",
                f"P(best {r.objective})"):
        t.add_column(col, justify="left" if col == "deployment" else "right")
    for row in r.rows[:top]:
        t.add_row(str(row.rank), row.label, money(row.plan_usd_per_mtok), _band(row.usd_per_mtok, ".3f"),
                  _band(row.j_per_token, ".3g"), _band(row.gco2e_per_1k_tok, ".3g"), f"{row.slo_met_frac:.0%}",
                  f"{row.prob_best:.1%}")
    console.print(t)
    if r.prob_no_row_feasible >= 0.0005:
        console.print(f"in {r.prob_no_row_feasible:.1%} of samples no front row met every constraint", highlight=False)
    t = Table(title="tornado: one input at a time at its low / high end ($/M output tokens of the plan's best row)")
    for col in ("input", "target", "low", "$/M at low", "high", "$/M at high", "swing"):
        t.add_column(col, justify="left" if col in ("input", "target") else "right")
    for bar in r.tornado:
        if bar.swing_usd_per_mtok > 0:
            t.add_row(bar.input, bar.target, f"x{bar.low_factor:.3g}", money(bar.usd_per_mtok_at_low),
                      f"x{bar.high_factor:.3g}", money(bar.usd_per_mtok_at_high), money(bar.swing_usd_per_mtok))
    console.print(t)
    for n in r.notes:
        console.print(f"note: {n}", style="dim", highlight=False)
    console.print(f"{num(r.elapsed_s, '.2f')} s", style="dim")
