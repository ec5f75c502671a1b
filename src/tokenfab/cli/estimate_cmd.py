"""`tokenfab estimate` and `tokenfab validate` (rendering only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..units import format_bytes
from .output import console, note, print_json, report_overrides

CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="Overlay catalog directory.")]


def estimate_cmd(
    model: Annotated[str, typer.Option("--model", help="Model id (tokenfab catalog list models).")],
    accelerator: Annotated[str, typer.Option("--accelerator", help="Accelerator id.")],
    isl: Annotated[float, typer.Option("--isl", help="Mean input (prompt) tokens per request.")],
    osl: Annotated[float, typer.Option("--osl", help="Mean output tokens per request.")],
    count: Annotated[int, typer.Option("--count", help="Number of accelerators.")] = 1,
    tp: Annotated[Optional[int], typer.Option("--tp", help="Tensor-parallel degree (default: searched).")] = None,
    pp: Annotated[Optional[int], typer.Option("--pp", help="Pipeline-parallel degree (default: searched).")] = None,
    ep: Annotated[Optional[int], typer.Option("--ep", help="Expert-parallel degree (default: searched).")] = None,
    weights: Annotated[Optional[str], typer.Option("--weights", help="bf16, fp16, fp8, fp4, nvfp4, mxfp4.")] = None,
    kv: Annotated[Optional[str], typer.Option("--kv", help="KV-cache dtype: bf16, fp8, fp4.")] = None,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", help="Concurrent requests (whole deployment).")] = None,
    scenario: Annotated[Optional[str], typer.Option("--scenario", help="offline, server or interactive.")] = None,
    ttft_max_s: Annotated[Optional[float], typer.Option("--ttft-max-s", help="p99 TTFT limit [s].")] = None,
    tpot_max_s: Annotated[Optional[float], typer.Option("--tpot-max-s", help="p99 TPOT limit [s].")] = None,
    stack: Annotated[Optional[str], typer.Option("--stack", help="Serving stack id (default by vendor).")] = None,
    fidelity: Annotated[Optional[str], typer.Option("--fidelity", help="roofline, derated or calibrated.")] = None,
    disaggregated: Annotated[bool, typer.Option("--disaggregated", help="Prefill on separate replicas.")] = False,
    catalog: CatalogOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Throughput, TTFT and TPOT of one model on N accelerators, with the split chosen."""
    from ..catalog import load_catalog
    from ..estimate import estimate

    cat = load_catalog(catalog)
    report_overrides(cat)
    given = dict(
        model=model, accelerator=accelerator, count=count, tp=tp, pp=pp, ep=ep, weights=weights, kv=kv,
        isl=isl, osl=osl, concurrency=concurrency, scenario=scenario, ttft_max_s=ttft_max_s,
        tpot_max_s=tpot_max_s, stack=stack, fidelity=fidelity, disaggregated=disaggregated or None,
    )
    result = estimate(catalog=cat, **{k: v for k, v in given.items() if v is not None})
    if json_out:
        print_json(result.to_dict())
        return
    r = result
    head = (f"{r.model} on {r.count} x {r.accelerator}  |  {r.weights} weights, {r.kv} KV, {r.stack}, "
            f"{r.scenario}, {r.isl:g} in / {r.osl:g} out  |  fidelity: {r.fidelity}")
    console.print(head, highlight=False)
    if r.parallelism_chosen_by_engine:
        note(f"parallelism chosen by the engine from {r.candidates_evaluated} valid splits: "
             f"tp={r.tp} pp={r.pp} ep={r.ep}{' with data-parallel attention' if r.dp_attention else ''}, "
             f"{r.replicas} replica(s)")
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column()
    t.add_row("throughput", f"{r.throughput_output_tok_per_s:,.0f} output tok/s  "
              f"({r.throughput_per_accelerator_tok_per_s:,.0f} per accelerator)")
    t.add_row("TTFT", f"{r.ttft_s * 1e3:,.1f} ms mean, {r.ttft_p99_s * 1e3:,.1f} ms p99 (approx.)")
    t.add_row("TPOT", f"{r.tpot_s * 1e3:,.2f} ms mean, {r.tpot_p99_s * 1e3:,.2f} ms p99 (approx.)")
    t.add_row("concurrency", f"{r.concurrency:,} requests ({r.concurrency_per_replica:,} per replica; "
              f"at most {r.max_concurrency_per_replica:,} fit)")
    t.add_row("parallelism", f"tp={r.tp} pp={r.pp} ep={r.ep} x {r.replicas} replica(s)"
              + (" [DP attention]" if r.dp_attention else ""))
    t.add_row("memory/device", f"{format_bytes(r.memory_per_device_bytes)} of {format_bytes(r.memory_capacity_bytes)} "
              f"(weights {format_bytes(r.weights_per_device_bytes)})")
    t.add_row("bound", f"{r.bound}  (MFU {r.mfu:.0%}, MBU {r.mbu:.0%})")
    shares = "  ".join(f"{k} {v:.0%}" for k, v in r.time_shares.items())
    t.add_row("time per step", shares)
    if r.ttft_limit_s or r.tpot_limit_s:
        lim = f"TTFT <= {r.ttft_limit_s:g} s, TPOT <= {r.tpot_limit_s:g} s (p99)"
        t.add_row("limits", lim + ("  [met]" if r.slo_met else "  [NOT met at any concurrency; lowest-latency point shown]"))
    console.print(t)


def validate_cmd(
    file: Annotated[Path, typer.Argument(help="CSV with the tokenfab validate header.")],
    fidelity: Annotated[str, typer.Option("--fidelity", help="roofline, derated or calibrated.")] = "calibrated",
    catalog: CatalogOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Predicted vs measured for every row, MAPE, median and the five worst rows (exit 0)."""
    from ..catalog import load_catalog
    from ..validation import validate_file

    cat = load_catalog(catalog)
    report_overrides(cat)
    rep = validate_file(file, fidelity=fidelity, catalog=cat)
    if json_out:
        print_json(rep.to_dict())
        return
    t = Table(title=f"{file} ({rep.fidelity})")
    for col in ("id", "model", "accelerator", "n", "scenario", "metric", "predicted", "measured", "APE", "split"):
        t.add_column(col, justify="right" if col in ("n", "predicted", "measured", "APE") else "left")
    for r in rep.rows:
        t.add_row(r["id"], r["model"], r["accelerator"], str(r["n_accel"]), r["scenario"], r["metric"],
                  f"{r['predicted']:,.4g}", f"{r['measured']:,.4g}", f"{r['ape']:.1%}",
                  f"tp{r['tp']} pp{r['pp']} ep{r['ep']} x{r['replicas']}")
    console.print(t)
    console.print(f"MAPE {rep.mape:.1%}   median APE {rep.median_ape:.1%}   worst ratio {rep.max_ratio:.2f}   "
                  f"rows {len(rep.rows)}   skipped {len(rep.skipped)}", highlight=False)
    console.print("five worst: " + ", ".join(f"{r['id']} ({r['ape']:.0%})" for r in rep.worst()), highlight=False)
    for s in rep.skipped:
        console.print(f"skipped {s['id']}: {s['reason']}", highlight=False)
