"""`tokenfab compare`: self-hosting beside public APIs at the same per-user speed (rendering only)."""

from __future__ import annotations

from rich.table import Table

from ..planner.compare import CompareQuestion
from .options import CatalogDir, Json, from_model
from .output import console, load, num, print_json, warn_stale
from .render import assumptions


@from_model(CompareQuestion)
def compare_cmd(q: CompareQuestion, catalog: CatalogDir = None, json_out: Json = False) -> None:
    """Self-hosted cost on every offer, held to the APIs' per-user speed, beside API prices."""
    from .. import compare

    r = compare(q, catalog=load(catalog))
    warn_stale([r])
    if json_out:
        print_json(r.to_dict())
        return
    w = r.workload
    util = "from the traffic" if r.utilization is None else f"{r.utilization:.0%} ({r.utilization_basis})"
    limit = "no TPOT limit" if r.tpot_limit_s is None else f"p99 TPOT <= {r.tpot_limit_s * 1e3:.0f} ms"
    t = Table(title=f"{r.model}, {w.isl:g} in / {w.osl:g} out: USD per M output tokens of this workload; self-hosted "
                    f"rows meet {limit} at utilization {util}")
    for col in ("kind", "name", "provider", "region", "accelerator", "$/M output tok (all-in; 80 % range)", "input $/M",
                "output $/M", "tok/s per user", "utilization", "price as of"):
        t.add_column(col, justify="right" if col[0] in "$iotu" and col not in ("output $/M",) else "left")
    for row in (*r.self_hosted, *r.apis):
        t.add_row(row.kind, row.name, row.provider, row.region, row.accelerator, f"{row.usd_per_mtok_output:.3f}" + (
                      "" if row.usd_per_mtok_output_low is None
                      else f" ({row.usd_per_mtok_output_low:.3f}-{row.usd_per_mtok_output_high:.3f})"),
                  f"{row.usd_per_mtok_input_price:.3f}", f"{row.usd_per_mtok_output_price:.3f}",
                  num(row.output_tok_per_s_per_user, ",.0f"),
                  "per token" if row.utilization is None else f"{row.utilization:.0%}", row.price_as_of)
    console.print(t)
    console.print(f"{r.self_hosted_evaluated} offers evaluated; {r.offers_without_feasible_deployment} cannot serve "
                  f"{r.model} at this speed in one instance. Speed basis: {r.tpot_basis}.", highlight=False)
    console.print(r.note, style="dim", highlight=False)
    assumptions(r.assumptions)
